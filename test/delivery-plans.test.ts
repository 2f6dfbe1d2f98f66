import { describe, expect, it } from "vitest";
import { desiredMessages, planEdit, planHeader } from "../src/delivery/edit-plan.ts";
import { fitPiece, planNative } from "../src/delivery/native-plan.ts";

const none = new Set<number>();
const base = { offset: 0, index: 0 };
const view = (body: string, status = "", final = false) => ({ body, status, final });

describe("planEdit (post and edit)", () => {
  it("posts the progress line alone before any text", () => {
    expect(
      planEdit(view("", "⏳ thinking"), { messages: [], shown: [], lost: none }, base, 500),
    ).toEqual({ op: "post", index: 0, text: "⏳ thinking" });
  });

  it("edits the first message that differs, with the status under the last one", () => {
    const now = { messages: [{ id: "m1" }], shown: ["⏳ thinking"], lost: none };
    expect(planEdit(view("QUIC is", "✍️ writing"), now, base, 500)).toEqual({
      op: "edit",
      index: 0,
      text: "QUIC is\n\n✍️ writing",
    });
    const done = { ...now, shown: ["QUIC is\n\n✍️ writing"] };
    expect(planEdit(view("QUIC is", "✍️ writing"), done, base, 500)).toBeUndefined();
  });

  it("shows text word by word but holds back a half-typed mention", () => {
    const now = { messages: [{ id: "m1" }], shown: [""], lost: none };
    expect(planEdit(view("tell <@U1", ""), now, base, 500)).toMatchObject({ text: "tell " });
  });

  it("posts a lost (deleted) message anew instead of editing it", () => {
    const now = { messages: [{ id: "m1" }], shown: ["old"], lost: new Set([0]) };
    expect(planEdit(view("new", ""), now, base, 500)).toEqual({
      op: "post",
      index: 0,
      text: "new",
    });
  });

  it("continues past the limit in a new message, closing and reopening a code block", () => {
    const code = `\`\`\`ts\n${Array.from({ length: 60 }, (_, i) => `const v${i} = ${i};`).join("\n")}\n\`\`\``;
    const chunks = desiredMessages(view(code, "", true), base, 500);
    expect(chunks.length).toBeGreaterThan(1);
    for (const c of chunks) {
      expect(c.length).toBeLessThanOrEqual(300);
      expect((c.match(/^```/gm) ?? []).length % 2).toBe(0);
    }
    expect(chunks[1]?.startsWith("```ts\n")).toBe(true);
  });

  it("marks the last edit of a full message whose successor is still to post, and only that", () => {
    const long = `${"word ".repeat(70)}\n\n${"more ".repeat(40)}`;
    const [first] = desiredMessages(view(long, "✍️"), base, 500);
    const now = { messages: [{ id: "m1" }], shown: ["old"], lost: none };
    expect(planEdit(view(long, "✍️"), now, base, 500)).toEqual({
      op: "edit",
      index: 0,
      text: first,
      closes: true,
    });
    // Its successor is posted already: a later edit of the first message closes nothing.
    const both = { messages: [{ id: "m1" }, { id: "m2" }], shown: ["old", "x"], lost: none };
    expect(planEdit(view(long, "✍️"), both, base, 500)).not.toHaveProperty("closes");
  });

  it("closes a code block still open in the last message while the answer grows", () => {
    const [only] = desiredMessages(view("```py\nprint(1)\n", "✍️"), base, 500);
    expect(only).toBe("```py\nprint(1)\n```\n\n✍️");
  });
});

describe("the Stop control", () => {
  it("rides on the message with the progress line while the answer runs, and goes at the end", () => {
    const now = { messages: [{ id: "m1" }], shown: ["⏳"], lost: none };
    const running = { ...view("QUIC is", "✍️"), stop: "q1" };
    expect(planEdit(running, now, base, 500)).toMatchObject({
      op: "edit",
      controls: { stop: { questionId: "q1" } },
    });
    const done = planEdit(view("QUIC is.", "", true), now, base, 500);
    expect(done).toEqual({ op: "edit", index: 0, text: "QUIC is." });
    expect(planHeader("⏳ thinking", { ...now, shown: [""] }, "q1")).toMatchObject({
      controls: { stop: { questionId: "q1" } },
    });
  });

  it("is on the last message only when the answer spans several", () => {
    const long = `${"A line of the answer.\n".repeat(40)}`;
    const now = { messages: [{ id: "m1" }], shown: ["x"], lost: none };
    const first = planEdit({ ...view(long, "✍️"), stop: "q1" }, now, base, 500);
    expect(first).toMatchObject({ op: "edit", index: 0 });
    expect(first).not.toHaveProperty("controls");
  });
});

describe("planHeader", () => {
  it("edits the status message above a streamed answer, or posts it anew when lost", () => {
    const now = { messages: [{ id: "h" }], shown: ["⏳"], lost: none };
    expect(planHeader("✅ done", now)).toEqual({ op: "edit", index: 0, text: "✅ done" });
    expect(planHeader("⏳", now)).toBeUndefined();
    expect(planHeader("✅", { ...now, lost: new Set([0]) })).toEqual({
      op: "post",
      index: 0,
      text: "✅",
    });
  });
});

describe("planNative (text appended is final)", () => {
  const limits = { maxChars: 200, maxAgeMs: 60_000 };

  it("starts a stream with what is safe, then appends word by word without waiting for a line end", () => {
    expect(planNative(view("QUIC is a tra"), { end: 0 }, limits, 0)).toEqual({
      op: "stream.start",
      start: 0,
      length: 13,
      prefix: "",
      text: "QUIC is a tra",
    });
    const open = { index: 1, openedAt: 0, start: 0, appended: 13, prefix: "" };
    expect(planNative(view("QUIC is a transport <@U"), { open, end: 0 }, limits, 1000)).toEqual({
      op: "stream.append",
      length: 7,
      text: "nsport ",
    });
  });

  it("stops the stream at the end of the answer, and before it is too old", () => {
    const open = { index: 1, openedAt: 0, start: 0, appended: 5, prefix: "" };
    expect(planNative(view("Done.", "", true), { open, end: 0 }, limits, 10)).toEqual({
      op: "stream.stop",
    });
    // Text still waits: the next message may start right after this stop.
    expect(planNative(view("Done. More"), { open, end: 0 }, limits, 61_000)).toEqual({
      op: "stream.stop",
      closes: true,
    });
  });

  it("closes a code block the stopped message leaves open, and reopens it in the next", () => {
    const body = `\`\`\`py\n${"print(1)\n".repeat(30)}`;
    const open = { index: 1, openedAt: 0, start: 0, appended: 186, prefix: "" };
    expect(planNative(view(body), { open, end: 0 }, limits, 10)).toEqual({
      op: "stream.stop",
      closing: "\n```",
      closes: true,
    });
    const next = planNative(view(body), { end: 186 }, limits, 10);
    expect(next).toMatchObject({ op: "stream.start", start: 186, prefix: "```py\n" });
  });

  it("closes and reopens a code block of a list item at the item's indent", () => {
    // At column 0 the closer would end the list item and open a new block instead.
    const body = `1. Install:\n\n   \`\`\`sh\n${"   npm i\n".repeat(30)}`;
    const open = { index: 1, openedAt: 0, start: 0, appended: 190, prefix: "" };
    expect(planNative(view(body), { open, end: 0 }, limits, 10)).toEqual({
      op: "stream.stop",
      closing: "\n   ```",
      closes: true,
    });
    const next = planNative(view(body), { end: 190 }, limits, 10);
    expect(next).toMatchObject({ op: "stream.start", start: 190, prefix: "   ```sh\n" });
  });

  it("ends a full message at a line break, never mid-line", () => {
    const open = { index: 1, openedAt: 0, start: 0, appended: 180, prefix: "" };
    const body = `${"x".repeat(180)}a line that does not fit`;
    expect(planNative(view(body), { open, end: 0 }, limits, 10)).toEqual({
      op: "stream.stop",
      closes: true,
    });
  });

  it("fitPiece cuts a line longer than a whole message at a space, else anywhere but inside an emoji", () => {
    expect(fitPiece("one two three", 9, true)).toBe("one two ");
    expect(fitPiece("one two three", 9, false)).toBe("");
    expect(fitPiece("abc\ndef ghi", 9, false)).toBe("abc\n");
    expect(fitPiece(`${"a".repeat(4)}😀`, 5, true)).toBe("aaaa");
  });
});
