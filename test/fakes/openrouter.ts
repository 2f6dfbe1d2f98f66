/**
 * An in-process OpenRouter: serves `GET /models` from a catalog and streams scripted
 * answers for `POST /chat/completions` with the real SSE framing and chunk shapes.
 * It records every request so tests can assert on what Quarry sent.
 */

export interface FakeCitation {
  url: string;
  title?: string;
  content?: string;
}

export interface FakeUsage {
  cost?: number;
  promptTokens?: number;
  completionTokens?: number;
  reasoningTokens?: number;
  webSearches?: number;
}

export interface ScriptedReply {
  /** `: OPENROUTER PROCESSING` comments sent before anything else. */
  keepalives?: number;
  reasoning?: string[];
  /** The answer, one content chunk per entry. */
  text?: string[];
  /** One `delta.annotations` chunk after the text; an array of arrays sends one chunk per group. */
  citations?: FakeCitation[] | FakeCitation[][];
  usage?: FakeUsage;
  finishReason?: string;
  /** Answer before streaming: HTTP `status` with this JSON `body` (and headers, e.g. Retry-After). */
  error?: { status: number; body: unknown; headers?: Record<string, string> };
  /** After the text: an HTTP-200 chunk with top-level `error` and `finish_reason: "error"`. */
  midStreamError?: { code: string | number; message: string };
  /** End the stream after this many reasoning/text chunks, without finish_reason or [DONE]. */
  dropAfter?: number;
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

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: unknown;
  /** Set when the client aborted the request or cancelled the stream before it finished. */
  aborted?: boolean;
}

export const FAKE_OPENROUTER_URL = "https://openrouter.test/api/v1";

/** Catalog entries in the shape `GET /models` really returns. */
export function defaultCatalog(): Record<string, unknown>[] {
  return [
    catalogEntry("openai/o4-mini-deep-research", "OpenAI: o4 Mini Deep Research", {
      context: 200_000,
      maxCompletion: 100_000,
      prompt: "0.000002",
      completion: "0.000008",
      webSearch: "0.01",
      // The real catalog lists temperature here although the model rejects it.
      params: [
        "max_tokens",
        "reasoning",
        "include_reasoning",
        "temperature",
        "response_format",
        "seed",
      ],
      efforts: ["medium"],
      input: ["text", "image", "file"],
    }),
    catalogEntry("openai/o4-mini", "OpenAI: o4 Mini", {
      context: 200_000,
      maxCompletion: 100_000,
      prompt: "0.0000011",
      completion: "0.0000044",
      params: ["max_tokens", "reasoning", "include_reasoning", "tools", "tool_choice", "seed"],
      efforts: ["low", "medium", "high"],
      input: ["text", "image"],
    }),
    catalogEntry("anthropic/claude-sonnet-4.5", "Anthropic: Claude Sonnet 4.5", {
      context: 1_000_000,
      maxCompletion: 64_000,
      prompt: "0.000003",
      completion: "0.000015",
      params: ["max_tokens", "temperature", "top_p", "top_k", "stop", "tools", "tool_choice"],
      input: ["text", "image"],
    }),
    catalogEntry("tiny/model", "Tiny Model", {
      context: 1_000,
      maxCompletion: 256,
      prompt: "0.0000001",
      completion: "0.0000002",
      params: ["max_tokens", "temperature"],
      input: ["text"],
    }),
  ];
}

/** A cheap text-only model that takes only `max_tokens`, to fill a catalog. */
export function textModelEntry(id: string, name: string): Record<string, unknown> {
  return catalogEntry(id, name, {
    context: 8000,
    maxCompletion: 1000,
    prompt: "0.000001",
    completion: "0.000002",
    params: ["max_tokens"],
    input: ["text"],
  });
}

/** One catalog entry in the real `GET /models` shape. */
export function catalogEntry(
  id: string,
  name: string,
  m: {
    context: number;
    maxCompletion: number;
    prompt: string;
    completion: string;
    webSearch?: string;
    params: string[];
    efforts?: string[];
    input: string[];
  },
): Record<string, unknown> {
  return {
    id,
    canonical_slug: id,
    name,
    created: 1_750_000_000,
    description: `${name} (fake catalog entry)`,
    context_length: m.context,
    architecture: {
      modality: `${m.input.join("+")}->text`,
      input_modalities: m.input,
      output_modalities: ["text"],
      tokenizer: "Other",
      instruct_type: null,
    },
    pricing: {
      prompt: m.prompt,
      completion: m.completion,
      request: "0",
      image: "0",
      ...(m.webSearch ? { web_search: m.webSearch } : {}),
      internal_reasoning: "0",
    },
    top_provider: {
      context_length: m.context,
      max_completion_tokens: m.maxCompletion,
      is_moderated: true,
    },
    per_request_limits: null,
    supported_parameters: m.params,
    ...(m.efforts ? { reasoning: { supported_efforts: m.efforts } } : {}),
  };
}

const DEFAULT_REPLY: ScriptedReply = {
  text: ["This is ", "a short answer from the fake."],
  usage: { cost: 0.0001, promptTokens: 12, completionTokens: 8 },
};

type Step = { frame: string } | { hang: true };

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

export class FakeOpenRouter {
  readonly requests: RecordedRequest[] = [];
  /** What `GET /models` serves; tests may edit it. */
  models: Record<string, unknown>[] = defaultCatalog();
  /** When set, `GET /models` fails with it (until cleared). */
  modelsFailure: { status: number; body: unknown } | undefined;
  private readonly script: ScriptedReply[] = [];
  private generations = 0;

  /** Queues the answer to the next unscripted `POST /chat/completions`. */
  reply(reply: ScriptedReply): this {
    this.script.push(reply);
    return this;
  }

  /** Bodies of the chat-completion requests received, in order. */
  get chatBodies(): Record<string, unknown>[] {
    return this.requests
      .filter((r) => r.method === "POST" && r.path.endsWith("/chat/completions"))
      .map((r) => r.body as Record<string, unknown>);
  }

  async handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const text = req.method === "GET" ? "" : await req.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // keep the raw text
    }
    const record: RecordedRequest = {
      method: req.method,
      path: url.pathname,
      headers: Object.fromEntries(req.headers),
      body,
    };
    this.requests.push(record);
    const path = url.pathname.replace(/^.*\/api\/v1/, "");
    if (req.method === "GET" && path === "/models") return this.serveModels();
    if (req.method === "POST" && path === "/chat/completions")
      return this.serveChat(req, record, body);
    return json(404, { error: { code: 404, message: `No route for ${req.method} ${path}` } });
  }

  private serveModels(): Response {
    if (this.modelsFailure) return json(this.modelsFailure.status, this.modelsFailure.body);
    return json(200, { data: this.models });
  }

  private serveChat(req: Request, record: RecordedRequest, body: unknown): Response {
    const reply = this.script.shift() ?? DEFAULT_REPLY;
    if (reply.error) return json(reply.error.status, reply.error.body, reply.error.headers);
    const modelId = String((body as { model?: unknown } | undefined)?.model ?? "unknown/model");
    const id = `gen-${++this.generations}-fake`;
    const all = chatSteps(reply, id, modelId);
    const steps: Step[] =
      reply.hangAfter === undefined ? all : [...all.slice(0, reply.hangAfter), { hang: true }];
    const delayMs = reply.delayMs ?? 0;
    let index = 0;
    let wake: (() => void) | undefined;
    let abortReason: unknown;
    const stop = () => {
      if (index < steps.length) record.aborted = true;
      index = steps.length;
      wake?.();
    };
    req.signal?.addEventListener("abort", () => {
      abortReason = req.signal.reason ?? new DOMException("aborted", "AbortError");
      stop();
    });
    const encoder = new TextEncoder();
    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const step = steps[index];
        if (!step) return controller.close();
        await new Promise<void>((resolve) => {
          wake = resolve;
          if ("hang" in step) return;
          if (delayMs) setTimeout(resolve, delayMs);
          else resolve();
        });
        // An aborted fetch fails its body's reads with the abort reason, as a real one does.
        if (abortReason !== undefined) return controller.error(abortReason);
        if (index >= steps.length) return controller.close();
        index++;
        if ("frame" in step) controller.enqueue(encoder.encode(step.frame));
        if (index >= steps.length) controller.close();
      },
      cancel: stop,
    });
    return new Response(stream, {
      status: 200,
      headers: {
        "Content-Type": "text/event-stream",
        "Cache-Control": "no-cache",
        "X-Generation-Id": id,
      },
    });
  }
}

function chatSteps(reply: ScriptedReply, id: string, modelId: string): Step[] {
  const created = Math.floor(Date.now() / 1000);
  const chunk = (extra: Record<string, unknown>) =>
    `data: ${JSON.stringify({ id, provider: "OpenAI", model: modelId, object: "chat.completion.chunk", created, ...extra })}\n\n`;
  const choice = (delta: Record<string, unknown>, finishReason: string | null = null) =>
    chunk({
      choices: [
        {
          index: 0,
          delta: { role: "assistant", ...delta },
          finish_reason: finishReason,
          native_finish_reason: finishReason,
          logprobs: null,
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
      choice({
        content: "",
        reasoning: r,
        reasoning_details: [
          { type: "reasoning.summary", summary: r, format: "openai-responses-v1", index: 0 },
        ],
      }),
    ),
    ...textDeltas(reply).map((t) => choice({ content: t, reasoning: null })),
  ];
  if (reply.dropAfter !== undefined) {
    return [...steps, ...content.slice(0, reply.dropAfter).map((frame) => ({ frame }))];
  }
  steps.push(...content.map((frame) => ({ frame })));
  const groups = reply.citations?.length
    ? Array.isArray(reply.citations[0])
      ? (reply.citations as FakeCitation[][])
      : [reply.citations as FakeCitation[]]
    : [];
  for (const group of groups) {
    const annotations = group.map((c) => ({
      type: "url_citation",
      url_citation: {
        url: c.url,
        title: c.title ?? c.url,
        content: c.content ?? "",
        start_index: 0,
        end_index: 0,
      },
    }));
    steps.push({ frame: choice({ content: "", annotations }) });
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
  steps.push({ frame: choice({ content: "" }, reply.finishReason ?? "stop") });
  const u = reply.usage ?? {};
  steps.push({
    frame: chunk({
      choices: [],
      usage: {
        prompt_tokens: u.promptTokens ?? 10,
        completion_tokens: u.completionTokens ?? 20,
        total_tokens: (u.promptTokens ?? 10) + (u.completionTokens ?? 20),
        cost: u.cost ?? 0,
        prompt_tokens_details: { cached_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: u.reasoningTokens ?? 0 },
        ...(u.webSearches !== undefined
          ? { server_tool_use: { web_search_requests: u.webSearches } }
          : {}),
      },
    }),
  });
  steps.push({ frame: "data: [DONE]\n\n" });
  return steps;
}

function textDeltas(reply: ScriptedReply): string[] {
  const text = reply.text ?? [];
  if (reply.words === undefined || reply.words === false) return text;
  return tokenDeltas(text.join(""), reply.words === true ? 1 : reply.words);
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json", ...headers },
  });
}
