import { describe, expect, it } from "vitest";
import { ReplyWriter, STATUS_INTERVAL_MS } from "../src/delivery/reply-writer.ts";
import { ChatApiError } from "../src/errors.ts";
import { MemoryAdapter, sampleQuestion } from "./support/memory-adapter.ts";
import { virtualTime } from "./support/virtual-time.ts";

function world(opts: { native?: boolean } = {}) {
  const vt = virtualTime();
  const adapter = new MemoryAdapter(500, 1000, vt.now);
  adapter.paceSleep = vt.sleep;
  if (opts.native) adapter.enableNativeStream();
  const fatal: unknown[] = [];
  const writer = new ReplyWriter({
    adapter,
    question: sampleQuestion,
    now: vt.now,
    sleep: vt.sleep,
    onFatal: (err) => fatal.push(err),
  });
  return { vt, adapter, writer, fatal };
}

const down = () => new ChatApiError("service_unavailable", "down", { kind: "transient" });
const limited = (ms: number) =>
  new ChatApiError("rate_limited", "429", { kind: "rate_limited", retryAfterMs: ms });

describe("ReplyWriter keeps going", () => {
  it("treats twenty 429s in a row as pacing, never as a failure", async () => {
    const { vt, adapter, writer } = world();
    adapter.failures.post = Array.from({ length: 20 }, () => limited(2000));
    await vt.run(writer.finish("The answer.", ""));
    expect(adapter.thread()).toEqual(["The answer."]);
    const posts = adapter.calls.filter((c) => c.op === "post");
    expect(posts).toHaveLength(21);
    for (let i = 1; i < posts.length; i++)
      expect(posts[i]!.at - posts[i - 1]!.at).toBeGreaterThanOrEqual(2000);
  });

  it("backs off a platform that is down, capped at 30 s, for as long as the answer runs", async () => {
    const { vt, adapter, writer } = world();
    adapter.failures.edit = Array.from({ length: 12 }, down);
    writer.update("", "⏳");
    const script = (async () => {
      let text = "";
      for (let i = 0; i < 40; i++) {
        text += `word${i} `;
        writer.update(text, "✍️");
        await vt.sleep(10_000);
      }
      await writer.finish(text, "");
    })();
    await vt.run(script);
    const edits = adapter.calls.filter((c) => c.op === "edit");
    const gaps = edits.slice(1).map((c, i) => c.at - edits[i]!.at);
    expect(Math.max(...gaps.slice(0, 12))).toBeLessThanOrEqual(30_000);
    expect(gaps.slice(0, 6)).toEqual([...gaps.slice(0, 6)].sort((a, b) => a - b));
    expect(adapter.thread()[0]).toContain("word39");
  });

  it("posts a deleted message anew and carries the answer on in it", async () => {
    const { vt, adapter, writer } = world();
    writer.update("Part one", "✍️");
    await vt.run(vt.sleep(1500));
    const first = adapter.order[0] as string;
    adapter.remove(first);
    await vt.run(writer.finish("Part one, and the rest.", ""));
    expect(adapter.thread()).toEqual(["Part one, and the rest."]);
    expect(writer.state.messages.map((m) => m.id)).not.toContain(first);
  });

  it("re-streams a deleted native message's part in a new one", async () => {
    const { vt, adapter, writer } = world({ native: true });
    writer.update("", "⏳");
    await vt.run(vt.sleep(1500));
    writer.update("Streamed words ", "✍️");
    await vt.run(vt.sleep(1500));
    const streamed = adapter.order[1] as string;
    adapter.remove(streamed);
    await vt.run(writer.finish("Streamed words and more.", "", "✅"));
    expect(adapter.thread()).toEqual(["✅", "Streamed words and more."]);
  });

  it("stops at once on a permanent refusal and says so to the answer job", async () => {
    const { vt, adapter, writer, fatal } = world();
    const archived = new ChatApiError("is_archived", "archived", { kind: "permanent" });
    writer.update("", "⏳");
    await vt.run(vt.sleep(1500));
    adapter.failures.edit = [archived];
    writer.update("text", "✍️");
    await vt.run(vt.sleep(3000));
    expect(fatal).toEqual([archived]);
    await expect(vt.run(writer.finish("text", ""))).rejects.toBe(archived);
    expect(adapter.calls.filter((c) => c.op === "edit")).toHaveLength(1);
  });

  it("gives up finishing after two minutes of a platform that stays down, with a retryable error", async () => {
    const { vt, adapter, writer } = world();
    adapter.failures.post = Array.from({ length: 100 }, down);
    const start = vt.now();
    const err = await vt.run(writer.finish("Kept for the heartbeat.", "")).catch((e) => e);
    expect(err).toBeInstanceOf(ChatApiError);
    expect((err as ChatApiError).retryable).toBe(true);
    expect(vt.now() - start).toBeGreaterThan(120_000);
    expect(vt.now() - start).toBeLessThan(200_000);
  });

  it("finishes the answer when remembering a message fails (a KV error is a side write)", async () => {
    const { vt, adapter, writer } = world();
    let tries = 0;
    adapter.rememberAnswer = async () => {
      tries++;
      throw new Error("KV PUT failed: 503");
    };
    await vt.run(writer.finish("Still delivered.", ""));
    expect(tries).toBe(1);
    expect(adapter.thread()).toEqual(["Still delivered."]);
  });

  it("looks a post up before sending it again when its answer was lost on the way", async () => {
    const { vt, adapter, writer } = world();
    adapter.landThenFail.push(
      new ChatApiError("timeout", "no answer", { kind: "transient", ambiguous: true }),
    );
    await vt.run(writer.finish("Posted once.", ""));
    expect(adapter.calls.filter((c) => c.op === "post")).toHaveLength(1);
    expect(adapter.thread()).toEqual(["Posted once."]);
  });

  it("a restart between a post and its checkpoint finds the post instead of making a second", async () => {
    const { vt, adapter } = world();
    const saved: ReplyWriter["state"][] = [];
    const first = new ReplyWriter({
      adapter,
      question: sampleQuestion,
      now: vt.now,
      sleep: vt.sleep,
      onProgress: (s) => saved.push(s),
    });
    adapter.landThenFail.push(
      new ChatApiError("network", "cut", { kind: "transient", ambiguous: true }),
    );
    first.update("", "⏳ thinking");
    await vt.run(vt.sleep(100));
    // The checkpoint written before the post says it may have landed.
    expect(saved.at(-1)?.pending).toMatchObject({ index: 0 });
    const resumed = new ReplyWriter({
      adapter,
      question: sampleQuestion,
      state: saved.at(-1),
      now: vt.now,
      sleep: vt.sleep,
    });
    await vt.run(resumed.finish("The answer.", ""));
    vt.clear();
    expect(adapter.thread()).toEqual(["The answer."]);
  });
});

describe("ReplyWriter cadence", () => {
  it("changes a status-only message at most every 10 s", async () => {
    const { vt, adapter, writer } = world();
    const script = (async () => {
      for (let s = 0; s < 60; s++) {
        writer.update("", `⏳ thinking ${s}s`);
        await vt.sleep(1000);
      }
    })();
    await vt.run(script);
    const times = adapter.calls.filter((c) => c.op !== "working").map((c) => c.at);
    expect(times.length).toBeLessThanOrEqual(7);
    for (let i = 1; i < times.length; i++)
      expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(STATUS_INTERVAL_MS);
    vt.clear();
  });

  it("waits for a slot in the shared limits before each call, and then sends the newest text", async () => {
    const { vt, adapter, writer } = world();
    adapter.paceDelayMs = 5000;
    writer.update("first words", "");
    await vt.run(vt.sleep(1000));
    writer.update("first words and newer ones", "");
    await vt.run(writer.finish("first words and newer ones, final", ""));
    expect(adapter.paced.length).toBe(adapter.calls.length);
    expect(adapter.calls[0]).toMatchObject({
      op: "post",
      text: "first words and newer ones, final",
    });
    expect(adapter.calls).toHaveLength(1);
  });

  it("streams natively word by word, not line by line", async () => {
    const { vt, adapter, writer } = world({ native: true });
    writer.update("", "⏳");
    await vt.run(vt.sleep(1500));
    const script = (async () => {
      let text = "";
      for (const word of "one two three four five six seven eight nine ten".split(" ")) {
        text += `${word} `;
        writer.update(text, "✍️");
        await vt.sleep(600);
      }
      await writer.finish(text, "", "✅");
    })();
    await vt.run(script);
    const pieces = adapter.calls.filter((c) => c.op === "start" || c.op === "append");
    expect(pieces.length).toBeGreaterThan(3);
    expect(pieces.map((c) => c.text).join("")).toBe(
      "one two three four five six seven eight nine ten ",
    );
    expect(pieces.some((c) => !c.text?.endsWith("\n"))).toBe(true);
  });
});

describe("ReplyWriter cost per token", () => {
  it("builds text given as a function only when it plans a call, not at every update", async () => {
    const { vt, adapter, writer } = world();
    let built = 0;
    let text = "";
    const source = () => {
      built++;
      return text;
    };
    const script = (async () => {
      for (let i = 0; i < 500; i++) {
        text += `w${i} `;
        writer.update(source, "✍️");
        await vt.sleep(20);
      }
      await writer.finish(text, "");
    })();
    await vt.run(script);
    // 500 updates over 10 s at one call a second: a few builds per call, not one per token.
    expect(built).toBeLessThan(60);
    expect(adapter.thread().join(" ")).toContain("w499");
  });
});
