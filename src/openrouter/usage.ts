import type { Usage } from "./types.ts";

type Json = Record<string, unknown>;
const obj = (value: unknown): Json =>
  typeof value === "object" && value !== null ? (value as Json) : {};
const num = (value: unknown) =>
  typeof value === "number" && Number.isFinite(value) ? value : undefined;

/**
 * The final chunk's `usage` (https://openrouter.ai/docs/use-cases/usage-accounting):
 * `prompt_tokens`, `completion_tokens`, `completion_tokens_details.reasoning_tokens`, `cost`
 * (USD) and `cost_details` (`upstream_inference_cost`, `…_prompt_cost`, `…_completions_cost`).
 * Web searches: `server_tool_use.web_search_requests` (OpenRouter's server tools and OpenAI's
 * deep research), `web_search_requests` flat, or Perplexity's own `num_search_queries`.
 */
export function readUsage(raw: Json): Usage {
  const details = obj(raw.completion_tokens_details);
  const tools = obj(raw.server_tool_use);
  const usage: Usage = {
    promptTokens: num(raw.prompt_tokens) ?? 0,
    completionTokens: num(raw.completion_tokens) ?? 0,
  };
  const reasoningTokens = num(details.reasoning_tokens);
  const cost = num(raw.cost);
  const webSearches =
    num(tools.web_search_requests) ?? num(raw.web_search_requests) ?? num(raw.num_search_queries);
  if (reasoningTokens !== undefined) usage.reasoningTokens = reasoningTokens;
  if (cost !== undefined) usage.cost = cost;
  if (webSearches !== undefined) usage.webSearches = webSearches;
  const costDetails = Object.fromEntries(
    Object.entries(obj(raw.cost_details)).filter(([, v]) => num(v) !== undefined),
  ) as Record<string, number>;
  if (Object.keys(costDetails).length) usage.costDetails = costDetails;
  return usage;
}
