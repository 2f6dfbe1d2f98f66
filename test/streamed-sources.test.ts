import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { numberSources, StreamedSources } from "../src/answer/sources.ts";

const PIECES = [
  "[RFC 9000](https://www.rfc-editor.org/rfc/rfc9000)",
  "[again](https://www.rfc-editor.org/rfc/rfc9000/)",
  "[Foo](https://en.wikipedia.org/wiki/Foo_(bar))",
  "[half](https://exa",
  "mple.com/x)",
  "![img](https://example.com/i.png)",
  "`[code](https://example.com/c)`",
  "```",
  "\n",
  "\n\n",
  "- ",
  "> ",
  "text ",
  "](",
  "[",
  ")",
];

describe("StreamedSources", () => {
  it("marks a growing answer exactly as numberSources marks each version afresh", () => {
    const step = fc.oneof(
      {
        weight: 19,
        arbitrary: fc.array(fc.constantFrom(...PIECES), { minLength: 1, maxLength: 3 }),
      },
      { weight: 1, arbitrary: fc.double({ min: 0, max: 1, noNaN: true }) },
    );
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 80 }), (steps) => {
        const sources = new StreamedSources();
        let text = "";
        for (const s of steps) {
          text =
            typeof s === "number" ? text.slice(0, Math.floor(s * text.length)) : text + s.join("");
          expect(sources.text(text)).toBe(numberSources(text).text);
        }
      }),
      { numRuns: 300 },
    );
  });
});
