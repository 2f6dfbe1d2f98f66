/**
 * Properties of the markdown splitter over generated answers (paragraphs, headings, lists,
 * tables, quotes, fenced code with info strings, in lists and quotes too, long words,
 * emoji and other non-ASCII text, CRLF) and limits from the platforms' down to a small
 * one. Reproducible: a fixed seed; a failure prints the counterexample.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { splitMarkdown } from "../src/chat/split-markdown.ts";
import { STATUS_ROOM } from "../src/delivery/edit-plan.ts";

const SEED = 4_122_026;
const runs = (numRuns: number) => ({ seed: SEED, numRuns });

/** Slack's and Discord's limits, each also less the status line's room, and arbitrary ones. */
const limit = fc.oneof(
  fc.constantFrom(11_000, 11_000 - STATUS_ROOM, 2_000, 2_000 - STATUS_ROOM),
  fc.integer({ min: 40, max: 3_000 }),
);

const word = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom("the", "model", "source", "HTTP/3", "answer", "QUIC") },
  { weight: 2, arbitrary: fc.constantFrom("café", "naïve", "日本語", "😀", "👩‍💻", "🇫🇷", "Ωμέγα") },
  { weight: 1, arbitrary: fc.constantFrom("`inline`", "**bold**", "[link](https://x.test/a)") },
  { weight: 1, arbitrary: fc.constantFrom("zero\u200bwidth", "ｆｕｌｌ", "tab\there") },
  { weight: 1, arbitrary: fc.string({ minLength: 40, maxLength: 400, unit: "grapheme-ascii" }) },
  { weight: 1, arbitrary: fc.constantFrom("x".repeat(3_500), "🙂".repeat(900)) },
);
/** Prose never starts a line with a fence character, so a fence line is always a fence. */
const words = (max: number) =>
  fc
    .array(word, { minLength: 1, maxLength: max })
    .map((ws) => ws.join(" ").replace(/^[\s`~>#|*\-\d]+/, "") || "text");

const codeLine = fc
  .oneof(
    fc.constantFrom("let x = 1;", "print(x)", "", "  nested()", "// 😀 comment", "a".repeat(300)),
    fc.string({ maxLength: 80, unit: "grapheme-ascii" }),
  )
  .map((l) => l.replace(/[`~]/g, "'"));

function fenced(prefix: string, marker: string, lang: string, lines: string[]): string {
  return [`${marker}${lang}`, ...lines, marker].map((l) => `${prefix}${l}`).join("\n");
}

const block = fc.oneof(
  { weight: 5, arbitrary: words(80) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.integer({ min: 1, max: 3 }), words(8))
      .map(([n, w]) => `${"#".repeat(n)} ${w}`),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        fc.constantFrom("- ", "* ", "1. "),
        fc.array(words(15), { minLength: 1, maxLength: 8 }),
      )
      .map(([bullet, items]) => items.map((i) => `${bullet}${i}`).join("\n")),
  },
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        fc.constantFrom("```", "~~~", "````"),
        fc.constantFrom("", "ts", "python", "sh"),
        fc.array(codeLine, { maxLength: 60 }),
      )
      .map(([marker, lang, lines]) => fenced("", marker, lang, lines)),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(words(5), fc.array(codeLine, { maxLength: 30 }))
      .map(([w, lines]) => `1. ${w}\n\n${fenced("   ", "```", "sh", lines)}`),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(words(10), fc.array(codeLine, { maxLength: 30 }))
      .map(([w, lines]) => `> ${w}\n>\n${fenced("> ", "```", "js", lines)}`),
  },
  {
    weight: 1,
    arbitrary: fc
      .array(fc.tuple(words(3), words(6)), { minLength: 1, maxLength: 20 })
      .map((rows) => `| a | b |\n|---|---|\n${rows.map(([a, b]) => `| ${a} | ${b} |`).join("\n")}`),
  },
  {
    weight: 1,
    arbitrary: fc
      .nat({ max: 40 })
      .map(
        (n) =>
          `**Sources**\n${Array.from({ length: n + 1 }, (_, i) => `${i + 1}. [Source ${i + 1}](https://example.com/${i})`).join("\n")}`,
      ),
  },
);

/** An answer, and whether its line breaks are CRLF. An unclosed fence at the end is a streaming answer. */
const answer = fc
  .record({
    blocks: fc.array(block, { minLength: 1, maxLength: 25 }),
    joiner: fc.constantFrom("\n\n", "\n"),
    crlf: fc.boolean(),
    openTail: fc.option(fc.array(codeLine, { minLength: 1, maxLength: 40 }), { nil: undefined }),
  })
  .map(({ blocks, joiner, crlf, openTail }) => {
    const lf = blocks.join(joiner) + (openTail ? `\n\n\`\`\`py\n${openTail.join("\n")}` : "");
    return { text: crlf ? lf.replace(/\n/g, "\r\n") : lf, lf, openTail: openTail !== undefined };
  });

const FENCE_LINE = /^[ >]*(`{3,}|~{3,})/;
const fenceLines = (chunk: string) => chunk.split("\n").filter((l) => FENCE_LINE.test(l)).length;
const isFenceOnly = (line: string) => /^[ >]*(`{3,}|~{3,})$/.test(line);
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * What "the chunks give back the content" means: each message is a slice of the source
 * (CRLF read as LF), the slices in order tile it exactly, and around a slice the splitter
 * adds only what carries a code block across a cut: a closing fence line at the bottom
 * (after a line break of its own when the cut split a line), and, at the top of the next
 * message only, a reopening fence line with its info string (plus the block quote markers
 * of a split line). Returns the source rebuilt, or undefined when no reading fits.
 */
function rejoin(src: string, chunks: string[]): string | undefined {
  const search = (i: number, pos: number, reopened: boolean): string | undefined => {
    if (i === chunks.length) return pos === src.length ? "" : undefined;
    const chunk = chunks[i] ?? "";
    const starts: string[] = [chunk];
    if (reopened) {
      const nl = chunk.indexOf("\n");
      const first = chunk.slice(0, nl);
      if (nl >= 0 && FENCE_LINE.test(first)) {
        const rest = chunk.slice(nl + 1);
        starts.push(rest, rest.replace(/^[ >]*/, ""));
      }
    }
    for (const start of reopened ? starts.slice(1) : starts) {
      const lastNl = start.lastIndexOf("\n");
      const lastLine = start.slice(lastNl + 1);
      const ends: [string, boolean][] = [[start, false]];
      if (i < chunks.length - 1 && lastNl >= 0 && isFenceOnly(lastLine)) {
        ends.push([start.slice(0, lastNl + 1), true], [start.slice(0, lastNl), true]);
      }
      for (const [body, closed] of ends) {
        if (!body || !src.startsWith(body, pos)) continue;
        const rest = search(i + 1, pos + body.length, closed);
        if (rest !== undefined) return body + rest;
      }
    }
    return undefined;
  };
  return search(0, 0, false);
}

describe("splitMarkdown, for any answer and limit", () => {
  it("keeps every message within the limit, and never leaves half an emoji", () => {
    fc.assert(
      fc.property(answer, limit, ({ text }, max) => {
        for (const chunk of splitMarkdown(text, max)) {
          expect(chunk.length).toBeLessThanOrEqual(max);
          expect(chunk).not.toMatch(LONE_SURROGATE);
        }
      }),
      runs(300),
    );
  });

  it("balances the code fences of every message (all but the last, while a block is still open)", () => {
    fc.assert(
      fc.property(answer, limit, ({ text, openTail }, max) => {
        const chunks = splitMarkdown(text, max);
        const whole = openTail ? chunks.slice(0, -1) : chunks;
        for (const chunk of whole) expect(fenceLines(chunk) % 2, chunk).toBe(0);
        if (openTail) expect(fenceLines(chunks.at(-1) ?? "") % 2).toBe(1);
      }),
      runs(300),
    );
  });

  it("gives back the content: the messages are the source in order, plus fence lines at the cuts", () => {
    fc.assert(
      fc.property(answer, limit, ({ text, lf }, max) => {
        const chunks = splitMarkdown(text, max);
        expect(rejoin(lf, chunks)).toBe(lf);
      }),
      runs(300),
    );
  });

  it("never changes a message followed by another as the answer grows", () => {
    fc.assert(
      fc.property(answer, limit, fc.double({ min: 0, max: 1, noNaN: true }), ({ text }, max, f) => {
        const earlier = splitMarkdown(text.slice(0, Math.floor(text.length * f)), max);
        const later = splitMarkdown(text, max);
        const settled = Math.max(0, earlier.length - 1);
        expect(later.slice(0, settled)).toEqual(earlier.slice(0, settled));
      }),
      runs(300),
    );
  });
});

describe("the generated answers these properties run on", () => {
  it("split often, and often inside a code block, in a quote or a list, or mid-line", () => {
    const samples = fc.sample(fc.tuple(answer, limit), { seed: SEED, numRuns: 300 });
    const split = samples.map(([{ text }, max]) => splitMarkdown(text, max));
    const many = split.filter((chunks) => chunks.length > 1);
    const reopened = many.filter((chunks) => chunks.slice(1).some((c) => FENCE_LINE.test(c)));
    const quoted = many.filter((chunks) => chunks.slice(1).some((c) => c.startsWith("> ```")));
    const listed = many.filter((chunks) => chunks.slice(1).some((c) => c.startsWith("   ```")));
    expect(many.length).toBeGreaterThan(150);
    expect(reopened.length).toBeGreaterThan(50);
    expect(quoted.length).toBeGreaterThan(3);
    expect(listed.length).toBeGreaterThan(3);
  });
});

describe("the rejoin these properties rely on", () => {
  it("refuses messages that lose, repeat or invent text", () => {
    const src = "one two\n\n```ts\na\nb\n```\nend";
    expect(rejoin(src, ["one two\n\n```ts\na\n```", "```ts\nb\n```\nend"])).toBe(src);
    expect(rejoin(src, ["one two\n\n```ts\na\n```", "```ts\n```\nend"])).toBeUndefined();
    expect(rejoin(src, ["one two\n\n", "one two\n\n```ts\na\nb\n```\nend"])).toBeUndefined();
    expect(rejoin(src, ["one two\n\n```ts\na\nb\n```\nend", "more"])).toBeUndefined();
    expect(rejoin(src, ["one two\n\n```ts\na\n", "```ts\nb\n```\nend"])).toBeUndefined();
  });
});
