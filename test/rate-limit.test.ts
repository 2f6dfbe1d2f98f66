import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { Gcra, localRateLimiter, type RateSlot } from "../src/delivery/rate-limit.ts";
import { sharedRateLimiter } from "../src/delivery/rate-limiter-object.ts";

const channelRule = { limit: 1, windowMs: 1_000 };
const workspaceRule = { limit: 2, windowMs: 10_000 };
const twoSlots: RateSlot[] = [
  { key: "post:C1", rule: channelRule },
  { key: "post", rule: workspaceRule },
];

describe("shared pacing (GCRA)", () => {
  it("spaces calls windowMs / limit apart once the burst is spent", () => {
    const gcra = new Gcra();
    const rule = { limit: 5, windowMs: 5_000, burst: 2 };
    const waits = Array.from({ length: 5 }, () => gcra.reserve("k", rule, 0));
    expect(waits).toEqual([0, 0, 1000, 2000, 3000]);
  });

  it("never lets more than `limit` calls into any window when the burst is 1", () => {
    const gcra = new Gcra();
    const rule = { limit: 50, windowMs: 60_000 };
    const sent: number[] = [];
    // 200 callers arrive at random times in the first minute and go when told.
    const arrivals = Array.from({ length: 200 }, (_, i) => (i * 7919) % 60_000).sort(
      (a, b) => a - b,
    );
    for (const at of arrivals) sent.push(at + gcra.reserve("chat.update", rule, at));
    sent.sort((a, b) => a - b);
    for (let i = 0; i + 50 < sent.length; i++)
      expect(sent[i + 50]! - sent[i]!).toBeGreaterThanOrEqual(60_000);
  });

  it("keeps keys apart, and forgets idle ones", () => {
    const gcra = new Gcra();
    const rule = { limit: 1, windowMs: 1_000 };
    expect(gcra.reserve("a", rule, 0)).toBe(0);
    expect(gcra.reserve("b", rule, 0)).toBe(0);
    expect(gcra.reserve("a", rule, 0)).toBe(1000);
    gcra.prune(10_000, 5_000);
    expect(gcra.size).toBe(0);
  });

  it("a local limiter sleeps out the wait it booked", async () => {
    let t = 0;
    const slept: number[] = [];
    const limiter = localRateLimiter({
      now: () => t,
      sleep: async (ms) => {
        slept.push(ms);
        t += ms;
      },
    });
    for (let i = 0; i < 3; i++)
      await limiter.acquire("T1", "chat.update", { limit: 2, windowMs: 2_000 });
    expect(slept).toEqual([1000, 1000]);
  });

  it("books several slots at once as consecutive reservations would", () => {
    const one = new Gcra();
    const each = new Gcra();
    for (const at of [0, 0, 100, 2_000, 2_000]) {
      const w1 = one.reserve("post:C1", channelRule, at);
      const w2 = one.reserve("post", workspaceRule, at + w1);
      expect(each.reserveEach(twoSlots, at)).toBe(w1 + w2);
    }
  });

  it("a local limiter sleeps out the total wait of several slots", async () => {
    let t = 0;
    const slept: number[] = [];
    const limiter = localRateLimiter({
      now: () => t,
      sleep: async (ms) => {
        slept.push(ms);
        t += ms;
      },
    });
    for (let i = 0; i < 3; i++) await limiter.acquireEach?.("T1", twoSlots);
    // The channel allows one a second, the workspace one per 5 s: the workspace paces.
    expect(slept).toEqual([5_000, 5_000]);
  });

  it("the shared limiter books several slots in the scope's object", async () => {
    const slept: number[] = [];
    const limiter = sharedRateLimiter(env.RATE_LIMITERS, async (ms) => {
      slept.push(ms);
    });
    const scope = `test:${crypto.randomUUID()}`;
    await limiter.acquireEach?.(scope, twoSlots);
    await limiter.acquire(scope, "post", workspaceRule);
    expect(slept).toHaveLength(1);
    // The second booking waits for the workspace slot the first took (5 s apart).
    expect(slept[0]).toBeGreaterThan(0);
    expect(slept[0]).toBeLessThanOrEqual(5_000);
  });
});
