import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  discordRenderer,
  growingDiscordRenderer,
  renderDiscord,
} from "../adapters/discord/format.ts";
import { growingSlackRenderer, renderSlack } from "../adapters/slack/format.ts";
import { GrowingSources, numberSources } from "../src/answer/sources.ts";
import { GrowingText, type Tailed, whole } from "../src/chat/growing-text.ts";
import { MarkdownSplitter, splitMarkdown } from "../src/chat/split-markdown.ts";

/** Pieces that make fences, lists, links, tables, mentions and long lines meet at every offset. */
const PIECES = [
  "```",
  "~~~",
  "```ts",
  "\n",
  "\n\n",
  "\r\n",
  "> ",
  "- ",
  "1. ",
  "    ",
  "# Heading",
  "**Sources**",
  "| a | b |",
  "|---|---|",
  "<!here>",
  "@every",
  "one",
  "[RFC 9000](https://www.rfc-editor.org/rfc/rfc9000)",
  "[half](https://exa",
  "mple.com/x)",
  "`",
  " ",
  "words of a sentence",
  "😀",
  "averyveryverylongwordwithoutanyspacesinit",
];

const piece = fc
  .array(fc.constantFrom(...PIECES), { minLength: 1, maxLength: 4 })
  .map((p) => p.join(""));

/**
 * A `Tailed` text as a stage hands it on: the settled part grows, the tail changes freely,
 * and now and then all of it starts over (a new settled part).
 */
const steps = fc.array(
  fc.oneof(
    { weight: 10, arbitrary: piece.map((p) => ({ settle: p })) },
    { weight: 8, arbitrary: fc.array(piece, { maxLength: 2 }).map((t) => ({ tail: t.join("") })) },
    { weight: 1, arbitrary: piece.map((p) => ({ reset: p })) },
  ),
  { minLength: 1, maxLength: 80 },
);

type Step = { settle: string } | { tail: string } | { reset: string };

function tailedTexts(list: Step[]): Tailed[] {
  let settled = new GrowingText();
  let tail = "";
  return list.map((step) => {
    if ("settle" in step) settled.append(step.settle);
    else if ("tail" in step) tail = step.tail;
    else {
      settled = new GrowingText(step.reset);
      tail = "";
    }
    return { settled, tail };
  });
}

describe("GrowingText", () => {
  it("reads like the string it grows into", () => {
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 40 }), fc.nat(), (pieces, at) => {
        const g = new GrowingText();
        let s = "";
        for (const p of pieces) {
          g.append(p);
          s += p;
          const from = s.length ? at % (s.length + 1) : 0;
          expect(g.from(from)).toBe(s.slice(from));
          expect(g.from(from)).toBe(s.slice(from));
          expect(g.length).toBe(s.length);
          expect(g.lastLineStart).toBe(s.lastIndexOf("\n") + 1);
          expect(g.blank).toBe(!s.trim());
          expect(g.hasCR).toBe(s.includes("\r"));
          if (pieces.indexOf(p) % 3 === 0) expect(g.toString()).toBe(s);
        }
        expect(g.toString()).toBe(s);
      }),
      { numRuns: 300 },
    );
  });
});

describe("stages over a growing text", () => {
  it("GrowingSources marks each version exactly as numberSources does", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(piece, fc.constant("")), { minLength: 1, maxLength: 80 }),
        fc.nat(9),
        (pieces, cut) => {
          const sources = new GrowingSources();
          let raw = new GrowingText();
          for (const [i, p] of pieces.entries()) {
            // Now and then the answer starts over (a new text).
            if (i % 10 === cut) raw = new GrowingText(raw.toString().slice(0, raw.length >> 1));
            raw.append(p);
            expect(whole(sources.text(raw))).toBe(numberSources(raw.toString()).text);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("the growing renderers render each version exactly as render does", () => {
    fc.assert(
      fc.property(steps, (list) => {
        const slack = growingSlackRenderer();
        const discord = growingDiscordRenderer();
        const mixed = discordRenderer();
        for (const text of tailedTexts(list)) {
          const markdown = whole(text);
          expect(whole(slack(text))).toBe(renderSlack(markdown));
          expect(whole(discord(text))).toBe(renderDiscord(markdown));
          expect(mixed(markdown)).toBe(renderDiscord(markdown));
        }
      }),
      { numRuns: 300 },
    );
  });

  it("MarkdownSplitter.splitTailed splits each version exactly as splitMarkdown does", () => {
    fc.assert(
      fc.property(steps, fc.constantFrom(32, 45, 80, 200), fc.nat(7), (list, maxChars, mix) => {
        const splitter = new MarkdownSplitter(maxChars);
        for (const [i, text] of tailedTexts(list).entries()) {
          const markdown = whole(text);
          // Whole strings now and then, on the same splitter.
          const chunks = i % 8 === mix ? splitter.split(markdown) : splitter.splitTailed(text);
          expect(chunks).toEqual(splitMarkdown(markdown, maxChars));
        }
      }),
      { numRuns: 300 },
    );
  });
});
