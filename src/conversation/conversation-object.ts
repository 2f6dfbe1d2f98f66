import { DurableObject } from "cloudflare:workers";
import { answerQuestion } from "../answer/answer-question.ts";
import type { ChatAdapter } from "../chat/adapter.ts";
import type { Platform, Question } from "../chat/types.ts";
import { defaultModel, type Env } from "../config.ts";
import { ChatApiError, QuarryError } from "../errors.ts";
import { SettingsStore } from "../settings/settings-store.ts";
import { QuestionStore } from "./question-store.ts";

/** What `submit` did with a question. */
export interface SubmitResult {
  status: "queued" | "duplicate" | "ignored";
  /** Questions ahead of it in this conversation. */
  position?: number;
}

/** The heartbeat: an alarm this often keeps the object alive through a long answer. */
const HEARTBEAT_MS = 30_000;
/** Runs of one question (restarts after an interruption, delivery retries) before giving up. */
const MAX_ATTEMPTS = 12;

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
 * or says plainly what happened. The composition root supplies the platform adapters.
 */
export abstract class ConversationBase extends DurableObject<Env> {
  private readonly store: QuestionStore;
  private pumping?: Promise<void>;
  private current?: { id: string; controller: AbortController };
  /** Notes posted for queued questions, awaited before their answer starts. */
  private readonly notes = new Map<string, Promise<void>>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new QuestionStore(ctx.storage.sql);
  }

  /** The adapter that posts into `platform`'s threads. */
  protected abstract adapterFor(platform: Platform): ChatAdapter;

  /** Takes a question: duplicate ids and unanswered-thread follow-ups are dropped here, atomically. */
  async submit(question: Question): Promise<SubmitResult> {
    if (this.store.has(question.id)) return { status: "duplicate" };
    if (question.trigger === "followup") {
      if (!this.store.hasEngaged()) return { status: "ignored" };
      const settings = await new SettingsStore(this.env.SETTINGS, defaultModel(this.env)).get(
        question.thread.platform,
        question.thread.channelId,
      );
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

  /** The questions of this conversation and their states (for diagnostics and tests). */
  async describe(): Promise<{ id: string; state: string; attempts: number }[]> {
    return this.ctx.storage.sql
      .exec<{ id: string; state: string; attempts: number }>(
        "SELECT id, state, attempts FROM questions ORDER BY seq",
      )
      .toArray();
  }

  /** Heartbeat: while work remains, re-arm and make sure the queue is being worked. */
  override async alarm(): Promise<void> {
    this.store.prune(Date.now() - 86_400_000);
    if (this.store.pending().length === 0) return;
    await this.ctx.storage.setAlarm(Date.now() + HEARTBEAT_MS);
    this.kick();
  }

  private async ensureHeartbeat(): Promise<void> {
    const at = await this.ctx.storage.getAlarm();
    if (at === null) await this.ctx.storage.setAlarm(Date.now() + HEARTBEAT_MS);
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
      row = this.store.get(row.id) ?? row;
      const attempts = this.store.start(row.id, Date.now());
      const controller = new AbortController();
      this.current = { id: row.id, controller };
      let outcome: Awaited<ReturnType<typeof answerQuestion>>;
      try {
        outcome = await answerQuestion(
          { ...row, attempts },
          {
            env: this.env,
            adapter: this.adapterFor(row.question.thread.platform),
            signal: controller.signal,
            checkpoint: (cp) => this.store.saveCheckpoint(row.id, cp, Date.now()),
          },
        );
      } catch (err) {
        this.current = undefined;
        if (isRetryable(err) && attempts < MAX_ATTEMPTS) {
          // The platform is down or rate-limiting hard; the checkpoint holds what to show.
          // Stop here and let the heartbeat alarm try again, rather than spin on this row.
          console.warn(`answer ${row.id} not delivered yet (attempt ${attempts}): ${String(err)}`);
          return;
        }
        console.error(`answer ${row.id} failed without a message in the thread: ${String(err)}`);
        outcome = "failed";
      } finally {
        this.current = undefined;
      }
      this.store.finish(row.id, outcome, Date.now());
    }
  }

  /** Tells the asker their question waits its turn; becomes the answer's first message. */
  private async postQueuedNote(question: Question, position: number): Promise<void> {
    try {
      const adapter = this.adapterFor(question.thread.platform);
      const text = adapter.render(
        `⏳ _Queued: I'll answer this after the ${position === 1 ? "question" : `${position} questions`} ahead of it._`,
      );
      const sent = await adapter.post(question, text);
      const row = this.store.get(question.id);
      if (row?.state === "queued") {
        this.store.saveCheckpoint(
          question.id,
          { messages: [sent], shown: [text], text: "" },
          Date.now(),
        );
      }
    } catch (err) {
      console.warn(`queued note for ${question.id} not posted: ${String(err)}`);
    }
  }
}
