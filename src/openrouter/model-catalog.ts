import { errorFromResponse, OpenRouterError } from "./openrouter-error.ts";
import type { Effort, ModelCatalog, ModelInfo } from "./types.ts";

export interface ModelCatalogOptions {
  baseUrl: string;
  apiKey?: string;
  fetch?: typeof fetch;
  /** Shares the list across isolates, so a cold one does not refetch. */
  kv?: KVNamespace;
  /** How long a fetched list counts as fresh. */
  ttlMs?: number;
  now?: () => number;
}

interface CachedModels {
  baseUrl: string;
  fetchedAt: number;
  models: ModelInfo[];
}

export const MODELS_KV_KEY = "cache:models";
const TTL_MS = 10 * 60_000;
// Kept longer than the freshness TTL so a failed refresh can still fall back on it.
const KV_TTL_SECONDS = 3600;
const EFFORTS: readonly Effort[] = ["minimal", "low", "medium", "high"];

const memory = new Map<string, CachedModels>();
const inflight = new Map<string, Promise<ModelInfo[]>>();

/** Forgets the in-memory copies (tests start from a cold isolate with it). */
export function clearModelCatalogCache(): void {
  memory.clear();
  inflight.clear();
}

/** The OpenRouter model list, cached in memory and in KV; a stale copy beats an error. */
export function createModelCatalog(opts: ModelCatalogOptions): ModelCatalog {
  const ttlMs = opts.ttlMs ?? TTL_MS;
  const now = opts.now ?? Date.now;
  const fresh = (entry: CachedModels) => now() - entry.fetchedAt < ttlMs;

  async function load(): Promise<ModelInfo[]> {
    let best = memory.get(opts.baseUrl);
    if (best && fresh(best)) return best.models;
    const stored = opts.kv ? await readKv(opts.kv, opts.baseUrl) : undefined;
    if (stored && (!best || stored.fetchedAt > best.fetchedAt)) best = stored;
    if (best && fresh(best)) {
      memory.set(opts.baseUrl, best);
      return best.models;
    }
    try {
      const entry = { baseUrl: opts.baseUrl, fetchedAt: now(), models: await fetchModels(opts) };
      memory.set(opts.baseUrl, entry);
      await opts.kv
        ?.put(MODELS_KV_KEY, JSON.stringify(entry), { expirationTtl: KV_TTL_SECONDS })
        // KV allows one write per second per key; another isolate may have just written it.
        .catch(() => {});
      return entry.models;
    } catch (err) {
      if (best) return best.models;
      throw err;
    }
  }

  function models(): Promise<ModelInfo[]> {
    const cached = memory.get(opts.baseUrl);
    if (cached && fresh(cached)) return Promise.resolve(cached.models);
    let pending = inflight.get(opts.baseUrl);
    if (!pending) {
      pending = load().finally(() => inflight.delete(opts.baseUrl));
      inflight.set(opts.baseUrl, pending);
    }
    return pending;
  }

  return {
    async get(id) {
      return (await models()).find((m) => m.id === id);
    },
    async search(query, limit) {
      return rank(await models(), query).slice(0, Math.max(0, limit));
    },
  };
}

/** Id prefix matches first, then id substring, then name substring; catalog order within each. */
function rank(models: ModelInfo[], query: string): ModelInfo[] {
  const q = query.trim().toLowerCase();
  if (!q) return models;
  const tier = (m: ModelInfo) => {
    const id = m.id.toLowerCase();
    if (id.startsWith(q)) return 0;
    if (id.includes(q)) return 1;
    return m.name.toLowerCase().includes(q) ? 2 : 3;
  };
  return models
    .map((model, index) => ({ model, index, tier: tier(model) }))
    .filter((r) => r.tier < 3)
    .sort((a, b) => a.tier - b.tier || a.index - b.index)
    .map((r) => r.model);
}

async function readKv(kv: KVNamespace, baseUrl: string): Promise<CachedModels | undefined> {
  try {
    const stored = await kv.get<CachedModels>(MODELS_KV_KEY, "json");
    if (stored?.baseUrl === baseUrl && Array.isArray(stored.models)) return stored;
  } catch {
    // A corrupt or unreadable copy is only a cache miss.
  }
  return undefined;
}

async function fetchModels(opts: ModelCatalogOptions): Promise<ModelInfo[]> {
  const fetchFn = opts.fetch ?? globalThis.fetch;
  let response: Response;
  try {
    response = await fetchFn(`${opts.baseUrl}/models`, {
      headers: opts.apiKey ? { Authorization: `Bearer ${opts.apiKey}` } : {},
    });
  } catch (cause) {
    throw new OpenRouterError("network", "OpenRouter's model list could not be reached", {
      retryable: true,
      cause,
    });
  }
  if (!response.ok) throw await errorFromResponse(response);
  const body = (await response.json().catch(() => undefined)) as { data?: unknown } | undefined;
  if (!Array.isArray(body?.data)) {
    throw new OpenRouterError("provider", "OpenRouter's model list had an unexpected shape", {
      retryable: true,
    });
  }
  return body.data.map(toModelInfo).filter((m): m is ModelInfo => !!m);
}

type Json = Record<string, unknown>;
const obj = (value: unknown): Json =>
  typeof value === "object" && value !== null ? (value as Json) : {};
const strings = (value: unknown) =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];

/** Pricing arrives as USD-per-token strings ("0.000002"). */
function usd(value: unknown): number | undefined {
  const n =
    typeof value === "number" ? value : typeof value === "string" ? Number(value) : Number.NaN;
  return Number.isFinite(n) ? n : undefined;
}

function toModelInfo(raw: unknown): ModelInfo | undefined {
  const m = obj(raw);
  if (typeof m.id !== "string" || !m.id) return undefined;
  const top = obj(m.top_provider);
  const pricing = obj(m.pricing);
  const info: ModelInfo = {
    id: m.id,
    name: typeof m.name === "string" && m.name ? m.name : m.id,
    contextLength: usd(m.context_length) ?? usd(top.context_length) ?? 0,
    pricing: { prompt: usd(pricing.prompt) ?? 0, completion: usd(pricing.completion) ?? 0 },
    supportedParameters: strings(m.supported_parameters),
    inputModalities: strings(obj(m.architecture).input_modalities),
  };
  const maxCompletion = usd(top.max_completion_tokens);
  if (maxCompletion !== undefined) info.maxCompletionTokens = maxCompletion;
  const request = usd(pricing.request);
  if (request !== undefined) info.pricing.request = request;
  const webSearch = usd(pricing.web_search);
  if (webSearch !== undefined) info.pricing.webSearch = webSearch;
  const efforts = strings(obj(m.reasoning).supported_efforts).filter((e): e is Effort =>
    (EFFORTS as readonly string[]).includes(e),
  );
  if (efforts.length) info.supportedEfforts = efforts;
  if (!info.inputModalities.length) info.inputModalities = ["text"];
  return info;
}
