import { DurableObject } from "cloudflare:workers";
import type { Env } from "../config.ts";
import { log } from "../log.ts";
import { Gcra, type RateLimiter, type RateRule } from "./rate-limit.ts";

/** Keys idle this long are forgotten: their slots are long past. */
const IDLE_MS = 10 * 60_000;

/**
 * The pacing of one scope (a Slack workspace, a Discord channel) for every answer in it.
 * It only books slots; callers sleep on their side, so no call waits inside the object.
 * Kept in memory: after an eviction (minutes of quiet) every past slot has expired anyway.
 */
export class RateLimiterObject extends DurableObject<Env> {
  private readonly gcra = new Gcra();

  /** Books one call under `key`; returns the ms to wait before making it. */
  reserve(key: string, rule: RateRule): number {
    const now = Date.now();
    if (this.gcra.size > 64) this.gcra.prune(now, IDLE_MS);
    return this.gcra.reserve(key, rule, now);
  }
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
  return {
    async acquire(scope: string, key: string, rule: RateRule) {
      let wait = 0;
      let timer: ReturnType<typeof setTimeout> | undefined;
      try {
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error("no answer in 5 s")), 5_000);
        });
        wait = await Promise.race([ns.get(ns.idFromName(scope)).reserve(key, rule), timeout]);
      } catch (err) {
        log.warn("rate_limiter.unreachable", { scope, error: err });
      } finally {
        if (timer !== undefined) clearTimeout(timer);
      }
      if (wait > 0) await sleep(wait);
    },
  };
}
