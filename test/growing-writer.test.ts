import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  discordRenderer,
  growingDiscordRenderer,
  renderDiscord,
} from "../adapters/discord/format.ts";
import { GrowingSources, StreamedSources } from "../src/answer/sources.ts";
import { GrowingText } from "../src/chat/growing-text.ts";
import { ReplyWriter } from "../src/delivery/reply-writer.ts";
import { MemoryAdapter, sampleQuestion } from "./support/memory-adapter.ts";

/** Pieces that make fences, links, held-back tails and long lines meet across edits. */
const PIECES = [
  "```",
  "```ts",
  "\n",
  "\n\n",
  "- ",
  "> ",
  "| a | b |",
  "|---|---|",
  "[RFC 9000](https://www.rfc-editor.org/rfc/rfc9000)",
  "[half](https://exa",
  "mple.com/x)",
  "<@U1",
  "@every",
  "one",
  "**",
  " ",
  "words of a sentence",
  "averyveryverylongwordwithoutanyspacesinit",
];

/** Renders as Discord does; `growing` adds the renderer for a `Tailed` text. */
function adapter(clock: () => number, growing: boolean, native: boolean): MemoryAdapter {
  const a = new MemoryAdapter(300, 1000, clock);
  // Streamed messages roll over by age here: a line longer than a small streamed message
  // inside a code block makes the native plan start and stop forever (on main too).
  if (native) a.enableNativeStream({ maxChars: 100_000, maxAgeMs: 20_000 });
  return Object.assign(a, {
    render: renderDiscord,
    renderer: discordRenderer,
    ...(growing ? { growingRenderer: growingDiscordRenderer } : {}),
  });
}

/** Streams `pieces` into a writer, as the answer loop does, and returns its calls. */
async function stream(pieces: string[], growing: boolean, native: boolean) {
  let t = 1_000_000;
  const clock = {
    now: () => t,
    sleep: async (ms: number) => {
      t += ms;
      // Lets the writer's calls run (they take no virtual time).
      for (let i = 0; i < 30; i++) await Promise.resolve();
    },
  };
  const a = adapter(clock.now, growing, native);
  const writer = new ReplyWriter({ adapter: a, question: sampleQuestion, ...clock });
  const raw = new GrowingText();
  const grown = new GrowingSources();
  const flat = new StreamedSources();
  let text = "";
  for (const p of pieces) {
    text += p;
    raw.append(p);
    const now = text;
    writer.update(growing ? () => grown.text(raw) : () => flat.text(now), "⏳ writing");
    await clock.sleep(400);
  }
  await writer.finish(`${text}\n\nend`, "", "✅ done");
  return { calls: a.calls.map((c) => [c.op, c.text]), thread: a.thread() };
}

describe("ReplyWriter with a growing text", () => {
  it("makes exactly the calls it makes when given each version whole", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom(...PIECES), { minLength: 20, maxLength: 150 }),
        fc.boolean(),
        async (pieces, native) => {
          const whole = await stream(pieces, false, native);
          expect(await stream(pieces, true, native)).toEqual(whole);
        },
      ),
      { numRuns: 100 },
    );
  }, 60_000);
});
