import { describe, expect, it } from "vitest";
import { type PlannedCall, Scheduler } from "../src/delivery/scheduler.ts";

/** A scheduler on a virtual clock that runs `calls` in turn and records when each went out. */
async function runAll(calls: PlannedCall[], paced: string[] = []) {
  let t = 0;
  const at: number[] = [];
  const queue = [...calls];
  const scheduler = new Scheduler<PlannedCall>({
    intervalMs: 1_000,
    next: () => queue[0],
    run: async () => {
      at.push(t);
      queue.shift();
      return true;
    },
    pace: async (op) => {
      paced.push(op);
    },
    finishRetryMs: 60_000,
    now: () => t,
    sleep: async (ms) => {
      t += ms;
    },
  });
  scheduler.poke();
  await scheduler.drain();
  return at;
}

describe("Scheduler", () => {
  it("keeps the interval between calls", async () => {
    expect(await runAll([{ op: "edit" }, { op: "edit" }, { op: "post" }])).toEqual([0, 1000, 2000]);
  });

  it("lets the call after one that closes a full message go at once, still through the shared limits", async () => {
    const paced: string[] = [];
    const at = await runAll(
      [{ op: "edit" }, { op: "edit", closes: true }, { op: "post" }, { op: "edit" }],
      paced,
    );
    expect(at).toEqual([0, 1000, 1000, 2000]);
    expect(paced).toEqual(["edit", "edit", "post", "edit"]);
  });
});
