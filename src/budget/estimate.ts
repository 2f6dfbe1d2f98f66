/**
 * What an answer will cost before it starts, and what it has cost so far while it streams,
 * from the catalog's prices (`ModelInfo.pricing`: USD per token, per request and per web
 * search). Pure: the ledger books these, and the reported `usage.cost` replaces them.
 */
import type { ModelInfo } from "../openrouter/types.ts";

/**
 * The assumptions, named so they can be checked against real runs and tuned in one place.
 *
 * Deep research: Artificial Analysis measured 10 queries on `o4-mini-deep-research` at
 * $9.18 in all (about $0.92 each; `o3-deep-research` up to $30 a query). Most of it is
 * input: the model reads the pages it finds, billed as prompt tokens, which no stream
 * shows. So a deep-research answer is assumed to make 30 web searches, each bringing about
 * 8,000 tokens of page text into the prompt, and to write 20,000 output tokens (reasoning
 * and report). For o4-mini ($2/M in, $8/M out, $0.01 per search) that is
 * 30 × $0.01 + 240,000 × $2/M + 20,000 × $8/M ≈ $0.94 plus the question itself.
 */
export const ESTIMATE = {
  /** Output tokens of an answer from a model that does not reason. */
  plainOutputTokens: 1_500,
  /** Output tokens, reasoning included, of a model that reasons (`reasoning` parameter). */
  reasoningOutputTokens: 6_000,
  /** Output tokens, reasoning included, of a deep-research answer. */
  deepResearchOutputTokens: 20_000,
  /** Web searches of one deep-research answer. */
  deepResearchSearches: 30,
  /** Web searches of an answer with the channel's `web_search` on. */
  webSearches: 3,
  /** Page text one web search adds to the prompt, in tokens. */
  searchContextTokens: 8_000,
  /**
   * Characters per streamed token: about four in English. Streamed reasoning is often a
   * summary of longer hidden reasoning (OpenAI), so a running cost is a floor; the
   * reported cost settles it.
   */
  charsPerToken: 4,
} as const;

export interface EstimateInput {
  /** Tokens of the request: system prompt, history and question. */
  promptTokens: number;
  /** The channel's `max_tokens`: caps reasoning and output together. */
  maxTokens?: number;
  /** The model searches the web on its own for many minutes (deep research). */
  deepResearch: boolean;
  /** The channel's `web_search` is on (for a model that is not deep research). */
  webSearch?: boolean;
}

/** USD an answer is expected to cost, to reserve before it starts. */
export function estimateCost(model: ModelInfo, input: EstimateInput): number {
  const typical = input.deepResearch
    ? ESTIMATE.deepResearchOutputTokens
    : reasons(model)
      ? ESTIMATE.reasoningOutputTokens
      : ESTIMATE.plainOutputTokens;
  const cap = input.maxTokens ?? model.maxCompletionTokens;
  const output = cap === undefined ? typical : Math.min(typical, cap);
  const searches = input.deepResearch
    ? ESTIMATE.deepResearchSearches
    : input.webSearch
      ? ESTIMATE.webSearches
      : 0;
  return usd(
    model,
    Math.max(0, input.promptTokens) + searches * ESTIMATE.searchContextTokens,
    output,
    searches,
  );
}

export interface RunningInput {
  /** Tokens of the request, as estimated for the reservation. */
  promptTokens: number;
  /** Characters of answer text streamed so far. */
  completionChars: number;
  /** Characters of reasoning streamed so far (summaries count as what they show). */
  reasoningChars: number;
  /** Web searches the stream reported so far (e.g. `reasoning.server_tool_call` entries). */
  webSearches: number;
}

/** USD an answer has cost so far, judged from what it streamed; to check against the budget. */
export function runningCost(model: ModelInfo, input: RunningInput): number {
  const chars = Math.max(0, input.completionChars) + Math.max(0, input.reasoningChars);
  const searches = Math.max(0, input.webSearches);
  return usd(
    model,
    Math.max(0, input.promptTokens) + searches * ESTIMATE.searchContextTokens,
    Math.ceil(chars / ESTIMATE.charsPerToken),
    searches,
  );
}

/**
 * What to ask `extend` for once the running cost has passed the reservation: the running
 * cost plus half the first estimate (at least a cent), so a long answer asks the ledger a
 * few times, not on every chunk. The ledger grants less when less is left.
 */
export function extendTarget(runningUsd: number, estimateUsd: number): number {
  return runningUsd + Math.max(estimateUsd / 2, 0.01);
}

function usd(model: ModelInfo, promptTokens: number, outputTokens: number, searches: number) {
  const p = model.pricing;
  return (
    promptTokens * p.prompt +
    outputTokens * p.completion +
    searches * (p.webSearch ?? 0) +
    (p.request ?? 0)
  );
}

function reasons(model: ModelInfo): boolean {
  return model.supportedParameters.includes("reasoning");
}
