/**
 * The OpenRouter fake streams the way real models do: token-sized deltas whose line breaks
 * lead the next word, and streams that stall mid-answer until the client gives up.
 */
import { describe, expect, it } from "vitest";
import { streamChat } from "../src/openrouter/chat-stream.ts";
import type { StreamEvent } from "../src/openrouter/types.ts";
import { FAKE_OPENROUTER_URL, FakeOpenRouter, tokenDeltas } from "./fakes/openrouter.ts";

const ANSWER = [
  "## QUIC in short",
  "",
  "QUIC runs over UDP and carries TLS 1.3 inside its own handshake, so a new",
  "connection needs one round trip.",
  "",
  "- Streams are independent: loss on one never stalls the others.",
  "- Connection IDs survive a change of network.",
  "",
  "```ts",
  "const frame = encode({ stream: 4, offset: 1200 });",
  "```",
].join("\n");

/** The `delta.content` of every chunk the fake streams for one scripted reply. */
async function contentDeltas(fake: FakeOpenRouter): Promise<string[]> {
  const res = await fake.handle(
    new Request(`${FAKE_OPENROUTER_URL}/chat/completions`, {
      method: "POST",
      body: JSON.stringify({ model: "openai/o4-mini", stream: true, messages: [] }),
    }),
  );
  const sse = await res.text();
  return sse
    .split("\n\n")
    .filter((frame) => frame.startsWith("data: {"))
    .map((frame) => JSON.parse(frame.slice(6)) as { choices?: { delta?: { content?: string } }[] })
    .map((chunk) => chunk.choices?.[0]?.delta?.content ?? "")
    .filter((content) => content !== "");
}

describe("tokenDeltas", () => {
  it("cuts text into 1–4 words a delta that join back to it exactly", () => {
    const deltas = tokenDeltas(ANSWER, 7);
    expect(deltas.join("")).toBe(ANSWER);
    expect(deltas.length).toBeGreaterThan(10);
    for (const delta of deltas) {
      const words = delta.trim().split(/\s+/);
      expect(words.length).toBeGreaterThanOrEqual(1);
      expect(words.length).toBeLessThanOrEqual(4);
    }
  });

  it("puts a line break before the next word, never at a delta's end, unless the text ends there", () => {
    const deltas = tokenDeltas(ANSWER, 3);
    expect(deltas.filter((d) => d.endsWith("\n"))).toEqual([]);
    // Line breaks and spaces travel inside deltas.
    expect(deltas.some((d) => /^\n+\S/.test(d))).toBe(true);
    expect(deltas.some((d) => /\S \S/.test(d))).toBe(true);
    expect(tokenDeltas("one two\n", 1).at(-1)?.endsWith("\n")).toBe(true);
  });

  it("cuts the same way for a seed, and another way for another seed", () => {
    expect(tokenDeltas(ANSWER, 5)).toEqual(tokenDeltas(ANSWER, 5));
    expect(tokenDeltas(ANSWER, 5)).not.toEqual(tokenDeltas(ANSWER, 6));
    expect(tokenDeltas("")).toEqual([]);
    expect(tokenDeltas("  \n")).toEqual(["  \n"]);
  });
});

describe("fake OpenRouter streams", () => {
  it("streams a `words` reply as token-sized deltas of the joined text", async () => {
    const fake = new FakeOpenRouter().reply({
      text: [ANSWER.slice(0, 40), ANSWER.slice(40)],
      words: true,
    });
    const deltas = await contentDeltas(fake);
    expect(deltas.join("")).toBe(ANSWER);
    expect(deltas.length).toBeGreaterThan(10);
    expect(deltas.filter((d) => d.endsWith("\n"))).toEqual([]);
  });

  it("keeps plain `text` replies one chunk per entry", async () => {
    const fake = new FakeOpenRouter().reply({ text: ["line one\n", "line two\n"] });
    expect(await contentDeltas(fake)).toEqual(["line one\n", "line two\n"]);
  });

  it("sends `hangAfter` frames, then nothing until the request is aborted, then fails the read", async () => {
    const fake = new FakeOpenRouter().reply({ keepalives: 2, text: ["never sent"], hangAfter: 3 });
    const controller = new AbortController();
    const res = await fake.handle(
      new Request(`${FAKE_OPENROUTER_URL}/chat/completions`, {
        method: "POST",
        body: JSON.stringify({ model: "openai/o4-mini", stream: true, messages: [] }),
        signal: controller.signal,
      }),
    );
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    const frames: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { value } = await reader.read();
      frames.push(decoder.decode(value));
    }
    expect(frames.slice(0, 2)).toEqual([
      ": OPENROUTER PROCESSING\n\n",
      ": OPENROUTER PROCESSING\n\n",
    ]);
    expect(frames[2]).toMatch(/^data: \{/);
    let outcome: unknown = "pending";
    const next = reader.read().then(
      (r) => {
        outcome = r;
      },
      (e: unknown) => {
        outcome = e;
      },
    );
    await new Promise((r) => setTimeout(r, 50));
    expect(outcome).toBe("pending");
    const reason = new Error("watchdog");
    controller.abort(reason);
    await next;
    expect(outcome).toBe(reason);
    expect(fake.requests[0]?.aborted).toBe(true);
  });

  it("lets Quarry's own client give up on a stream that hangs mid-answer", async () => {
    const fake = new FakeOpenRouter().reply({
      text: tokenDeltas("An answer that stops here"),
      hangAfter: 3,
    });
    const controller = new AbortController();
    const events: StreamEvent[] = [];
    const run = (async () => {
      for await (const event of streamChat(
        { model: "openai/o4-mini", messages: [{ role: "user", content: "q" }] },
        {
          baseUrl: FAKE_OPENROUTER_URL,
          apiKey: "sk-or-test",
          model: undefined,
          fetch: (input, init) => fake.handle(new Request(input, init)),
          signal: controller.signal,
        },
      ))
        events.push(event);
    })().catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 50));
    controller.abort(new Error("stop"));
    expect(await run).toBeInstanceOf(Error);
    const text = events.map((e) => (e.type === "text" ? e.text : "")).join("");
    expect("An answer that stops here".startsWith(text)).toBe(true);
    expect(text.length).toBeGreaterThan(0);
    expect(fake.requests[0]?.aborted).toBe(true);
  });
});
