import { DurableObject } from "cloudflare:workers";
import type { Env } from "../config.ts";
import { log } from "../log.ts";
import { BoundedCache } from "../storage/bounded-cache.ts";
import { Gcra, type RateLimiter, type RateRule, type RateSlot } from "./rate-limit.ts";

/** Keys idle this long are forgotten: their slots are long past. */
const IDLE_MS = 10 * 60_000;
/** A booking the object does not answer within this goes out unpaced. */
const REPLY_MS = 5_000;

/**
 * The pacing of one scope (a Slack workspace, a Discord channel) for every answer in it.
 * It only books slots; callers sleep on their side, so no call waits inside the object.
 * Kept in memory: after an eviction (minutes of quiet) every past slot has expired anyway.
 */
export class RateLimiterObject extends DurableObject<Env> {
  private readonly gcra = new Gcra();

  /** Books one call under `key`; returns the ms to wait before making it. */
  reserve(key: string, rule: RateRule): number {
    return this.reserveEach([{ key, rule }]);
  }

  /** Books `slots` for one call, each after the wait the one before left; returns the total wait. */
  reserveEach(slots: readonly RateSlot[]): number {
    const now = Date.now();
    if (this.gcra.size > 64) this.gcra.prune(now, IDLE_MS);
    return this.gcra.reserveEach(slots, now);
  }
}

/**
 * The ids of recent scopes' objects: `idFromName` hashes the name on every call, and an
 * answer books a slot in the same few scopes for each of its writes. Ids are plain values
 * (unlike stubs, they hold no connection), so one isolate may keep them.
 */
const ids = new WeakMap<
  DurableObjectNamespace<RateLimiterObject>,
  BoundedCache<string, DurableObjectId>
>();

function idOf(ns: DurableObjectNamespace<RateLimiterObject>, scope: string): DurableObjectId {
  let cache = ids.get(ns);
  if (!cache) {
    cache = new BoundedCache(512);
    ids.set(ns, cache);
  }
  let id = cache.get(scope);
  if (!id) {
    id = ns.idFromName(scope);
    cache.set(scope, id);
  }
  return id;
}

/**
 * A limiter whose slots are booked in the scope's `RateLimiterObject`, so answers running
 * in different conversation objects share them. If the object cannot be reached the call
 * goes out unpaced: the platform's `Retry-After` still paces it.
 */
export function sharedRateLimiter(
  ns: DurableObjectNamespace<RateLimiterObject>,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
): RateLimiter {
  async function book(scope: string, slots: readonly RateSlot[]): Promise<void> {
    let wait = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error("no answer in 5 s")), REPLY_MS);
      });
      const stub = ns.get(idOf(ns, scope));
      wait = await Promise.race([stub.reserveEach(slots), timeout]);
    } catch (err) {
      log.warn("rate_limiter.unreachable", { scope, error: err });
    } finally {
      if (timer !== undefined) clearTimeout(timer);
    }
    if (wait > 0) await sleep(wait);
  }
  return {
    acquire: (scope, key, rule) => book(scope, [{ key, rule }]),
    acquireEach: book,
  };
}
