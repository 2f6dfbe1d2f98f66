import { describe, expect, it } from "vitest";
import { Gcra, localRateLimiter } from "../src/delivery/rate-limit.ts";

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
});
