import type { Usage } from "../openrouter/types.ts";
import { type Source, sourcesBlock } from "./sources.ts";

/** `2m 05s`, `45s`, `1h 03m`. */
export function formatElapsed(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, "0")}m`;
}

/**
 * Elapsed time in the steps a progress line shows: 10 s under ten minutes, then minutes.
 * The line then changes about every 10 s while the model thinks, not every second, which
 * keeps status-only edits far inside the platforms' limits.
 */
export function coarseElapsed(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 600) return formatElapsed(Math.floor(s / 10) * 10_000);
  return formatElapsed(Math.floor(s / 60) * 60_000);
}

/** USD with enough digits to mean something for cheap answers. */
export function formatUsd(usd: number): string {
  if (usd === 0) return "$0";
  if (usd < 0.01) return `$${usd.toFixed(4)}`;
  if (usd < 1) return `$${usd.toFixed(3)}`;
  return `$${usd.toFixed(2)}`;
}

/**
 * The newest thing the model said it is doing, from its reasoning summary: deep research
 * streams headings like `**Searching for recent benchmarks**`; prefer the last one.
 */
export function latestThought(reasoning: string): string | undefined {
  const tail = reasoning.slice(-4000);
  const headings = [...tail.matchAll(/\*\*([^*\n]{3,120})\*\*/g)];
  const last = headings.at(-1)?.[1];
  const line =
    last ??
    tail
      .split("\n")
      .map((l) => l.trim())
      .filter(Boolean)
      .at(-1);
  if (!line) return undefined;
  const clean = line.replace(/[*_`~]/g, "").trim();
  return clean.length > 120 ? `${clean.slice(0, 117)}…` : clean;
}

/** The progress line shown while the model works. */
export function progressLine(opts: {
  phase: "queued" | "thinking" | "writing";
  /** Elapsed time as shown (see `coarseElapsed`). */
  elapsed: string;
  model: string;
  thought?: string;
  note?: string;
}): string {
  // The first line anyone sees says who answers and that it may take a while.
  const head =
    opts.phase === "writing"
      ? `✍️ _\`${opts.model}\` is writing… ${opts.elapsed}_`
      : `⏳ _Researching with \`${opts.model}\`: ${/deep-?research/i.test(opts.model) ? "deep research can take several minutes" : "this can take a minute"} · ${opts.elapsed}_`;
  const parts = [head];
  if (opts.note) parts.push(`_${opts.note}_`);
  if (opts.phase === "thinking" && opts.thought) parts.push(`_${opts.thought}_`);
  return parts.join(" · ");
}

/** What answered and what it cost, for the footer and the status header. */
export interface CostLine {
  usage?: Usage;
  /** The model that answered. */
  model: string;
  /** The model the channel asked for, when a fallback answered instead. */
  requested?: string;
  /** Why the requested model did not answer (default: it is not available). */
  requestedWhy?: "not_in_catalog" | "not_allowed";
  elapsedMs: number;
}

/**
 * Sources and what the answer cost, appended under the answer: the numbered sources, any
 * notes (a fallback model, history trimmed, images not seen), then the cost line.
 */
export function answerFooter(
  opts: CostLine & { sources: readonly Source[]; notes?: string[] },
): string {
  const blocks: string[] = [];
  const list = sourcesBlock(opts.sources);
  if (list) blocks.push(list);
  const notes = [...(opts.notes ?? [])];
  if (opts.requested && opts.requested !== opts.model)
    notes.unshift(
      `Answered by \`${opts.model}\` because \`${opts.requested}\` ${opts.requestedWhy === "not_allowed" ? "is not allowed here (ALLOWED_MODELS)" : "is not available"}; choose another with \`model=…\`.`,
    );
  if (notes.length) blocks.push(notes.map((n) => `_${n}_`).join("\n"));
  blocks.push(`_${summaryLine(opts)}_`);
  return blocks.join("\n\n");
}

/** `model · 6m 12s · $0.43 · 12,301 in / 3,210 out tokens (2,100 reasoning) · 14 web searches`. */
export function summaryLine(opts: CostLine): string {
  const model =
    opts.requested && opts.requested !== opts.model
      ? `\`${opts.model}\` (fallback for \`${opts.requested}\`)`
      : `\`${opts.model}\``;
  const parts = [model, formatElapsed(opts.elapsedMs)];
  const u = opts.usage;
  if (u?.cost !== undefined) parts.push(formatUsd(u.cost));
  if (u) {
    const reasoning = u.reasoningTokens ? ` (${count(u.reasoningTokens)} reasoning)` : "";
    parts.push(`${count(u.promptTokens)} in / ${count(u.completionTokens)} out tokens${reasoning}`);
  }
  if (u?.webSearches) parts.push(`${u.webSearches} web search${u.webSearches === 1 ? "" : "es"}`);
  return parts.join(" · ");
}

function count(n: number): string {
  return n.toLocaleString("en-US");
}
