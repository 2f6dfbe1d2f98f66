import { DurableObject } from "cloudflare:workers";
import { answerQuestion } from "../answer/answer-question.ts";
import type { ChatAdapter } from "../chat/adapter.ts";
import type { Platform, Question } from "../chat/types.ts";
import { defaultModel, type Env } from "../config.ts";
import { ChatApiError, QuarryError } from "../errors.ts";
import { answerLogger, type Logger, log } from "../log.ts";
import { SettingsStore } from "../settings/settings-store.ts";
import { timedKv } from "../storage/timed-kv.ts";
import { adapterOf } from "./adapter-factory.ts";
import { type QuestionRow, QuestionStore } from "./question-store.ts";

/** What `submit` did with a question. */
export interface SubmitResult {
  status: "queued" | "duplicate" | "ignored";
  /** Questions ahead of it in this conversation. */
  position?: number;
}

/** Who pressed a Stop, as the route that took the click established it. */
export interface StopBy {
  /** The platform user who pressed it. */
  userId: string;
  /** The route found this user may change the channel's settings (admin, Manage Channels, a DM). */
  mayChangeSettings: boolean;
}

/**
 * What a Stop did: `stopped` (the running answer was told to stop), `not_running` (the
 * answer is unknown here, already stopping, finished or not started: nothing changed), or
 * `refused` (the presser is neither the asker nor allowed to change settings).
 */
export type StopResult = "stopped" | "not_running" | "refused";

/** The heartbeat: an alarm this often keeps the object alive through a long answer. */
const HEARTBEAT_MS = 30_000;
/** Runs of one question (restarts after an interruption, delivery retries) before giving up. */
const MAX_ATTEMPTS = 12;
/**
 * A running answer with no sign of life (no stream event, keep-alives included, and no
 * platform call) for this long is stopped; if it does not end within `STUCK_MS` after
 * that, the object restarts and the interrupted answer is ended from its checkpoint.
 */
const STALL_MS = 4 * 60_000;
const STUCK_MS = 2 * 60_000;
/** A queued note that others posted after is left in place; the answer starts below them. */
const RETIRED_NOTE = "⤵️ _Answered below._";

function isRetryable(err: unknown): boolean {
  return (
    err instanceof QuarryError &&
    (err.retryable || (err instanceof ChatApiError && err.retryAfterMs !== undefined))
  );
}

/**
 * One conversation (thread) = one object. It dedupes questions atomically by id, answers
 * one at a time in order, checkpoints as it goes, and keeps itself alive with an alarm.
 * After an eviction or deploy the alarm finds the interrupted question and finishes it
 * or says plainly what happened. The composition root provides the platform adapters
 * (`provideAdapters`).
 */
export class ConversationObject extends DurableObject<Env> {
  private readonly store: QuestionStore;
  private pumping?: Promise<void>;
  private current?: {
    id: string;
    controller: AbortController;
    /** Epoch ms of the last sign of life; the watchdog reads it. */
    activeAt: number;
    stoppedAt?: number;
  };
  /** Notes posted for queued questions, awaited before their answer starts. */
  private readonly notes = new Map<string, Promise<void>>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new QuestionStore(ctx.storage.sql);
  }

  private readonly adapters = new Map<Platform, ChatAdapter>();

  /** The adapter that posts into `platform`'s threads (the composition root provides them). */
  private adapterFor(platform: Platform): ChatAdapter {
    let adapter = this.adapters.get(platform);
    if (!adapter) {
      adapter = adapterOf(platform, this.env);
      this.adapters.set(platform, adapter);
    }
    return adapter;
  }

  /** Takes a question: duplicate ids and unanswered-thread follow-ups are dropped here, atomically. */
  async submit(question: Question): Promise<SubmitResult> {
    if (this.store.has(question.id)) return { status: "duplicate" };
    if (question.trigger === "followup") {
      if (!this.store.hasEngaged()) return { status: "ignored" };
      const settings = await new SettingsStore(
        timedKv(this.env.SETTINGS),
        defaultModel(this.env),
      ).get(question.thread.platform, question.thread.channelId);
      if (!settings.followups) return { status: "ignored" };
    }
    // The settings read above may have let a twin delivery in: the insert is the real check.
    if (!this.store.insert(question, Date.now())) return { status: "duplicate" };
    const position = this.store.positionOf(question.id);
    if (position > 0) this.notes.set(question.id, this.postQueuedNote(question, position));
    await this.ensureHeartbeat();
    this.kick();
    return { status: "queued", position };
  }

  /** Stops the running answer (or a queued one); true when something was stopped. */
  async cancel(questionId?: string): Promise<boolean> {
    if (this.current && (!questionId || questionId === this.current.id)) {
      this.current.controller.abort(new Error("stopped by a user"));
      return true;
    }
    const row = questionId ? this.store.get(questionId) : undefined;
    if (row && row.state === "queued") {
      this.store.finish(row.id, "cancelled", Date.now());
      return true;
    }
    return false;
  }

  /**
   * A Stop pressed for `questionId`, or (undefined) for whatever answer runs in this
   * conversation: Slack's agent-session Stop names a thread, not a question. Only the asker
   * or someone who may change settings may stop an answer. The object is single-threaded,
   * so of two presses the second finds the answer already aborted and changes nothing.
   */
  async stop(questionId: string | undefined, by: StopBy): Promise<StopResult> {
    const current = this.current;
    const id = questionId ?? current?.id;
    const row = id ? this.store.get(id) : undefined;
    if (!row) return "not_running";
    if (row.question.user.id !== by.userId && !by.mayChangeSettings) return "refused";
    // A queued question shows no Stop, and one aborted already (a first press, the
    // watchdog) is on its way to its last message.
    if (current?.id !== row.id || current.controller.signal.aborted) return "not_running";
    console.log(`answer ${row.id} stopped by ${by.userId}`);
    current.controller.abort(new QuarryError("stopped", `stopped by ${by.userId}`));
    return "stopped";
  }

  /** The questions of this conversation and their states (for diagnostics and tests). */
  async describe(): Promise<{ id: string; state: string; attempts: number }[]> {
    return this.store.describe();
  }

  /** Heartbeat: while work remains, re-arm, watch the running answer, keep the queue worked. */
  override async alarm(): Promise<void> {
    const nextExpiry = this.store.prune(Date.now());
    if (this.store.pending().length === 0) {
      // Idle: come back when the next finished question expires; with none left, free it all.
      if (nextExpiry !== undefined) await this.ctx.storage.setAlarm(nextExpiry);
      else if (this.store.empty()) {
        await this.ctx.storage.deleteAll();
        this.store.forget();
      }
      return;
    }
    await this.ctx.storage.setAlarm(Date.now() + HEARTBEAT_MS);
    this.watch(Date.now());
    this.kick();
  }

  /** The watchdog: stops an answer that shows no sign of life, restarts the object if that fails. */
  private watch(now: number): void {
    const current = this.current;
    if (!current) return;
    if (current.stoppedAt !== undefined && now - current.stoppedAt > STUCK_MS) {
      this.logFor(current.id)?.error("answer.stuck", {
        reason: "still running after the watchdog stopped it: restarting the object",
      });
      // The row stays `running`: the next instance ends it from its checkpoint.
      this.ctx.abort("watchdog: answer stuck");
      return;
    }
    if (current.stoppedAt === undefined && now - current.activeAt > STALL_MS) {
      this.logFor(current.id)?.error("answer.stalled", {
        reason: "no sign of life: stopping it",
        silent_ms: now - current.activeAt,
      });
      current.stoppedAt = now;
      current.controller.abort(new QuarryError("stalled", "the answer showed no sign of life"));
    }
  }

  /** Arms the heartbeat, unless it is due sooner already (an idle object's alarm is hours away). */
  private async ensureHeartbeat(): Promise<void> {
    const at = await this.ctx.storage.getAlarm();
    const due = Date.now() + HEARTBEAT_MS;
    if (at === null || at > due) await this.ctx.storage.setAlarm(due);
  }

  private kick(): void {
    if (this.pumping) return;
    this.pumping = this.pump().finally(() => (this.pumping = undefined));
    this.ctx.waitUntil(this.pumping);
  }

  private async pump(): Promise<void> {
    for (let row = this.store.pending()[0]; row; row = this.store.pending()[0]) {
      await this.notes.get(row.id);
      this.notes.delete(row.id);
      const id = row.id;
      const attempts = this.store.start(id, Date.now());
      const controller = new AbortController();
      const current = { id, controller, activeAt: Date.now() };
      this.current = current;
      let outcome: Awaited<ReturnType<typeof answerQuestion>>;
      try {
        const fresh = this.store.get(id) ?? row;
        const adapter = this.counted(this.adapterFor(fresh.question.thread.platform));
        const ready = await this.retireStaleNote(adapter, fresh);
        outcome = await answerQuestion(
          { ...ready, attempts },
          {
            env: this.env,
            adapter,
            signal: controller.signal,
            checkpoint: (cp) => this.store.saveCheckpoint(id, cp, Date.now()),
            earlier: this.store.earlierAnswers(ready.seq),
            onActivity: () => {
              current.activeAt = Date.now();
            },
          },
        );
      } catch (err) {
        this.current = undefined;
        if (isRetryable(err) && attempts < MAX_ATTEMPTS) {
          // The platform is down or rate-limiting hard; the checkpoint holds what to show.
          // Stop here and let the heartbeat alarm try again, rather than spin on this row.
          this.logFor(id)?.warn("answer.not_delivered_yet", { attempt: attempts, error: err });
          return;
        }
        this.logFor(id)?.error("answer.unshown", {
          outcome: "failed",
          reason: "ended without a message in the thread",
          error: err,
        });
        outcome = "failed";
      } finally {
        this.current = undefined;
      }
      this.store.finish(id, outcome, Date.now());
    }
    this.rest();
  }

  /**
   * The queue is worked off: nothing is left for the heartbeat to keep alive, so the alarm
   * goes straight to when the next finished question expires, as the idle heartbeat would
   * set it, instead of waking the object in 30 s for nothing. A new question brings the
   * heartbeat back (`ensureHeartbeat`).
   */
  private rest(): void {
    const next = this.store.prune(Date.now());
    if (next === undefined) return;
    this.ctx.storage.setAlarm(next).catch((err: unknown) => {
      // The heartbeat already set stays: it finds the queue empty and sets this itself.
      log.warn("conversation.rest_failed", { error: err });
    });
  }

  /**
   * Tells the asker their question waits its turn. It becomes the answer's first message,
   * unless something else is posted below it meanwhile (see `retireStaleNote`).
   */
  private async postQueuedNote(question: Question, position: number): Promise<void> {
    try {
      const adapter = this.counted(this.adapterFor(question.thread.platform));
      const text = adapter.render(
        `⏳ _Queued: I'll answer this after the ${position === 1 ? "question" : `${position} questions`} ahead of it._`,
      );
      await adapter.pace?.(question, "post");
      const sent = await adapter.post(question, text, undefined, `${question.id}#note`);
      const row = this.store.get(question.id);
      if (row?.state === "queued") {
        this.store.saveCheckpoint(
          question.id,
          { messages: [sent], shown: [text], text: "", notedAt: this.store.posts(), posts: 1 },
          Date.now(),
        );
      }
    } catch (err) {
      answerLogger(question, this.env).warn("answer.queued_note_failed", { error: err });
    }
  }

  /**
   * An answer goes below every answer before it. If the answer ahead posted messages after
   * this question's queued note, the note stays where it is, saying the answer is below,
   * and the answer starts in a new message.
   */
  private async retireStaleNote(adapter: ChatAdapter, row: QuestionRow): Promise<QuestionRow> {
    const cp = row.checkpoint;
    const note = cp?.messages[0];
    const onlyNote = cp && note && cp.messages.length === 1 && !cp.text && !cp.final;
    if (!onlyNote || cp.notedAt === undefined || this.store.posts() <= cp.notedAt) return row;
    const checkpoint = { messages: [], shown: [], text: "", retired: [note], posts: cp.posts };
    this.store.saveCheckpoint(row.id, checkpoint, Date.now());
    try {
      await adapter.pace?.(row.question, "edit");
      await adapter.edit(row.question, note, adapter.render(RETIRED_NOTE));
    } catch (err) {
      answerLogger(row.question, this.env).warn("answer.queued_note_failed", { error: err });
    }
    return { ...row, checkpoint };
  }

  /** The logger of a question of this conversation. */
  private logFor(id: string): Logger | undefined {
    const row = this.store.get(id);
    return row && answerLogger(row.question, this.env);
  }

  /** The adapter, counting every message it posts into this conversation. */
  private counted(adapter: ChatAdapter): ChatAdapter {
    const count = <T>(sent: T): T => {
      this.store.countPost();
      return sent;
    };
    const native = adapter.stream;
    const stream = native && {
      ...native,
      preferredFor: native.preferredFor?.bind(native),
      start: async (q: Question, text: string) => count(await native.start(q, text)),
      append: native.append.bind(native),
      stop: native.stop.bind(native),
    };
    return Object.assign(Object.create(adapter) as ChatAdapter, {
      post: async (...args: Parameters<ChatAdapter["post"]>) => count(await adapter.post(...args)),
      ...(stream ? { stream } : {}),
    });
  }
}
