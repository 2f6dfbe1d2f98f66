/**
 * Pacing that several answers share. Slack counts Web API calls per workspace and method
 * (`chat.update` is Tier 3, about 50 a minute), Discord about 5 message writes per 5 s per
 * channel; every answer in that workspace or channel draws on the same allowance, so each
 * call first reserves a slot here. A GCRA (a token bucket kept as one timestamp per key)
 * spaces calls `windowMs / limit` apart, with `burst` of them allowed back to back: in any
 * `windowMs` no more than `limit` go out as long as `burst - 1` fits the margin the rule
 * leaves (see `RateRule`).
 */

/** `limit` calls per `windowMs`; pick them under the platform's figure to leave a margin. */
export interface RateRule {
  limit: number;
  windowMs: number;
  /** Calls that may go out back to back after a quiet spell (default 1). */
  burst?: number;
}

/** One slot to book: `key` under `rule`. */
export interface RateSlot {
  key: string;
  rule: RateRule;
}

/** Shared pacing: `acquire` resolves when one call under `key` may go out, and books it. */
export interface RateLimiter {
  /** `scope` is what the platform counts per (a Slack workspace, a Discord channel); `key` the method within it. */
  acquire(scope: string, key: string, rule: RateRule): Promise<void>;
  /**
   * Books `slots` of one scope for one call, in order, each at the time the one before it
   * left (as consecutive `acquire`s would), with one round trip instead of one per slot;
   * resolves when the call may go out.
   */
  acquireEach?(scope: string, slots: readonly RateSlot[]): Promise<void>;
}

/**
 * The bookkeeping of one scope: for each key, the theoretical arrival time of the next call.
 * Synchronous and clock-free, so the Durable Object and tests share it.
 */
export class Gcra {
  private readonly tat = new Map<string, number>();

  /** Books one call under `key` at or after `now`; returns how long the caller must wait first. */
  reserve(key: string, rule: RateRule, now: number): number {
    const interval = rule.windowMs / Math.max(1, rule.limit);
    const tolerance = (Math.max(1, rule.burst ?? 1) - 1) * interval;
    const tat = Math.max(this.tat.get(key) ?? now, now);
    const allowedAt = tat - tolerance;
    this.tat.set(key, tat + interval);
    return Math.max(0, allowedAt - now);
  }

  /** Drops keys idle for longer than `idleMs`, so a long-lived scope stays small. */
  prune(now: number, idleMs: number): void {
    for (const [key, tat] of this.tat) if (tat < now - idleMs) this.tat.delete(key);
  }

  get size(): number {
    return this.tat.size;
  }

  /** Books `slots` in order, each once the previous one's wait is over; returns the total wait. */
  reserveEach(slots: readonly RateSlot[], now: number): number {
    let at = now;
    for (const { key, rule } of slots) at += this.reserve(key, rule, at);
    return at - now;
  }
}

/** A limiter kept in this isolate: for one process (benchmarks, the socket bridge) or tests. */
export function localRateLimiter(
  opts: { now?: () => number; sleep?: (ms: number) => Promise<void> } = {},
): RateLimiter {
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const scopes = new Map<string, Gcra>();
  const gcraOf = (scope: string) => {
    const gcra = scopes.get(scope) ?? new Gcra();
    scopes.set(scope, gcra);
    return gcra;
  };
  return {
    async acquire(scope, key, rule) {
      const wait = gcraOf(scope).reserve(key, rule, now());
      if (wait > 0) await sleep(wait);
    },
    async acquireEach(scope, slots) {
      const wait = gcraOf(scope).reserveEach(slots, now());
      if (wait > 0) await sleep(wait);
    },
  };
}
