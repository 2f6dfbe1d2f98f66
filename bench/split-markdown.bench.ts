import { renderableTail, splitMarkdown } from "../src/chat/split-markdown.ts";

interface NodeProcess {
  memoryUsage(): { heapUsed: number };
}

const node = process as NodeProcess;

/** Streaming loop cadence: one split per this many characters appended. */
const STEP = 200;
const SIZES = [2_000, 20_000, 100_000];
/** Slack's practical update limit and Discord's message limit. */
const LIMITS = [3_900, 2_000];

/** A deep-research-like answer: prose with links, fenced code, tables and lists. */
function answer(chars: number): string {
  const parts: string[] = [];
  for (let i = 0; parts.join("\n\n").length < chars; i++) {
    parts.push(
      `## Finding ${i}\n\nThe sources agree on point ${i} ([source ${i}](https://example.com/${i})), though the newest study measures a smaller effect and the older ones used different samples.`,
    );
    if (i % 2 === 0) {
      const code = Array.from(
        { length: 25 },
        (_, j) => `  const step${j} = await run(${j}, { retries: 3 });`,
      );
      parts.push(`\`\`\`ts\nasync function finding${i}() {\n${code.join("\n")}\n}\n\`\`\``);
    }
    if (i % 3 === 0) {
      const rows = Array.from(
        { length: 12 },
        (_, j) => `| study ${j} | ${2010 + j} | ${(j * 0.37).toFixed(2)} |`,
      );
      parts.push(`| study | year | effect |\n|---|---|---|\n${rows.join("\n")}`);
    }
    parts.push(
      Array.from({ length: 6 }, (_, j) => `- caveat ${j}: samples differ in size and method`).join(
        "\n",
      ),
    );
  }
  return parts.join("\n\n").slice(0, chars);
}

function measure(text: string, maxChars: number) {
  let calls = 0;
  let worstMs = 0;
  let chunks = 0;
  const heapBefore = node.memoryUsage().heapUsed;
  let heapPeak = heapBefore;
  const started = performance.now();
  for (let n = STEP; n < text.length + STEP; n += STEP) {
    const t0 = performance.now();
    const parts = splitMarkdown(text.slice(0, n), maxChars);
    renderableTail(parts.at(-1) ?? "");
    worstMs = Math.max(worstMs, performance.now() - t0);
    chunks = parts.length;
    calls++;
    if (calls % 25 === 0) heapPeak = Math.max(heapPeak, node.memoryUsage().heapUsed);
  }
  const totalMs = performance.now() - started;
  return { calls, totalMs, worstMs, chunks, heapMb: (heapPeak - heapBefore) / 2 ** 20 };
}

export async function run(): Promise<void> {
  const rows: Record<string, string | number>[] = [];
  for (const size of SIZES) {
    const text = answer(size);
    for (const limit of LIMITS) {
      measure(text, limit); // warm-up: JIT and marked's regexes
      const m = measure(text, limit);
      rows.push({
        "answer chars": size,
        "max chars": limit,
        messages: m.chunks,
        calls: m.calls,
        "ops/s": Math.round((m.calls / m.totalMs) * 1000),
        "mean ms/call": Number((m.totalMs / m.calls).toFixed(3)),
        "worst ms/call": Number(m.worstMs.toFixed(3)),
        "heap growth MB": Number(m.heapMb.toFixed(1)),
      });
    }
  }
  console.log(
    `splitMarkdown + renderableTail on a growing answer, once per ${STEP} chars appended`,
  );
  console.table(rows);
}
