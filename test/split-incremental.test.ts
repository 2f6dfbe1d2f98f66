import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FenceScanner, scanFences } from "../src/chat/markdown.ts";
import { MarkdownSplitter, splitMarkdown } from "../src/chat/split-markdown.ts";
import { growth, texts } from "./support/growing-answer.ts";

/** Pieces that make fences, quotes, lists, headings, long lines and CRs meet at every offset. */
const PIECES = [
  "```",
  "~~~",
  "```ts",
  "````",
  "\n",
  "\n\n",
  "\r\n",
  "> ",
  ">",
  "- ",
  "1. ",
  "  ",
  "    ",
  "\t",
  "# Heading",
  "**Sources**",
  "---",
  "|",
  "`",
  " ",
  "words of a sentence",
  "const x = 1;",
  "😀",
  "averyveryverylongwordwithoutanyspacesinit",
];

const growing = growth(PIECES, { perStep: 4, steps: 120 });

describe("MarkdownSplitter", () => {
  it("splits a growing answer exactly as splitMarkdown splits each version afresh", () => {
    fc.assert(
      fc.property(growing, fc.constantFrom(32, 45, 80, 200), (steps, maxChars) => {
        const splitter = new MarkdownSplitter(maxChars);
        for (const text of texts(steps)) {
          expect(splitter.split(text)).toEqual(splitMarkdown(text, maxChars));
        }
      }),
      { numRuns: 300 },
    );
  });

  it("keeps the settled messages of a long answer as it grows", () => {
    const paragraph = "The sources agree on this point, though the samples differ. ".repeat(8);
    const splitter = new MarkdownSplitter(1_000);
    let text = "";
    let before: string[] = [];
    for (let i = 0; i < 60; i++) {
      text += `${paragraph}\n\n${i % 5 === 2 ? "```ts\nconst a = 1;\n" : i % 5 === 3 ? "```\n\n" : ""}`;
      const chunks = splitter.split(text);
      expect(chunks).toEqual(splitMarkdown(text, 1_000));
      expect(chunks.slice(0, before.length - 1)).toEqual(before.slice(0, -1));
      before = chunks;
    }
    expect(before.length).toBeGreaterThan(20);
  });

  it("rejects a limit too small for a reopened fence", () => {
    expect(() => new MarkdownSplitter(10)).toThrow(RangeError);
  });
});

describe("FenceScanner", () => {
  it("reads a growing text exactly as scanFences reads each version", () => {
    fc.assert(
      fc.property(growing, fc.constantFrom(60, Number.POSITIVE_INFINITY), (steps, maxChars) => {
        const scanner = new FenceScanner(maxChars);
        for (const text of texts(steps)) {
          const a = scanner.scan(text);
          const b = scanFences(text, maxChars);
          expect([a.lineStarts, [...a.fenceOf], [...a.role], a.fences]).toEqual([
            b.lineStarts,
            [...b.fenceOf],
            [...b.role],
            b.fences,
          ]);
        }
      }),
      { numRuns: 300 },
    );
  });
});
