import { describe, expect, it } from "vitest";
import { ReplyWriter, type WriterState } from "../src/delivery/reply-writer.ts";
import { ChatApiError } from "../src/errors.ts";
import { MemoryAdapter, sampleQuestion } from "./support/memory-adapter.ts";

/** A virtual clock: sleeping advances it instantly, so cadence is checked without waiting. */
function virtualClock() {
  let t = 1_000_000;
  return {
    now: () => t,
    sleep: async (ms: number) => {
      t += ms;
      await Promise.resolve();
    },
  };
}

function paragraphs(n: number, size = 120): string {
  return Array.from({ length: n }, (_, i) => `Paragraph ${i}: ${"x".repeat(size)}`).join("\n\n");
}

describe("ReplyWriter (post and edit)", () => {
  it("never calls the platform faster than the edit interval", async () => {
    const clock = virtualClock();
    const adapter = new MemoryAdapter(500, 1000, clock.now);
    const writer = new ReplyWriter({ adapter, question: sampleQuestion, ...clock });
    let text = "";
    for (let i = 0; i < 40; i++) {
      text += `word${i} `;
      writer.update(text, "⏳ working");
      await clock.sleep(100);
    }
    await writer.finish(text, "");
    const times = adapter.calls.filter((c) => c.op !== "working").map((c) => c.at);
    for (let i = 1; i < times.length; i++)
      expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(1000);
    expect(adapter.thread()).toEqual([text]);
  });

  it("continues a long answer in new messages, each within the limit, code fences balanced", async () => {
    const clock = virtualClock();
    const adapter = new MemoryAdapter(500, 1000, clock.now);
    const writer = new ReplyWriter({ adapter, question: sampleQuestion, ...clock });
    const code = `\`\`\`ts\n${Array.from({ length: 40 }, (_, i) => `const v${i} = ${i};`).join("\n")}\n\`\`\``;
    const text = `${paragraphs(3)}\n\n${code}\n\n${paragraphs(3)}`;
    for (let i = 100; i < text.length; i += 150) writer.update(text.slice(0, i), "⏳ writing");
    await writer.finish(text, "");
    const thread = adapter.thread();
    expect(thread.length).toBeGreaterThan(3);
    for (const m of thread) {
      expect(m.length).toBeLessThanOrEqual(500);
      expect((m.match(/^```/gm) ?? []).length % 2).toBe(0);
    }
    expect(
      thread
        .join("")
        .replace(/\n```\n?```ts\n/g, "\n")
        .replace(/\s+/g, ""),
    ).toContain(text.replace(/\s+/g, "").slice(0, 200));
  });

  it("waits out Retry-After on a rate limit and still shows the final text", async () => {
    const clock = virtualClock();
    const adapter = new MemoryAdapter(500, 1000, clock.now);
    adapter.failures.edit = [
      new ChatApiError("rate_limited", "429", { retryAfterMs: 7000, retryable: true }),
    ];
    const writer = new ReplyWriter({ adapter, question: sampleQuestion, ...clock });
    writer.update("", "⏳ thinking");
    await clock.sleep(10);
    await writer.finish("The answer.", "");
    const edits = adapter.calls.filter((c) => c.op === "edit");
    expect(edits).toHaveLength(2);
    expect(edits[1]!.at - edits[0]!.at).toBeGreaterThanOrEqual(7000);
    expect(adapter.thread()).toEqual(["The answer."]);
  });

  it("gives up after repeated non-retryable failures and reports the error", async () => {
    const clock = virtualClock();
    const adapter = new MemoryAdapter(500, 1000, clock.now);
    adapter.failures.post = [new ChatApiError("channel_not_found", "gone", { retryable: false })];
    const writer = new ReplyWriter({ adapter, question: sampleQuestion, ...clock });
    await expect(writer.finish("text", "")).rejects.toThrow("gone");
  });

  it("is done as soon as the thread shows the final text, without sleeping out another interval", async () => {
    const clock = virtualClock();
    const adapter = new MemoryAdapter(500, 1000, clock.now);
    const writer = new ReplyWriter({ adapter, question: sampleQuestion, ...clock });
    writer.update("", "⏳ thinking");
    await clock.sleep(10);
    const start = clock.now();
    await writer.finish("⚠️ No credits.", "");
    expect(adapter.thread()).toEqual(["⚠️ No credits."]);
    // One interval after the placeholder for the edit, and nothing after it.
    expect(clock.now() - start).toBeLessThanOrEqual(1000);
  });

  it("edits the replacement an adapter posted for a message it could not edit, also after a restart", async () => {
    const clock = virtualClock();
    const adapter = new MemoryAdapter(500, 1000, clock.now);
    const saved: WriterState[] = [];
    const first = new ReplyWriter({
      adapter,
      question: sampleQuestion,
      onProgress: (s) => saved.push(s),
      ...clock,
    });
    await first.finish("draft", "⏳ working");
    const draft = adapter.order[0] as string;
    adapter.replaceOnEdit.add(draft);
    await first.finish("draft, longer", "⏳ working");
    // A new writer from the checkpoint, as after a restart, edits the replacement in place.
    const resumed = new ReplyWriter({
      adapter,
      question: sampleQuestion,
      state: saved.at(-1),
      ...clock,
    });
    const long = `${"the final answer. ".repeat(12)}\n\n${"and its second part. ".repeat(14)}`;
    await resumed.finish(long, "");

    expect(adapter.calls.filter((c) => c.op === "edit").map((c) => c.id)).toEqual([draft, "m2"]);
    expect(adapter.order).toEqual([draft, "m2", "m3"]);
    expect(adapter.shown.get("m2")?.trim()).toBe("the final answer. ".repeat(12).trim());
    // The new message continues the replacement, which the resumed writer knew from its checkpoint.
    expect(adapter.calls.filter((c) => c.op === "post").map((c) => c.after)).toEqual([
      undefined,
      "m2",
    ]);
  });

  it("neutralises mentions through the adapter's render in every message", async () => {
    const clock = virtualClock();
    const adapter = new MemoryAdapter(500, 1000, clock.now);
    const writer = new ReplyWriter({ adapter, question: sampleQuestion, ...clock });
    await writer.finish("Hello @everyone", "");
    expect(adapter.thread()[0]).not.toContain("@everyone");
  });
});

describe("ReplyWriter (native streaming)", () => {
  it("keeps the first message as a status header and streams the answer below it", async () => {
    const clock = virtualClock();
    const adapter = new MemoryAdapter(500, 1000, clock.now);
    adapter.enableNativeStream();
    const writer = new ReplyWriter({ adapter, question: sampleQuestion, ...clock });
    writer.update("", "⏳ thinking");
    await clock.sleep(1500);
    writer.update("First line\nsecond li", "✍️ writing");
    await clock.sleep(3000);
    await writer.finish("First line\nsecond line\n", "✅ done");
    expect(adapter.thread()).toEqual(["✅ done", "First line\nsecond line\n"]);
    const appended = adapter.calls
      .filter((c) => c.op === "start" || c.op === "append")
      .map((c) => c.text);
    expect(appended.join("")).toBe("First line\nsecond line\n");
    expect(adapter.calls.some((c) => c.op === "stop")).toBe(true);
  });

  it("rotates to a new streamed message before the size limit, closing and reopening a code fence", async () => {
    const clock = virtualClock();
    const adapter = new MemoryAdapter(500, 1000, clock.now);
    adapter.enableNativeStream({ maxChars: 200 });
    const writer = new ReplyWriter({ adapter, question: sampleQuestion, ...clock });
    writer.update("", "⏳");
    await clock.sleep(1500);
    const code = `\`\`\`py\n${Array.from({ length: 30 }, (_, i) => `print(${i})`).join("\n")}\n\`\`\`\n`;
    await writer.finish(code, "✅");
    const [, ...answer] = adapter.thread();
    expect(answer.length).toBeGreaterThan(1);
    for (const m of answer) {
      expect(m.length).toBeLessThanOrEqual(200);
      expect((m.match(/^```/gm) ?? []).length % 2).toBe(0);
    }
    expect(answer[1]!.startsWith("```py\n")).toBe(true);
  });

  it("rotates before the stream's maximum age", async () => {
    const clock = virtualClock();
    const adapter = new MemoryAdapter(500, 1000, clock.now);
    adapter.enableNativeStream({ maxAgeMs: 5000 });
    const writer = new ReplyWriter({ adapter, question: sampleQuestion, ...clock });
    writer.update("", "⏳");
    await clock.sleep(1500);
    let text = "";
    for (let i = 0; i < 12; i++) {
      text += `line ${i}\n`;
      writer.update(text, "✍️");
      await clock.sleep(1000);
    }
    await writer.finish(text, "✅");
    expect(adapter.calls.filter((c) => c.op === "start").length).toBeGreaterThan(1);
    expect(adapter.thread().slice(1).join("")).toBe(text);
  });

  it("falls back to post and edit mid-answer with the code block reopened and the status kept in the header", async () => {
    const clock = virtualClock();
    const adapter = new MemoryAdapter(500, 1000, clock.now);
    adapter.enableNativeStream({ maxChars: 200, startsBeforeRefusing: 1 });
    const writer = new ReplyWriter({ adapter, question: sampleQuestion, ...clock });
    writer.update("", "⏳");
    await clock.sleep(1500);
    const code = `\`\`\`py\n${Array.from({ length: 60 }, (_, i) => `print(${i})`).join("\n")}\n\`\`\`\n`;
    await writer.finish(code, "", "✅ done");

    const [header, streamed, ...edited] = adapter.thread();
    expect(header).toBe("✅ done");
    expect(adapter.calls.filter((c) => c.op === "start")).toHaveLength(2);
    expect(edited.length).toBeGreaterThan(0);
    for (const m of [streamed!, ...edited]) expect((m.match(/^```/gm) ?? []).length % 2).toBe(0);
    expect(edited[0]!.startsWith("```py\n")).toBe(true);
    const all = [streamed, ...edited].join("\n");
    for (let i = 0; i < 60; i++) expect(all).toContain(`print(${i})`);
  });

  it("falls back to post and edit when the workspace has no native streaming", async () => {
    const clock = virtualClock();
    const adapter = new MemoryAdapter(500, 1000, clock.now);
    adapter.enableNativeStream({ unsupported: true });
    const writer = new ReplyWriter({ adapter, question: sampleQuestion, ...clock });
    writer.update("", "⏳");
    await clock.sleep(1500);
    await writer.finish("All of the answer.\n", "");
    expect(adapter.thread()).toEqual(["All of the answer.\n"]);
    const [start, ...rest] = adapter.calls.filter((c) => c.op !== "post");
    expect(start?.op).toBe("start");
    // The refused call showed nothing, so the edit follows at once, not an interval later.
    expect(rest.map((c) => [c.op, c.at])).toEqual([["edit", start!.at]]);
  });
});
