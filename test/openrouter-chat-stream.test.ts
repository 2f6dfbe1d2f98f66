import { beforeEach, describe, expect, it } from "vitest";
import { type StreamChatOptions, streamChat } from "../src/openrouter/chat-stream.ts";
import { clearModelCatalogCache, createModelCatalog } from "../src/openrouter/model-catalog.ts";
import { OpenRouterError, toUserMessage } from "../src/openrouter/openrouter-error.ts";
import type { ChatRequest, ModelInfo, StreamEvent } from "../src/openrouter/types.ts";
import { FAKE_OPENROUTER_URL, FakeOpenRouter } from "./fakes/openrouter.ts";

const DEEP = "openai/o4-mini-deep-research";
const CREDITS =
  "OpenRouter says this account is out of credits (402). Add credits at https://openrouter.ai/settings/credits and ask again.";
let fake: FakeOpenRouter;
const fakeFetch: typeof fetch = (input, init) => fake.handle(new Request(input, init));

beforeEach(() => {
  fake = new FakeOpenRouter();
  clearModelCatalogCache();
});

async function modelInfo(id: string): Promise<ModelInfo | undefined> {
  return createModelCatalog({ baseUrl: FAKE_OPENROUTER_URL, fetch: fakeFetch }).get(id);
}

function request(model = DEEP, extra: Partial<ChatRequest> = {}): ChatRequest {
  return { model, messages: [{ role: "user", content: "What changed in HTTP/3?" }], ...extra };
}

async function run(
  req: ChatRequest,
  opts: Partial<StreamChatOptions> = {},
): Promise<{ events: StreamEvent[]; error?: unknown }> {
  const events: StreamEvent[] = [];
  try {
    const model = "model" in opts ? opts.model : await modelInfo(req.model);
    for await (const event of streamChat(req, { ...direct(model), ...opts, model }))
      events.push(event);
    return { events };
  } catch (error) {
    return { events, error };
  }
}

function direct(
  model: ModelInfo | undefined,
  extra: Partial<StreamChatOptions> = {},
): StreamChatOptions {
  return { baseUrl: FAKE_OPENROUTER_URL, apiKey: "sk-or-test", fetch: fakeFetch, model, ...extra };
}

const textOf = (events: StreamEvent[]) =>
  events.map((e) => (e.type === "text" ? e.text : "")).join("");

/** Scripts the next chat call to fail before streaming, with OpenRouter's error body. */
function failNext(
  status: number,
  message: string,
  metadata?: object,
  headers?: Record<string, string>,
) {
  fake.reply({ error: { status, headers, body: { error: { code: status, message, metadata } } } });
}

function asOpenRouterError(error: unknown): OpenRouterError {
  expect(error).toBeInstanceOf(OpenRouterError);
  return error as OpenRouterError;
}

/** An upstream that answers with hand-written SSE frames, for shapes the fake does not script. */
function rawSse(frames: string[], headers: Record<string, string> = {}): typeof fetch {
  return async () =>
    new Response(frames.join(""), { headers: { "Content-Type": "text/event-stream", ...headers } });
}

const frame = (payload: unknown) => `data: ${JSON.stringify(payload)}\n\n`;
const choiceFrame = (choice: Record<string, unknown>) =>
  frame({ id: "gen-raw", choices: [{ index: 0, ...choice }] });

describe("streamChat parsing", () => {
  it("yields keep-alives, reasoning once, text, new citations only, usage and done naming the model", async () => {
    const a = { url: "https://a.example/rfc9114", title: "RFC 9114" };
    const b = { url: "https://b.example/quic", title: "QUIC" };
    const c = { url: "https://c.example/h3", title: "HTTP/3 explained" };
    const tokens = { promptTokens: 40, completionTokens: 900 };
    fake.reply({
      keepalives: 2,
      reasoning: ["Looking up", " RFC 9114"],
      text: ["HTTP/3 runs", " over QUIC."],
      // biome-ignore format: one inner array per SSE chunk reads clearer on one line
      citations: [[a, b], [b, c]],
      usage: { ...tokens, cost: 0.0123, reasoningTokens: 600, webSearches: 3 },
    });
    const { events, error } = await run(request());
    expect(error).toBeUndefined();
    expect(events).toEqual([
      { type: "keepalive" },
      { type: "keepalive" },
      { type: "reasoning", text: "Looking up" },
      { type: "reasoning", text: " RFC 9114" },
      { type: "text", text: "HTTP/3 runs" },
      { type: "text", text: " over QUIC." },
      {
        type: "citations",
        citations: [expect.objectContaining(a), expect.objectContaining(b)],
        all: [expect.objectContaining(a), expect.objectContaining(b)],
      },
      {
        type: "citations",
        citations: [expect.objectContaining(c)],
        all: [a, b, c].map((x) => expect.objectContaining(x)),
      },
      { type: "usage", usage: { ...tokens, reasoningTokens: 600, cost: 0.0123, webSearches: 3 } },
      { type: "done", finishReason: "stop", generationId: "gen-1-fake", model: DEEP },
    ]);
  });

  it("skips unparseable lines, reads reasoning_details when reasoning is absent, and choice-level annotations", async () => {
    const details = [
      { type: "reasoning.text", text: "step one" },
      { type: "reasoning.encrypted", data: "b64" },
    ];
    const cite = { url: "https://x.example", title: "X", start_index: 0, end_index: 6 };
    const xCitation = { url: "https://x.example", title: "X", startIndex: 0, endIndex: 6 };
    const fetchFn = rawSse([
      ": OPENROUTER PROCESSING\n\n",
      "data: {not json\n\n",
      choiceFrame({ delta: { reasoning_details: details } }),
      choiceFrame({
        delta: { content: "Answer" },
        message: { annotations: [{ type: "url_citation", url_citation: cite }] },
      }),
      choiceFrame({ delta: {}, finish_reason: "length" }),
      frame({ id: "gen-raw", choices: [] }),
      "data: [DONE]\n\n",
    ]);
    const { events, error } = await run(request(), { fetch: fetchFn, model: undefined });
    expect(error).toBeUndefined();
    expect(events).toEqual([
      { type: "keepalive" },
      { type: "reasoning", text: "step one" },
      { type: "text", text: "Answer" },
      { type: "citations", citations: [xCitation], all: [xCitation] },
      { type: "done", finishReason: "length", generationId: "gen-raw" },
    ]);
  });

  it("finishes without [DONE] when a finish_reason arrived", async () => {
    const fetchFn = rawSse([
      frame({ id: "g", choices: [{ index: 0, delta: { content: "ok" }, finish_reason: "stop" }] }),
    ]);
    const { events, error } = await run(request(), { fetch: fetchFn, model: undefined });
    expect(error).toBeUndefined();
    expect(events.at(-1)).toEqual({ type: "done", finishReason: "stop", generationId: "g" });
  });

  it("treats a stream that ends without [DONE] or finish_reason as ended early, after the partial text", async () => {
    fake.reply({ text: ["first", " second", " third"], dropAfter: 2 });
    const { events, error } = await run(request());
    expect(events.filter((e) => e.type === "text")).toEqual([
      { type: "text", text: "first" },
      { type: "text", text: " second" },
    ]);
    const err = asOpenRouterError(error);
    expect(err.code).toBe("stream_error");
    expect(err.message).toContain("the stream ended early");
  });
});

describe("streamChat errors", () => {
  const providerRaw = JSON.stringify({
    error: {
      message: "Unsupported parameter: 'temperature' is not supported with this model.",
      type: "invalid_request_error",
    },
  });
  type Extra = { metadata?: Record<string, unknown>; headers?: Record<string, string> };
  type Row = [number, string, boolean, string, string, Extra?];
  const row = (...[status, code, retryable, message, says, extra]: Row) => ({
    ...{ status, code, retryable, message, says },
    ...extra,
  });
  const moderation = { reasons: ["violence", "harassment"], flagged_input: "…" };
  const waitSays = `${DEEP}\` right now (it asks to wait 7 seconds); try again later`;
  const cases = [
    row(400, "bad_request", false, "Invalid model settings", "refused the request"),
    row(401, "auth", false, "No auth credentials found", "OPENROUTER_API_KEY"),
    row(402, "credits", false, "Insufficient credits", CREDITS),
    row(403, "moderation", false, "Input flagged", "violence, harassment", {
      metadata: moderation,
    }),
    row(404, "not_found", false, "No endpoints found", "does not know the model"),
    row(408, "timeout", true, "Request timed out", "timed out"),
    row(429, "rate_limit", true, "Too many requests", waitSays, {
      headers: { "Retry-After": "7" },
    }),
    row(502, "provider", true, "Provider returned error", "Unsupported parameter: 'temperature'", {
      metadata: { provider_name: "OpenAI", raw: providerRaw },
    }),
    row(503, "provider", true, "No allowed providers are available", "try again later"),
  ];

  it.each(cases)("maps HTTP $status to $code", async (c) => {
    failNext(c.status, c.message, c.metadata, c.headers);
    const { events, error } = await run(request());
    expect(events).toEqual([]);
    const err = asOpenRouterError(error);
    expect(err).toMatchObject({ code: c.code, status: c.status, retryable: c.retryable });
    if (c.status === 429) expect(err.retryAfterMs).toBe(7000);
    if (c.status === 502) expect(err.providerReason).toBe(JSON.parse(providerRaw).error.message);
    if (c.status === 403) expect(err.moderationReasons).toEqual(["violence", "harassment"]);
    expect(toUserMessage(err)).toContain(c.says);
  });

  it("truncates a long provider reason and copes with a non-JSON error body", async () => {
    failNext(502, "Provider returned error", { raw: "x".repeat(900) });
    const long = asOpenRouterError((await run(request())).error);
    expect(long.providerReason).toHaveLength(900);
    expect(toUserMessage(long).length).toBeLessThan(400);

    const html = async () => new Response("<html>Bad gateway</html>", { status: 502 });
    const err = asOpenRouterError((await run(request(), { fetch: html, model: undefined })).error);
    expect(err.code).toBe("provider");
    expect(err.status).toBe(502);
  });

  it("turns a fetch that throws into a retryable network error", async () => {
    const down = async () => {
      throw new TypeError("Network connection lost.");
    };
    const err = asOpenRouterError((await run(request(), { fetch: down, model: undefined })).error);
    expect(err).toMatchObject({ code: "network", status: 0, retryable: true });
  });

  it("turns a body cut mid-stream into a retryable stream error, after yielding the text", async () => {
    fake.reply({ text: ["Partial", " never"], cutAfter: 2 });
    const { events, error } = await run(request());
    expect(textOf(events)).toBe("Partial");
    const err = asOpenRouterError(error);
    expect(err).toMatchObject({ code: "stream_error", status: 0, retryable: true });
    expect(toUserMessage(err)).toBe(
      `The answer from \`${DEEP}\` broke off: the connection to OpenRouter was cut mid-answer; ask again to retry`,
    );
  });

  it("throws an in-band error after yielding the partial text", async () => {
    fake.reply({
      text: ["Partial", " answer"],
      midStreamError: { code: "server_error", message: "Provider disconnected unexpectedly" },
    });
    const { events, error } = await run(request());
    expect(textOf(events)).toBe("Partial answer");
    const err = asOpenRouterError(error);
    expect(err.code).toBe("stream_error");
    expect(err.message).toContain("Provider disconnected unexpectedly");
    expect(toUserMessage(err)).toContain("Provider disconnected unexpectedly");
  });

  it("maps a numeric in-band error code like 402 to its class", async () => {
    fake.reply({ text: ["Some"], midStreamError: { code: 402, message: "Insufficient credits" } });
    const err = asOpenRouterError((await run(request())).error);
    expect(err.code).toBe("credits");
  });
});

describe("streamChat watchdog and abort", () => {
  it("keep-alives do not reset the first-output deadline", async () => {
    fake.reply({ keepalives: 20, delayMs: 25, hangAfterKeepalives: true });
    const started = Date.now();
    const { events, error } = await run(request(), {
      firstOutputTimeoutMs: 200,
      idleTimeoutMs: 10_000,
    });
    const err = asOpenRouterError(error);
    expect(err.code).toBe("stall");
    expect(err.message).toContain("200 ms");
    expect(toUserMessage(err)).toContain("sent nothing for 200 ms");
    expect(events.length).toBeGreaterThanOrEqual(3);
    expect(events.every((e) => e.type === "keepalive")).toBe(true);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(fake.requests.at(-1)?.aborted).toBe(true);
  });

  it("waits the longer first-output deadline before output, then the idle deadline", async () => {
    fake.reply({ text: ["one", "two", "three"], delayMs: 300 });
    const { events, error } = await run(request(), {
      firstOutputTimeoutMs: 2_000,
      idleTimeoutMs: 150,
    });
    expect(events).toEqual([{ type: "text", text: "one" }]);
    const err = asOpenRouterError(error);
    expect(err.code).toBe("stall");
    expect(err.message).toContain("after the answer started");
    expect(err.silentForMs).toBe(150);
  });

  it("completes when every gap is inside the idle deadline", async () => {
    fake.reply({ text: ["one", "two"], delayMs: 30 });
    const { events, error } = await run(request(), {
      firstOutputTimeoutMs: 1_000,
      idleTimeoutMs: 500,
    });
    expect(error).toBeUndefined();
    expect(events.at(-1)).toMatchObject({ type: "done" });
  });

  it("aborting the caller's signal cancels the request and throws the abort reason, not a stall", async () => {
    fake.reply({ keepalives: 1, hangAfterKeepalives: true });
    const controller = new AbortController();
    const reason = new Error("user cancelled");
    const events: StreamEvent[] = [];
    let error: unknown;
    try {
      const model = await modelInfo(DEEP);
      for await (const event of streamChat(
        request(),
        direct(model, { signal: controller.signal }),
      )) {
        events.push(event);
        controller.abort(reason);
      }
    } catch (e) {
      error = e;
    }
    expect(events).toEqual([{ type: "keepalive" }]);
    expect(error).toBe(reason);
    expect(fake.requests.at(-1)?.aborted).toBe(true);
  });

  it("an already aborted signal sends nothing", async () => {
    const { error } = await run(request(), { signal: AbortSignal.abort(), model: undefined });
    expect((error as Error).name).toBe("AbortError");
    expect(fake.chatBodies).toEqual([]);
  });

  it("breaking out of the loop cancels the upstream request", async () => {
    fake.reply({ text: ["a", "b", "c", "d"], delayMs: 20 });
    const model = await modelInfo(DEEP);
    for await (const event of streamChat(request(), direct(model))) {
      if (event.type === "text") break;
    }
    expect(fake.requests.at(-1)?.aborted).toBe(true);
  });
});
