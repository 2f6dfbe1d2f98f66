import type { Citation, Usage } from "../openrouter/types.ts";

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
  const head =
    opts.phase === "writing"
      ? `✍️ _Writing… ${opts.elapsed}_`
      : `⏳ _Researching with \`${opts.model}\`… ${opts.elapsed}_`;
  const parts = [head];
  if (opts.note) parts.push(`_${opts.note}_`);
  if (opts.phase === "thinking" && opts.thought) parts.push(`_${opts.thought}_`);
  return parts.join(" · ");
}

/** Sources and what the answer cost, appended under the answer. */
export function answerFooter(opts: {
  citations: Citation[];
  usage?: Usage;
  model: string;
  elapsedMs: number;
}): string {
  const lines: string[] = [];
  if (opts.citations.length) {
    lines.push("**Sources**");
    opts.citations.slice(0, 25).forEach((c, i) => {
      const title = (c.title || hostOf(c.url)).replace(/[[\]]/g, "").slice(0, 120);
      lines.push(`${i + 1}. [${title}](${c.url})`);
    });
    if (opts.citations.length > 25) lines.push(`…and ${opts.citations.length - 25} more`);
    lines.push("");
  }
  lines.push(`_${summaryLine(opts)}_`);
  return lines.join("\n");
}

/** `model · 6m 12s · $0.43 · 14 searches`. */
export function summaryLine(opts: { usage?: Usage; model: string; elapsedMs: number }): string {
  const parts = [`\`${opts.model}\``, formatElapsed(opts.elapsedMs)];
  if (opts.usage?.cost !== undefined) parts.push(formatUsd(opts.usage.cost));
  if (opts.usage?.webSearches)
    parts.push(`${opts.usage.webSearches} web search${opts.usage.webSearches === 1 ? "" : "es"}`);
  if (opts.usage) parts.push(`${opts.usage.promptTokens + opts.usage.completionTokens} tokens`);
  return parts.join(" · ");
}

function hostOf(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return url;
  }
}
