/**
 * What makes the fake Discord as strict as the real one about pace and failure: sliding
 * windows that count requests per bucket and channel (5 message writes per 5 s per channel,
 * Discord's observed figure), the 429s and exhausted buckets a test scripts on top, and
 * scripted faults (a request that hangs until the client gives up, one whose answer is
 * lost on the way back).
 * https://discord.com/developers/docs/topics/rate-limits
 */
import { matches, type RouteMatcher } from "./discord-wire.ts";

/** `limit` requests in any `windowMs`. */
export interface WindowRule {
  limit: number;
  windowMs: number;
}

/** Message creates and edits per channel: about 5 per 5 s (observed; Discord does not publish it). */
export const MESSAGE_WRITES: WindowRule = { limit: 5, windowMs: 5_000 };
/** Every other route, per bucket and top-level resource: Discord's 50 requests per second. */
export const OTHER_ROUTES: WindowRule = { limit: 50, windowMs: 1_000 };

/** Where a bucket stands after a request: what the `X-RateLimit-*` headers report. */
export interface BucketState {
  limit: number;
  remaining: number;
  /** Seconds until the oldest counted request leaves the window and a slot frees. */
  resetAfter: number;
}

/** Counts requests per key over a sliding window on the fake's clock. */
export class SlidingWindows {
  private readonly hits = new Map<string, number[]>();
  private readonly now: () => number;

  // Not a parameter property: Node's type stripping (bench/load) takes erasable syntax only.
  constructor(now: () => number) {
    this.now = now;
  }

  /** Seconds until one more request under `key` fits, or 0 if it fits now. */
  waitFor(key: string, rule: WindowRule): number {
    const live = this.live(key, rule);
    if (live.length < rule.limit) return 0;
    const oldest = live[live.length - rule.limit] as number;
    return Math.max(0.001, (oldest + rule.windowMs - this.now()) / 1000);
  }

  /** Counts one request under `key` now. */
  count(key: string, rule: WindowRule): void {
    this.live(key, rule).push(this.now());
  }

  state(key: string, rule: WindowRule): BucketState {
    const live = this.live(key, rule);
    const oldest = live[0];
    return {
      limit: rule.limit,
      remaining: Math.max(0, rule.limit - live.length),
      resetAfter:
        oldest === undefined ? 0 : Math.max(0, (oldest + rule.windowMs - this.now()) / 1000),
    };
  }

  private live(key: string, rule: WindowRule): number[] {
    const since = this.now() - rule.windowMs;
    const list = (this.hits.get(key) ?? []).filter((at) => at > since);
    this.hits.set(key, list);
    return list;
  }
}

/** Rate limits a test scripts: 429s for some requests, exhausted buckets for others. */
export class ScriptedLimits {
  private readonly refusals: {
    match: RouteMatcher;
    times: number;
    retryAfter: number;
    skip: number;
  }[] = [];
  private readonly exhausted: { match: RouteMatcher; resetAfter: number }[] = [];

  rateLimitNext(match: RouteMatcher, times: number, retryAfter: number, skip: number): void {
    this.refusals.push({ match, times, retryAfter, skip });
  }

  exhaustNext(match: RouteMatcher, resetAfter: number): void {
    this.exhausted.push({ match, resetAfter });
  }

  /** Seconds of `retry_after` when a 429 is scripted for this request. */
  refusal(route: string): number | undefined {
    const limit = this.refusals.find((l) => l.times > 0 && matches(l.match, route));
    if (!limit) return undefined;
    if (limit.skip > 0) {
      limit.skip--;
      return undefined;
    }
    limit.times--;
    return limit.retryAfter;
  }

  /** Seconds until the bucket resets, when this response is scripted to exhaust it. */
  resetAfter(route: string): number | undefined {
    const at = this.exhausted.findIndex((e) => matches(e.match, route));
    return at >= 0 ? (this.exhausted.splice(at, 1)[0]?.resetAfter ?? 0) : undefined;
  }
}

/**
 * A scripted fault: `hang` (no answer until the client aborts), `lose` (applied, answer lost)
 * or `server_error` (an HTTP 5xx, applied first or not).
 */
export interface Fault {
  kind: "hang" | "lose" | "server_error";
  /** For `hang` and `server_error`: whether Discord applied the request before failing. */
  applied: boolean;
  /** For `server_error`: the HTTP status. */
  status?: number;
}

export class ScriptedFaults {
  private readonly faults: (Fault & { match: RouteMatcher; times: number })[] = [];

  add(match: RouteMatcher, times: number, fault: Fault): void {
    this.faults.push({ match, times, ...fault });
  }

  /** The fault this request meets, if one is scripted for it. */
  take(route: string): Fault | undefined {
    const f = this.faults.find((x) => x.times > 0 && matches(x.match, route));
    if (!f) return undefined;
    f.times--;
    return { kind: f.kind, applied: f.applied, status: f.status };
  }
}

/** Settles only when `signal` aborts, rejecting with its reason, as `fetch` does. */
export function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    const fail = () => reject(signal.reason ?? new DOMException("aborted", "AbortError"));
    if (signal.aborted) fail();
    else signal.addEventListener("abort", fail, { once: true });
  });
}

/** An HTTP 5xx in Discord's shape: `{"message":"500: Internal Server Error","code":0}`. */
export function serverError(status: number): Response {
  return new Response(JSON.stringify({ message: `${status}: Internal Server Error`, code: 0 }), {
    status,
    headers: { "Content-Type": "application/json" },
  });
}
