import type { WriteOp } from "../chat/adapter.ts";
import { ChatApiError } from "../errors.ts";

/** Longest pause between two tries after transient failures (the platform is down or slow). */
const MAX_BACKOFF_MS = 30_000;
const FIRST_BACKOFF_MS = 1_000;

/** A call a plan wants; `notBefore` holds it back (e.g. a progress line has a slower cadence). */
export interface PlannedCall {
  op: WriteOp;
  notBefore?: number;
  /**
   * The call closes a full message and the next one opens its successor: that one may go
   * at once (after a slot in the shared limits), so the words that spill over wait one
   * turn, not two. The number of calls is the same; only this pair comes closer together.
   */
  closes?: boolean;
}

export interface SchedulerOptions<A extends PlannedCall> {
  /** Least gap between two calls of this answer. */
  intervalMs: number;
  /** The next call the thread needs, from the state as it is now; undefined when it shows all. */
  next(): A | undefined;
  /** Makes the call and records its effect; false when nothing went out. Throws what the platform answered. */
  run(action: A): Promise<boolean | undefined>;
  /** Waits for a slot in the limits this call shares with other answers. */
  pace?(op: WriteOp): Promise<void>;
  /** Told once when a call failed for good (see `ChatApiError.kind`); the loop stops. */
  onFatal?(err: unknown): void;
  /** Once finishing, transient failures are retried this long before `drain` gives up. */
  finishRetryMs: number;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
}

/**
 * Runs a writer's calls one at a time: never two at once, never closer than the interval,
 * after a slot in the shared limits, with `Retry-After` as pacing and transient failures
 * backed off (capped) for as long as the answer runs. What to call is asked afresh right
 * before each call, so a call that waited goes out with the newest text.
 */
export class Scheduler<A extends PlannedCall> {
  private dirty = false;
  private finishing = false;
  private nextAt = 0;
  private failures = 0;
  private failingSince?: number;
  private wake?: () => void;
  private loop?: Promise<void>;
  private failure?: unknown;

  constructor(private readonly opts: SchedulerOptions<A>) {}

  /** The call that failed for good, if one did. */
  get failed(): unknown {
    return this.failure;
  }

  /** Something changed: make sure the loop runs. */
  poke(): void {
    this.dirty = true;
    this.wake?.();
    if (this.loop || this.failure !== undefined) return;
    this.loop = this.run().finally(() => {
      this.loop = undefined;
      // Poked between the loop's last check and its end: go round again.
      if (this.dirty && this.failure === undefined) this.poke();
    });
  }

  /**
   * Runs until the thread shows everything; throws the fatal failure, or, once transient
   * failures outlast `finishRetryMs`, the last of them (retryable: try again later).
   */
  async drain(): Promise<void> {
    this.finishing = true;
    this.poke();
    while (this.loop) await this.loop;
    if (this.failure !== undefined) throw this.failure;
  }

  private async run(): Promise<void> {
    const { now } = this.opts;
    while (this.dirty) {
      this.dirty = false;
      // While streaming, no call may go before the interval ends, whatever it is: wait
      // without planning one (a plan builds the answer's text, which a long answer makes dear).
      const held = this.nextAt - now();
      if (held > 0 && !this.finishing) {
        await this.opts.sleep(held);
        this.dirty = true;
        continue;
      }
      const first = this.opts.next();
      if (!first) break;
      const wait = Math.max(this.nextAt, first.notBefore ?? 0) - now();
      if (wait > 0) {
        if (this.nextAt - now() >= wait) {
          // The interval is what holds the call back: new text cannot make it due sooner,
          // so it waits without planning again at every token.
          await this.opts.sleep(wait);
        } else {
          // A slower cadence (a status-only edit) holds it: new text may be due sooner.
          await Promise.race([this.opts.sleep(wait), new Promise<void>((r) => (this.wake = r))]);
          this.wake = undefined;
        }
        this.dirty = true;
        continue;
      }
      await this.opts.pace?.(first.op);
      // Built after the wait for a slot, so the call carries the newest text.
      const action = this.opts.next();
      this.dirty = true;
      if (!action || (action.notBefore ?? 0) > now()) continue;
      try {
        const sent = await this.opts.run(action);
        this.failures = 0;
        this.failingSince = undefined;
        if (sent !== false) this.nextAt = action.closes ? now() : now() + this.opts.intervalMs;
      } catch (err) {
        if (!this.retry(err)) return;
      }
    }
  }

  /** Decides what a failed call means; false when the loop must stop. */
  private retry(err: unknown): boolean {
    const { now, intervalMs } = this.opts;
    if (err instanceof ChatApiError && err.kind === "rate_limited") {
      this.nextAt = now() + Math.max(err.retryAfterMs ?? intervalMs, intervalMs);
      return true;
    }
    if (err instanceof ChatApiError && err.kind === "transient") {
      this.failures++;
      this.failingSince ??= now();
      if (this.finishing && now() - this.failingSince > this.opts.finishRetryMs) {
        this.failure = err;
        return false;
      }
      const backoff = Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** (this.failures - 1));
      this.nextAt = now() + Math.max(backoff, intervalMs);
      return true;
    }
    this.failure = err ?? new Error("platform call failed");
    this.opts.onFatal?.(this.failure);
    return false;
  }
}
