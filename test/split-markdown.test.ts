import { Lexer, type Tokens } from "marked";
import { describe, expect, it } from "vitest";
import { renderableTail, splitMarkdown } from "../src/chat/split-markdown.ts";

const FENCE_LINE = /^[ >]*(`{3,}|~{3,})/;

/** Lines of code of roughly `width` characters. */
function codeLines(count: number, width = 40): string {
  return Array.from({ length: count }, (_, i) => `let v${i} = ${"x".repeat(width - 12)};`).join(
    "\n",
  );
}

function paragraph(words: number, seed = 0): string {
  const pool = ["research", "model", "answer", "source", "thread", "citation", "limit", "chunk"];
  return Array.from({ length: words }, (_, i) => pool[(i * 7 + seed) % pool.length]).join(" ");
}

const ANSWER = [
  "# Findings",
  paragraph(60, 1),
  `\`\`\`ts\n${codeLines(30)}\n\`\`\``,
  paragraph(40, 2),
  `| source | claim | year |\n|---|---|---|\n${Array.from({ length: 25 }, (_, i) => `| [s${i}](https://example.com/${i}) | claim number ${i} | 20${10 + (i % 15)} |`).join("\n")}`,
  Array.from({ length: 15 }, (_, i) => `- point ${i}: ${paragraph(8, i)}`).join("\n"),
  `\`\`\`python\n${codeLines(20, 30)}\n\`\`\``,
  paragraph(80, 3),
].join("\n\n");

/**
 * Undoes what the splitter adds at a cut inside a code block: a closing fence line
 * without a trailing newline at the end of a message, and the reopening line at the top
 * of the next one. (Valid for cuts at line breaks, the only ones these texts need.)
 */
function rejoin(chunks: string[]): string {
  let out = "";
  let reopened = false;
  chunks.forEach((chunk, i) => {
    let body = reopened ? chunk.slice(chunk.indexOf("\n") + 1) : chunk;
    const lastLine = body.slice(body.lastIndexOf("\n") + 1);
    reopened =
      i < chunks.length - 1 &&
      FENCE_LINE.test(lastLine) &&
      lastLine.trim() === lastLine.trim().replace(/[^`~]/g, "");
    if (reopened) body = body.slice(0, body.length - lastLine.length);
    out += body;
  });
  return out;
}

/** Fence lines in a message, counted without the splitter's own logic: even means balanced. */
function fenceLines(chunk: string): number {
  return chunk.split("\n").filter((line) => FENCE_LINE.test(line)).length;
}

describe("splitMarkdown", () => {
  it("keeps every message within the limit", () => {
    for (const max of [120, 500, 2000]) {
      const chunks = splitMarkdown(ANSWER, max);
      expect(chunks.length).toBeGreaterThan(1);
      for (const chunk of chunks) expect(chunk.length).toBeLessThanOrEqual(max);
    }
  });

  it("returns short text whole, and nothing for empty text", () => {
    expect(splitMarkdown("Short answer.", 2000)).toEqual(["Short answer."]);
    expect(splitMarkdown("", 2000)).toEqual([]);
  });

  it("reproduces the text when the messages are joined, minus the fence lines it added", () => {
    for (const max of [150, 500, 2000]) {
      expect(rejoin(splitMarkdown(ANSWER, max))).toBe(ANSWER);
    }
  });

  it("balances code fences in every message and reopens them with their info string", () => {
    const chunks = splitMarkdown(ANSWER, 500);
    const insideCode = chunks.filter((c) => c.startsWith("```"));
    expect(insideCode.length).toBeGreaterThan(1);
    for (const chunk of chunks) expect(fenceLines(chunk) % 2).toBe(0);
    for (const chunk of insideCode) expect(chunk.split("\n")[0]).toMatch(/^```(ts|python)$/);
  });

  it("prefers a paragraph break to a later line break", () => {
    const first = paragraph(25);
    const lines = Array.from({ length: 10 }, (_, i) => `line ${i} ${paragraph(3, i)}`).join("\n");
    const text = `${first}\n\n${lines}`;
    const max = first.length + 60;
    expect(lines.length).toBeGreaterThan(60);
    const [chunk] = splitMarkdown(text, max);
    expect(chunk).toBe(`${first}\n\n`);
  });

  it("ends at a line break when no paragraph break leaves the message half full", () => {
    const text = `intro\n\n${Array.from({ length: 20 }, (_, i) => `- item ${i} ${paragraph(4, i)}`).join("\n")}`;
    const [chunk] = splitMarkdown(text, 300);
    expect(chunk?.endsWith("\n")).toBe(true);
    expect(chunk?.length).toBeGreaterThan(150);
    expect(chunk?.endsWith("\n\n")).toBe(false);
  });

  it("never splits a table row or a list item line", () => {
    const rows = ANSWER.split("\n").filter((l) => l.startsWith("|") || l.startsWith("- point"));
    for (const max of [120, 300, 700]) {
      const lines = splitMarkdown(ANSWER, max).flatMap((c) => c.split("\n"));
      for (const row of rows) expect(lines).toContain(row);
    }
  });

  it("never changes a message that is followed by another as the text grows", () => {
    for (const [max, step] of [
      [300, 1],
      [700, 3],
      [2000, 11],
    ] as const) {
      let previous: string[] = [];
      for (let n = 0; n <= ANSWER.length; n += step) {
        const chunks = splitMarkdown(ANSWER.slice(0, n), max);
        // Every message but the last was already full: it must survive the growth intact.
        expect(chunks.slice(0, previous.length - 1)).toEqual(previous.slice(0, -1));
        previous = chunks;
      }
    }
  });

  it("splits a single 10,000-character line at word boundaries", () => {
    const line = paragraph(1_500).slice(0, 10_000);
    expect(line.length).toBe(10_000);
    const chunks = splitMarkdown(line, 2000);
    expect(chunks.join("")).toBe(line);
    // Cutting at spaces wastes a few characters per message, never a whole message.
    expect(chunks).toHaveLength(6);
    for (const chunk of chunks.slice(0, -1)) {
      expect(chunk.length).toBeLessThanOrEqual(2000);
      expect(chunk.endsWith(" ")).toBe(true);
    }
  });

  it("hard-cuts a line without spaces, never between the halves of an emoji", () => {
    const line = "🙂".repeat(3000);
    const chunks = splitMarkdown(line, 1001);
    expect(chunks.join("")).toBe(line);
    for (const chunk of chunks) {
      expect(chunk.length).toBeLessThanOrEqual(1001);
      expect(chunk).not.toMatch(/[\uD800-\uDBFF]$/);
    }
  });

  it("spreads a 5,000-character code block over three messages that each render as code", () => {
    const code = `\`\`\`ts\n${codeLines(125)}\n\`\`\``;
    expect(code.length).toBeGreaterThan(5000);
    const chunks = splitMarkdown(code, 2000);
    expect(chunks).toHaveLength(3);
    for (const chunk of chunks) {
      const tokens = new Lexer().lex(chunk);
      expect(tokens.map((t) => t.type)).toEqual(["code"]);
      expect((tokens[0] as Tokens.Code).lang).toBe("ts");
      expect(chunk.endsWith("```")).toBe(true);
    }
    expect(rejoin(chunks)).toBe(code);
  });

  it("closes a code block inside a list item with its indent, and reopens it", () => {
    const text = `1. Install:\n\n   \`\`\`sh\n${Array.from({ length: 40 }, (_, i) => `   npm install package-${i}`).join("\n")}\n   \`\`\`\n2. Done.`;
    const chunks = splitMarkdown(text, 400);
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks[0]?.endsWith("\n   ```")).toBe(true);
    expect(chunks[1]?.startsWith("   ```sh\n")).toBe(true);
    for (const chunk of chunks) expect(fenceLines(chunk) % 2).toBe(0);
    expect(rejoin(chunks)).toBe(text);
  });

  it("refuses a limit too small to hold a reopened fence", () => {
    expect(() => splitMarkdown(ANSWER, 10)).toThrow(RangeError);
  });
});

describe("renderableTail", () => {
  it("closes a code fence left open", () => {
    expect(renderableTail("Look:\n```py\nprint(1)")).toBe("Look:\n```py\nprint(1)\n```");
    expect(renderableTail("Look:\n```py\nprint(1)\n")).toBe("Look:\n```py\nprint(1)\n```");
  });

  it("completes a closing fence that is half typed instead of adding another", () => {
    expect(renderableTail("```py\nprint(1)\n``")).toBe("```py\nprint(1)\n```");
  });

  it("closes with the opener's marker and the list item's indent", () => {
    expect(renderableTail("- step\n  ````js\n  run()")).toBe("- step\n  ````js\n  run()\n  ````");
  });

  it("leaves closed fences and all other markdown alone", () => {
    const done = "Text with **bold that never closes and a [link](https://x.test\n```\ncode\n```\n";
    expect(renderableTail(done)).toBe(done);
    expect(renderableTail("just *text")).toBe("just *text");
  });
});

describe("splitMarkdown keeps a heading with what it heads", () => {
  it("never ends a message right after the Sources heading, and loses no source", () => {
    const sources = Array.from(
      { length: 30 },
      (_, i) => `${i + 1}. [Source ${i + 1}](https://example.com/${i + 1})`,
    );
    for (let pad = 0; pad < 400; pad += 7) {
      const text = `${"word ".repeat(60 + pad)}\n**Sources**\n${sources.join("\n")}`;
      const chunks = splitMarkdown(text, 500);
      for (const c of chunks) expect(c.trimEnd().endsWith("**Sources**")).toBe(false);
      const all = chunks.join("\n");
      for (const line of sources) expect(all).toContain(line);
    }
  });
});
