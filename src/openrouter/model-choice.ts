import type { ModelCatalog, ModelInfo } from "./types.ts";

/**
 * Deep-research models OpenRouter lists now, closest to `openai/o4-mini-deep-research` first
 * (OpenAI shut that and `o3-deep-research` down on 2026-07-23):
 * - `perplexity/sonar-deep-research`: the same kind of model (plans, searches for minutes,
 *   writes a cited report) at the same $2/M in, $8/M out, plus $5 per 1,000 searches.
 * - `perplexity/sonar-pro-search`: Perplexity's agentic multi-step search, OpenRouter only.
 * - `perplexity/sonar-reasoning-pro`: reasoning with built-in search and citations; one pass.
 * Three, because OpenRouter's `models` array takes at most three ids.
 */
export const DEFAULT_FALLBACK_MODELS: readonly string[] = [
  "perplexity/sonar-deep-research",
  "perplexity/sonar-pro-search",
  "perplexity/sonar-reasoning-pro",
];

export interface ChooseModelOptions {
  /** The channel's model (or the default one). */
  requested: string;
  /** Tried in order when the catalog lacks `requested` or it is not allowed. */
  fallbacks: readonly string[];
  catalog: ModelCatalog;
  /** `ALLOWED_MODELS`; undefined or empty means any model. */
  allowed?: readonly string[];
}

export type ModelChoice =
  | {
      model: ModelInfo;
      requested: string;
      /** Set when a fallback answers: the id that could not (the footer says so). */
      fallbackFrom?: string;
      /** Why `fallbackFrom` was passed over. */
      why?: "not_in_catalog" | "not_allowed";
    }
  | { missing: string; tried: string[] };

/**
 * The model to ask: `requested` when the catalog lists it and it is allowed, else the first
 * fallback that is. Catalog errors propagate (the caller decides whether to ask anyway).
 */
export async function chooseModel(opts: ChooseModelOptions): Promise<ModelChoice> {
  const allowed = opts.allowed?.filter((id) => id.trim()).map((id) => id.trim().toLowerCase());
  const isAllowed = (id: string) => !allowed?.length || allowed.includes(id.toLowerCase());
  const tried: string[] = [];
  let why: "not_in_catalog" | "not_allowed" | undefined;
  for (const id of [opts.requested, ...opts.fallbacks].map((m) => m.trim())) {
    if (!id || tried.includes(id)) continue;
    tried.push(id);
    const ok = isAllowed(id);
    const model = ok ? await opts.catalog.get(id) : undefined;
    if (model) {
      if (id === opts.requested.trim()) return { model, requested: opts.requested };
      return { model, requested: opts.requested, fallbackFrom: opts.requested, why };
    }
    why ??= ok ? "not_in_catalog" : "not_allowed";
  }
  return { missing: opts.requested, tried };
}

/**
 * Up to `n` catalog ids close to a mistyped `id`: ids containing it or its name part first,
 * then the smallest edit distance, for a "did you mean …" line.
 */
export async function closeModelMatches(
  catalog: ModelCatalog,
  id: string,
  n: number,
): Promise<string[]> {
  const wanted = id.trim().toLowerCase();
  if (!wanted || n <= 0) return [];
  const tail = wanted.slice(wanted.lastIndexOf("/") + 1);
  const all = await catalog.search("", Number.MAX_SAFE_INTEGER);
  const scored = all.map((m, index) => {
    const mid = m.id.toLowerCase();
    const mtail = mid.slice(mid.lastIndexOf("/") + 1);
    if (mid.includes(wanted) || (tail.length >= 3 && mtail.includes(tail))) {
      return { id: m.id, score: -1, index };
    }
    const distance = Math.min(editDistance(wanted, mid), editDistance(tail, mtail));
    return { id: m.id, score: distance, index };
  });
  // More than a third of the name changed is a different model, not a typo.
  const limit = Math.max(2, Math.floor(tail.length / 3));
  return scored
    .filter((s) => s.score <= limit)
    .sort((a, b) => a.score - b.score || a.index - b.index)
    .slice(0, n)
    .map((s) => s.id);
}

/** Levenshtein distance, two rows at a time. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
}
