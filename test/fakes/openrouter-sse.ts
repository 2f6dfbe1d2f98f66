/**
 * The SSE frames the fake OpenRouter streams for one scripted reply, in the chunk shapes the
 * real API sends (`chat.completion.chunk` with `choices[0].delta`, then a usage chunk).
 */

export interface FakeCitation {
  url: string;
  /** Sent as the URL when absent, as real streams often do; `null` sends neither title nor content. */
  title?: string | null;
  content?: string;
}

export interface FakeUsage {
  cost?: number;
  promptTokens?: number;
  completionTokens?: number;
  reasoningTokens?: number;
  webSearches?: number;
  /** Where the search count goes: `server_tool_use.web_search_requests` (default), flat, or Perplexity's name. */
  webSearchesAt?: "server_tool_use" | "web_search_requests" | "num_search_queries";
  /** Sent as `usage.cost_details`, e.g. `{ upstream_inference_cost: 0.01 }`. */
  costDetails?: Record<string, number>;
}

/** A reasoning chunk that carries only these `reasoning_details` entries (no `reasoning` text). */
export interface FakeDetails {
  details: Record<string, unknown>[];
}

export interface ScriptedReply {
  /** `: OPENROUTER PROCESSING` comments sent before anything else. */
  keepalives?: number;
  /** One chunk each: a string is summary text (`reasoning` plus a `reasoning.summary` detail). */
  reasoning?: (string | FakeDetails)[];
  /** The answer, one content chunk per entry. */
  text?: string[];
  /** One annotations chunk after the text; an array of arrays sends one chunk per group. */
  citations?: FakeCitation[] | FakeCitation[][];
  /** Where annotation chunks carry them: `delta.annotations` (default), `message` or the choice. */
  citationsAt?: "delta" | "message" | "choice";
  usage?: FakeUsage;
  finishReason?: string;
  /** What `GET /generation` reports as `total_cost`; `usage.cost` when absent. */
  generationCost?: number;
  /** Answer before streaming: HTTP `status` with this JSON `body` (and headers, e.g. Retry-After). */
  error?: { status: number; body: unknown; headers?: Record<string, string> };
  /**
   * After the text: an HTTP-200 chunk with top-level `error` and `finish_reason: "error"`, as
   * OpenRouter sends once the stream has begun (`metadata` e.g. `{ raw, provider_name }` for
   * "Provider returned error"). With no `text` it is the first chunk after the opening one.
   */
  midStreamError?: { code: string | number; message: string; metadata?: Record<string, unknown> };
  /** After the text: a chunk whose only sign of trouble is `finish_reason: "error"` (no `error`). */
  errorFinish?: boolean;
  /** End the stream after this many reasoning/text chunks, without finish_reason or [DONE]. */
  dropAfter?: number;
  /**
   * Send this many SSE frames (keep-alives and the opening chunk included), then fail the body
   * the way a connection cut mid-stream does: the next read rejects with a network `TypeError`.
   */
  cutAfter?: number;
  /** Pause before every frame, keep-alives included. */
  delayMs?: number;
  /** After the keep-alives, send nothing more until the request is aborted. */
  hangAfterKeepalives?: boolean;
  /**
   * Send `text` (joined) as real streams do: token-sized deltas of 1–4 words, a line break
   * leading the word after it rather than ending a delta (see `tokenDeltas`). A number is the seed.
   */
  words?: boolean | number;
  /** Send this many SSE frames (keep-alives included), then nothing until the request is aborted. */
  hangAfter?: number;
}

export type Step = { frame: string } | { hang: true } | { cut: true };

/** A web search as OpenRouter's OpenAPI spec has it: `tool_name`, `arguments` as a JSON string. */
export function searchCall(query: string, id = `srvtool_${query.length}`): FakeDetails {
  return {
    details: [
      {
        type: "reasoning.server_tool_call",
        tool_call_id: id,
        tool_name: "openrouter:web_search",
        arguments: JSON.stringify({ query }),
        result: JSON.stringify([{ url: "https://results.example/1" }]),
        format: "unknown",
        index: 0,
      },
    ],
  };
}

/** A page opened, in the looser shape seen in streams: `name`, `status`, `arguments` as an object. */
export function openPageCall(url: string, status = "completed"): FakeDetails {
  return {
    details: [
      {
        type: "reasoning.server_tool_call",
        id: `ws_${url.length}`,
        name: "web.open_page",
        status,
        arguments: { url },
      },
    ],
  };
}

/**
 * `text` cut the way a model's tokens arrive: 1–4 words per delta, each word with the
 * whitespace before it (spaces, line breaks), so deltas join back to `text` exactly and
 * one ends in a line break only where `text` does. Deterministic for a given `seed`.
 */
export function tokenDeltas(text: string, seed = 1): string[] {
  const words: string[] = [...(text.match(/\s*\S+/g) ?? [])];
  const rest = text.slice(words.join("").length);
  if (rest) {
    if (words.length) words[words.length - 1] += rest;
    else words.push(rest);
  }
  // A linear congruential generator: the same deltas on every run for one seed.
  let state = seed >>> 0 || 1;
  const deltas: string[] = [];
  for (let i = 0; i < words.length; ) {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    const n = 1 + Math.floor((state / 2 ** 32) * 4);
    deltas.push(words.slice(i, i + n).join(""));
    i += n;
  }
  return deltas;
}

/** Every frame of one reply; `modelId` is the model the chunks name (the one that answers). */
export function chatSteps(reply: ScriptedReply, id: string, modelId: string): Step[] {
  const created = Math.floor(Date.now() / 1000);
  const chunk = (extra: Record<string, unknown>) =>
    `data: ${JSON.stringify({ id, provider: "OpenAI", model: modelId, object: "chat.completion.chunk", created, ...extra })}\n\n`;
  const choice = (
    delta: Record<string, unknown>,
    finishReason: string | null = null,
    extra: Record<string, unknown> = {},
  ) =>
    chunk({
      choices: [
        {
          index: 0,
          delta: { role: "assistant", ...delta },
          finish_reason: finishReason,
          native_finish_reason: finishReason,
          logprobs: null,
          ...extra,
        },
      ],
    });
  const steps: Step[] = [];
  for (let i = 0; i < (reply.keepalives ?? 0); i++)
    steps.push({ frame: ": OPENROUTER PROCESSING\n\n" });
  if (reply.hangAfterKeepalives) return [...steps, { hang: true }];
  steps.push({ frame: choice({ content: "", reasoning: null }) });
  const content: string[] = [
    ...(reply.reasoning ?? []).map((r) =>
      typeof r === "string"
        ? choice({
            content: "",
            reasoning: r,
            reasoning_details: [
              { type: "reasoning.summary", summary: r, format: "openai-responses-v1", index: 0 },
            ],
          })
        : choice({ content: "", reasoning: null, reasoning_details: r.details }),
    ),
    ...textDeltas(reply).map((t) => choice({ content: t, reasoning: null })),
  ];
  if (reply.dropAfter !== undefined) {
    return [...steps, ...content.slice(0, reply.dropAfter).map((frame) => ({ frame }))];
  }
  steps.push(...content.map((frame) => ({ frame })));
  for (const group of citationGroups(reply)) {
    const annotations = group.map(annotation);
    const at = reply.citationsAt ?? "delta";
    const frame =
      at === "delta"
        ? choice({ content: "", annotations })
        : at === "message"
          ? choice({ content: "" }, null, { message: { role: "assistant", annotations } })
          : choice({ content: "" }, null, { annotations });
    steps.push({ frame });
  }
  if (reply.midStreamError) {
    steps.push({
      frame: chunk({
        error: reply.midStreamError,
        choices: [{ index: 0, delta: { content: "" }, finish_reason: "error" }],
      }),
    });
    return steps;
  }
  if (reply.errorFinish) {
    steps.push({ frame: choice({ content: "" }, "error") });
    return steps;
  }
  steps.push({ frame: choice({ content: "" }, reply.finishReason ?? "stop") });
  steps.push({ frame: chunk({ choices: [], usage: usageBody(reply.usage ?? {}) }) });
  steps.push({ frame: "data: [DONE]\n\n" });
  return steps;
}

function citationGroups(reply: ScriptedReply): FakeCitation[][] {
  if (!reply.citations?.length) return [];
  return Array.isArray(reply.citations[0])
    ? (reply.citations as FakeCitation[][])
    : [reply.citations as FakeCitation[]];
}

function annotation(c: FakeCitation): Record<string, unknown> {
  const cite: Record<string, unknown> = { url: c.url };
  if (c.title !== null) {
    cite.title = c.title ?? c.url;
    cite.content = c.content ?? "";
  }
  return { type: "url_citation", url_citation: { ...cite, start_index: 0, end_index: 0 } };
}

function usageBody(u: FakeUsage): Record<string, unknown> {
  const prompt = u.promptTokens ?? 10;
  const completion = u.completionTokens ?? 20;
  const body: Record<string, unknown> = {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    cost: u.cost ?? 0,
    is_byok: false,
    prompt_tokens_details: { cached_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: u.reasoningTokens ?? 0 },
  };
  if (u.costDetails) body.cost_details = u.costDetails;
  if (u.webSearches !== undefined) {
    const at = u.webSearchesAt ?? "server_tool_use";
    if (at === "server_tool_use") body.server_tool_use = { web_search_requests: u.webSearches };
    else body[at] = u.webSearches;
  }
  return body;
}

function textDeltas(reply: ScriptedReply): string[] {
  const text = reply.text ?? [];
  if (reply.words === undefined || reply.words === false) return text;
  return tokenDeltas(text.join(""), reply.words === true ? 1 : reply.words);
}
