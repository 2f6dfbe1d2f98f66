/** A chat-completion message as OpenRouter takes it. */
export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string | ContentPart[];
}

/**
 * One part of a multi-part message. Images go as `image_url` (an https or data URL), PDFs
 * as `file` with a base64 data URL in `file_data`.
 * https://openrouter.ai/docs/features/multimodal/pdfs
 */
export type ContentPart =
  | { type: "text"; text: string }
  | { type: "image_url"; image_url: { url: string } }
  | { type: "file"; file: { filename: string; file_data: string } };

export type Effort = "minimal" | "low" | "medium" | "high";

/** What the core asks for; the client drops what the model does not support. */
export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  maxTokens?: number;
  temperature?: number;
  effort?: Effort;
  /** Already hashed platform user id (never the raw id). */
  user?: string;
  /**
   * Models OpenRouter may try, in order, when `model` errors (outage, rate limit, moderation).
   * Sent as OpenRouter's `models` array with `model` first, at most 3 ids in all.
   */
  fallbacks?: string[];
  /**
   * Give a model that does not search on its own OpenRouter's web search: the
   * `openrouter:web_search` server tool where it takes tools, else the `web` plugin.
   * Ignored for deep-research and other self-searching models.
   */
  webSearch?: boolean;
}

/** One `url_citation` annotation, deduped by URL. */
export interface Citation {
  url: string;
  title?: string;
  content?: string;
  startIndex?: number;
  endIndex?: number;
}

/** The final usage chunk (`choices: []`). */
export interface Usage {
  promptTokens: number;
  completionTokens: number;
  reasoningTokens?: number;
  /** USD as OpenRouter bills it. */
  cost?: number;
  webSearches?: number;
  /** `usage.cost_details` as sent (e.g. `upstream_inference_cost`), numbers only. */
  costDetails?: Record<string, number>;
}

/** What the stream yields, in order. Errors are thrown as `OpenRouterError`, not yielded. */
export type StreamEvent =
  | { type: "keepalive" }
  | { type: "text"; text: string }
  | { type: "reasoning"; text: string }
  /** What the model is doing now (a search, a page, a summary heading): plain, one line, ≤ 120 chars. */
  | { type: "step"; text: string }
  /**
   * New or improved citations. Each entry is complete (merged with what arrived before) and
   * replaces any earlier one with the same `url` (the first spelling seen is kept). `all` is
   * every citation so far, in first-seen order.
   */
  | { type: "citations"; citations: Citation[]; all: Citation[] }
  | { type: "usage"; usage: Usage }
  | {
      type: "done";
      /** `finish_reason` as sent: `stop`, `length`, `content_filter`, `tool_calls`, … */
      finishReason?: string;
      generationId?: string;
      /** The `model` the chunks named: who actually answered (a fallback, or a dated variant). */
      model?: string;
    };

/** One model of `GET /models`, reduced to what Quarry uses. */
export interface ModelInfo {
  id: string;
  name: string;
  contextLength: number;
  /** `top_provider.max_completion_tokens`; undefined when OpenRouter does not say. */
  maxCompletionTokens?: number;
  /** USD per token (prompt, completion) and per request / web search, as numbers. */
  pricing: { prompt: number; completion: number; request?: number; webSearch?: number };
  supportedParameters: string[];
  /** `reasoning.supported_efforts` when given. */
  supportedEfforts?: Effort[];
  inputModalities: string[];
}

/** The catalog of models, cached. */
export interface ModelCatalog {
  /** The model with this id, or undefined when OpenRouter does not list it. */
  get(id: string): Promise<ModelInfo | undefined>;
  /** Up to `limit` models whose id or name contains `query` (case-insensitive), best first. */
  search(query: string, limit: number): Promise<ModelInfo[]>;
}
