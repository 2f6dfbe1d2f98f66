import type { ChatAdapter } from "../chat/adapter.ts";
import type { Question } from "../chat/types.ts";
import type { Env } from "../config.ts";
import type { Checkpoint, EarlierAnswer, QuestionRow } from "../conversation/question-store.ts";
import { ReplyWriter } from "../delivery/reply-writer.ts";
import { ChatApiError, QuarryError } from "../errors.ts";
import { answerLogger, type Logger } from "../log.ts";
import { formatElapsed } from "./progress.ts";

export type AnswerOutcome = "answered" | "failed" | "interrupted" | "cancelled";

export interface AnswerDeps {
  env: Env;
  adapter: ChatAdapter;
  /** Aborted when someone stops the answer (or the watchdog gives up on it). */
  signal: AbortSignal;
  /** Saves what the thread shows and the text so far (the object's SQLite). */
  checkpoint(cp: Checkpoint): void;
  /** The conversation's earlier questions and what was answered: history is built on them. */
  earlier?: EarlierAnswer[];
  /** Every sign of life (stream events, keep-alives included, and platform calls). */
  onActivity?(): void;
  now?: () => number;
}

/** The platform refused the answer for good; `cause` is its refusal. */
export class PlatformRefusal extends QuarryError {
  constructor(readonly refusal: unknown) {
    super("platform_refused", `the platform refused the answer: ${String(refusal)}`);
    this.name = "PlatformRefusal";
  }
}

const OUTCOME_MARK = { failed: "⚠️", interrupted: "⚠️", cancelled: "⏹️" } as const;
const OUTCOME_WORD = {
  failed: "Failed",
  interrupted: "Interrupted",
  cancelled: "Stopped",
} as const;

/**
 * One run of one question: what it has written, what the thread shows (through its
 * writer), and how it ends. Every phase (resume, prepare, stream, finish) works on it.
 */
export class AnswerJob {
  readonly q: Question;
  readonly now: () => number;
  readonly startedAt: number;
  /** Aborts the OpenRouter request: the user's stop, the watchdog, or a platform refusal. */
  readonly controller = new AbortController();
  text: string;
  final: Checkpoint["final"];
  /** Every line of this answer shares the question's id as correlation id. */
  readonly log: Logger;
  private writerOf?: ReplyWriter;

  constructor(
    readonly row: QuestionRow,
    readonly deps: AnswerDeps,
  ) {
    this.q = row.question;
    this.now = deps.now ?? Date.now;
    this.startedAt = row.checkpoint?.startedAt ?? this.now();
    this.text = row.checkpoint?.text ?? "";
    this.final = row.checkpoint?.final;
    this.log = answerLogger(this.q, deps.env);
    const stop = () => this.controller.abort(deps.signal.reason);
    if (deps.signal.aborted) stop();
    else deps.signal.addEventListener("abort", stop, { once: true });
  }

  get adapter(): ChatAdapter {
    return this.deps.adapter;
  }

  /** The writer, opened at the first need; `native` says whether to stream natively. */
  writer(native?: boolean): ReplyWriter {
    this.writerOf ??= new ReplyWriter({
      adapter: this.adapter,
      question: this.q,
      state: this.row.checkpoint,
      native: native ?? this.resumedNative(),
      // The progress message carries a Stop for this question while it runs.
      stop: this.q.id,
      onProgress: () => {
        this.save();
        this.deps.onActivity?.();
      },
      onFatal: (err) => this.controller.abort(new PlatformRefusal(err)),
      log: this.log,
      now: this.now,
    });
    return this.writerOf;
  }

  /** Saves the checkpoint: what the thread shows, the text so far, the final record. */
  save(): void {
    const cp = this.row.checkpoint;
    this.deps.checkpoint({
      ...(this.writerOf?.state ?? { messages: cp?.messages ?? [], shown: cp?.shown ?? [] }),
      text: this.text,
      startedAt: this.startedAt,
      final: this.final,
      ...(cp?.retired ? { retired: cp.retired } : {}),
    });
  }

  /**
   * Records what the thread must end up showing, then shows it; the record survives a
   * failed post, so the heartbeat can deliver it later. `header` replaces the progress
   * line where the answer streamed natively under a status message.
   */
  async deliver(text: string, outcome: AnswerOutcome, header: string): Promise<AnswerOutcome> {
    this.final = { text, header, outcome };
    this.save();
    const writer = this.writer();
    try {
      await writer.finish(text, "", header);
    } catch (err) {
      // Transient trouble past the writer's patience: the heartbeat delivers `final` later.
      if (err instanceof ChatApiError && err.retryable) throw err;
      return this.refused(err);
    }
    return outcome;
  }

  /**
   * The platform refused the answer for good (channel archived, bot removed, permission
   * gone): one plain note in a new message if it will still take one, else a log line.
   */
  async refused(err: unknown): Promise<AnswerOutcome> {
    const reason = err instanceof ChatApiError ? (err.platformError ?? err.code) : String(err);
    const note = `⚠️ I could not finish this answer: the platform refused to show it (\`${reason}\`). Check that I am still in this channel and may post here, then ask again.`;
    try {
      await this.adapter.pace?.(this.q, "post");
      await this.adapter.post(this.q, this.adapter.render(note));
      this.log.error("answer.refused", {
        outcome: "failed",
        reason: `the platform refused the answer (${reason}); a note says so in the thread`,
      });
    } catch (again) {
      this.log.error("answer.unshown", {
        outcome: "failed",
        reason: `ended without a message in the thread: the platform refused every message (${reason})`,
        error: again,
      });
    }
    return "failed";
  }

  /** The status line a failed, stopped or interrupted answer's header ends with. */
  ended(outcome: Exclude<AnswerOutcome, "answered">): string {
    return `${OUTCOME_MARK[outcome]} _${OUTCOME_WORD[outcome]} after ${formatElapsed(this.now() - this.startedAt)}, see below_`;
  }

  /** A resumed answer keeps the mode its checkpoint was written in. */
  private resumedNative(): boolean | undefined {
    const streaming = this.row.checkpoint?.streaming;
    if (!streaming) return undefined;
    return !streaming.off;
  }
}
