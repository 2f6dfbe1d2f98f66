/** What `GET /generation?id=` says about one finished, stopped or failed generation. */
export interface GenerationCost {
  /** `total_cost`, USD. */
  cost?: number;
  /** The model that served it (a fallback when one answered). */
  model?: string;
  promptTokens?: number;
  completionTokens?: number;
  reasoningTokens?: number;
  /** `num_search_results`: results fetched for web search, not searches. */
  searchResults?: number;
  /** True when OpenRouter recorded the request as cancelled (our abort). */
  cancelled?: boolean;
  finishReason?: string;
  providerName?: string;
}

export interface FetchGenerationCostOptions {
  baseUrl: string;
  apiKey: string;
  /** The generation id (`X-Generation-Id`, or the chunks' `id`). */
  id: string;
  fetch?: typeof fetch;
  /** Waits between attempts; tests pass one that returns at once. */
  sleep?: (ms: number) => Promise<void>;
  /** Attempts in all; 5 by default (about 15 s of waiting). */
  attempts?: number;
  /** First wait; doubles after each try. */
  firstDelayMs?: number;
}

const ATTEMPTS = 5;
const FIRST_DELAY_MS = 1_000;

/**
 * The cost of a generation after the stream is gone. A 404 right after the end is normal (the
 * record lands a few seconds later), so 404, 429, 5xx and network errors are retried with
 * doubling waits; anything else, or running out of attempts, gives undefined. Never throws.
 */
export async function fetchGenerationCost(
  opts: FetchGenerationCostOptions,
): Promise<GenerationCost | undefined> {
  const fetchFn = opts.fetch ?? globalThis.fetch;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const attempts = Math.max(1, opts.attempts ?? ATTEMPTS);
  let delay = opts.firstDelayMs ?? FIRST_DELAY_MS;
  const url = `${opts.baseUrl}/generation?id=${encodeURIComponent(opts.id)}`;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    let retry = true;
    try {
      const response = await fetchFn(url, {
        headers: { Authorization: `Bearer ${opts.apiKey}` },
      });
      if (response.ok) {
        const body = (await response.json().catch(() => undefined)) as { data?: unknown };
        return readGeneration(body?.data);
      }
      await response.body?.cancel().catch(() => {});
      retry = response.status === 404 || response.status === 429 || response.status >= 500;
    } catch {
      // Network trouble: worth another try like a 5xx.
    }
    if (!retry || attempt === attempts) break;
    await sleep(delay);
    delay *= 2;
  }
  return undefined;
}

type Json = Record<string, unknown>;
const num = (value: unknown) =>
  typeof value === "number" && Number.isFinite(value) ? value : undefined;
const str = (value: unknown) => (typeof value === "string" && value ? value : undefined);

/** The `data` object: snake_case on the wire; the SDKs' camelCase is read too. */
function readGeneration(data: unknown): GenerationCost | undefined {
  if (typeof data !== "object" || data === null) return undefined;
  const d = data as Json;
  const pick = (snake: string, camel: string) => d[snake] ?? d[camel];
  const out: GenerationCost = {};
  const set = <K extends keyof GenerationCost>(key: K, value: GenerationCost[K] | undefined) => {
    if (value !== undefined) out[key] = value;
  };
  set("cost", num(pick("total_cost", "totalCost")) ?? num(d.usage));
  set("model", str(d.model));
  set(
    "promptTokens",
    num(pick("native_tokens_prompt", "nativeTokensPrompt")) ??
      num(pick("tokens_prompt", "tokensPrompt")),
  );
  set(
    "completionTokens",
    num(pick("native_tokens_completion", "nativeTokensCompletion")) ??
      num(pick("tokens_completion", "tokensCompletion")),
  );
  set("reasoningTokens", num(pick("native_tokens_reasoning", "nativeTokensReasoning")));
  set("searchResults", num(pick("num_search_results", "numSearchResults")));
  const cancelled = d.cancelled;
  if (typeof cancelled === "boolean") out.cancelled = cancelled;
  set("finishReason", str(pick("finish_reason", "finishReason")));
  set("providerName", str(pick("provider_name", "providerName")));
  return out;
}
