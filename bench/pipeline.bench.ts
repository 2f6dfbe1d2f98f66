/**
 * CPU per answer, through the whole pipeline (see `answer-pipeline.ts`): parse, number
 * sources, progress line, split, safe tail, render, and the platform requests at the real
 * edit cadence, over a whole deep-research answer of 1k, 10k and 100k tokens. Beside it,
 * over the same bytes: the floor (decode, SSE line split and `JSON.parse`, nothing else)
 * and the `openai` SDK's own stream parser. Runs are interleaved after a warm-up; the
 * table shows medians. `BENCH_PIPELINE_RUNS` sets the number of runs (default 5),
 * `BENCH_PIPELINE_TOKENS` the sizes (default `1000,10000,100000`).
 */
import { answerThrough, discordSink, type Sink, slackSink, TOKEN_MS } from "./answer-pipeline.ts";
import { deepResearchSse, sseResponse } from "./deep-research-sse.ts";

interface NodeProcess {
  env: Record<string, string | undefined>;
  version: string;
  getBuiltinModule(id: "node:os"): {
    cpus(): { model: string }[];
    platform(): string;
    release(): string;
  };
}
const node = process as unknown as NodeProcess;

const SIZES = (node.env.BENCH_PIPELINE_TOKENS ?? "1000,10000,100000").split(",").map(Number);
const RUNS = Number(node.env.BENCH_PIPELINE_RUNS ?? 5);

/** The least any parser must do: decode, split SSE lines, `JSON.parse` every data line. */
async function floor(bytes: Uint8Array): Promise<number> {
  const reader = sseResponse(bytes).body?.getReader();
  if (!reader) throw new Error("no body");
  const decoder = new TextDecoder();
  let rest = "";
  let parsed = 0;
  for (;;) {
    const { done, value } = await reader.read();
    const lines = (
      rest + (done ? decoder.decode() : decoder.decode(value, { stream: true }))
    ).split("\n");
    rest = lines.pop() ?? "";
    for (const line of lines) {
      if (!line.startsWith("data: ")) continue;
      const data = line.slice(6);
      if (data === "[DONE]") continue;
      JSON.parse(data);
      parsed++;
    }
    if (done) return parsed;
  }
}

interface SdkStream {
  fromSSEResponse(response: Response, controller: AbortController): AsyncIterable<unknown>;
}
// Loaded by a name tsc does not follow: the SDK's types pull in Node's, which clash with the
// Workers types this folder is checked with.
const SDK_STREAMING = "openai/streaming";
const { Stream } = (await import(SDK_STREAMING)) as { Stream: SdkStream };

/** The `openai` SDK's SSE stream over the same body, consumed to the end. */
async function sdk(bytes: Uint8Array): Promise<number> {
  let chunks = 0;
  for await (const _ of Stream.fromSSEResponse(sseResponse(bytes), new AbortController())) chunks++;
  return chunks;
}

type Scenario = { name: string; sink: () => Sink };
const SCENARIOS: Scenario[] = [
  { name: "Slack post + edit", sink: () => slackSink("C0BENCH") },
  { name: "Slack native", sink: () => slackSink("D0BENCH") },
  { name: "Discord", sink: discordSink },
];

async function time(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

/** Runs one answer into a new sink; returns its platform calls. */
async function answer(bytes: Uint8Array, s: Scenario): Promise<number> {
  const sink = s.sink();
  await answerThrough(bytes, sink);
  return sink.calls;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export async function run(): Promise<void> {
  const os = node.getBuiltinModule("node:os");
  console.log(
    `machine: ${os.cpus()[0]?.model ?? "?"}, ${os.cpus().length} cores, ${os.platform()} ${os.release()}, node ${node.version}`,
  );
  console.log(
    `virtual time: a token every ${TOKEN_MS.toFixed(1)} ms (8k tokens in 3 min), edits at each adapter's interval; ${RUNS} interleaved runs after a warm-up, medians`,
  );
  const rows = [];
  for (const tokens of SIZES) {
    const bytes = new TextEncoder().encode(deepResearchSse(tokens));
    const calls = new Map<string, number>();
    const work: [string, () => Promise<unknown>][] = [
      ["floor", () => floor(bytes)],
      ["sdk", () => sdk(bytes)],
      ...SCENARIOS.map((s): [string, () => Promise<unknown>] => [
        s.name,
        async () => calls.set(s.name, await answer(bytes, s)),
      ]),
    ];
    const times = new Map<string, number[]>(work.map(([name]) => [name, []]));
    for (const [, fn] of work) await fn();
    for (let r = 0; r < RUNS; r++) {
      // Interleaved, so a noisy moment hits every column alike.
      for (const [name, fn] of work) times.get(name)?.push(await time(fn));
    }
    const floorMs = median(times.get("floor") ?? []);
    const sdkMs = median(times.get("sdk") ?? []);
    for (const s of SCENARIOS) {
      const ms = median(times.get(s.name) ?? []);
      rows.push({
        tokens,
        "SSE KiB": Math.round(bytes.length / 1024),
        platform: s.name,
        "platform calls": calls.get(s.name),
        "floor ms": round(floorMs),
        "pipeline ms": round(ms),
        "pipeline/floor": round(ms / floorMs, 2),
        "SDK ms": round(sdkMs),
        "SDK/floor": round(sdkMs / floorMs, 2),
        "pipeline ms/1k tokens": round(ms / (tokens / 1000), 2),
      });
    }
  }
  console.table(rows);
}

function round(n: number, digits = 1): number {
  return Number(n.toFixed(digits));
}
