/**
 * An in-process OpenRouter: serves `GET /models` from a catalog, streams scripted answers for
 * `POST /chat/completions` with the real SSE framing and chunk shapes, and answers
 * `GET /generation?id=` the way the real one does (404 at first, then the record).
 * It records every request so tests can assert on what Quarry sent.
 */
import { defaultCatalog } from "./openrouter-catalog.ts";
import { chatSteps, type ScriptedReply, type Step } from "./openrouter-sse.ts";

export * from "./openrouter-catalog.ts";
export * from "./openrouter-sse.ts";

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: unknown;
  /** Set when the client aborted the request or cancelled the stream before it finished. */
  aborted?: boolean;
}

/** One generation as `GET /generation` reports it. */
interface Generation {
  id: string;
  model: string;
  reply: ScriptedReply;
  record: RecordedRequest;
  /** `GET /generation` calls for this id so far. */
  lookups: number;
}

export const FAKE_OPENROUTER_URL = "https://openrouter.test/api/v1";

const DEFAULT_REPLY: ScriptedReply = {
  text: ["This is ", "a short answer from the fake."],
  usage: { cost: 0.0001, promptTokens: 12, completionTokens: 8 },
};

export class FakeOpenRouter {
  readonly requests: RecordedRequest[] = [];
  /** What `GET /models` serves, and which models chat answers for; tests may edit it. */
  models: Record<string, unknown>[] = defaultCatalog();
  /** When set, `GET /models` fails with it (until cleared). */
  modelsFailure: { status: number; body: unknown } | undefined;
  /** `GET /generation?id=` answers 404 this many times per id before the record, as right after the end. */
  generationNotReadyFor = 0;
  private readonly script: ScriptedReply[] = [];
  private readonly generations = new Map<string, Generation>();

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

  /** `GET /generation` requests received, in order. */
  get generationLookups(): RecordedRequest[] {
    return this.requests.filter((r) => r.path.endsWith("/generation"));
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
    if (req.method === "GET" && path === "/generation") {
      return this.serveGeneration(url.searchParams.get("id") ?? "");
    }
    if (req.method === "POST" && path === "/chat/completions")
      return this.serveChat(req, record, body);
    return json(404, { error: { code: 404, message: `No route for ${req.method} ${path}` } });
  }

  private serveModels(): Response {
    if (this.modelsFailure) return json(this.modelsFailure.status, this.modelsFailure.body);
    return json(200, { data: this.models });
  }

  /**
   * The model that answers, as OpenRouter picks it: with a `models` array the first one the
   * catalog has (it falls back past unknown and failing ids), else `model` itself.
   */
  private answeringModel(body: unknown): { model: string } | { invalid: string } {
    const b = (body ?? {}) as { model?: unknown; models?: unknown };
    const known = new Set(this.models.map((m) => String(m.id)));
    const asked = typeof b.model === "string" ? b.model : "unknown/model";
    if (Array.isArray(b.models) && b.models.length) {
      const ids = b.models.filter((m): m is string => typeof m === "string");
      const found = ids.find((id) => known.has(id));
      return found ? { model: found } : { invalid: ids[0] ?? asked };
    }
    return known.has(asked) ? { model: asked } : { invalid: asked };
  }

  private serveChat(req: Request, record: RecordedRequest, body: unknown): Response {
    // Checked before any model runs, so a scripted reply waits for the next valid request.
    const answering = this.answeringModel(body);
    if ("invalid" in answering) {
      // The real body, user_id included (https://github.com/continuedev/continue/issues/10758).
      return json(400, {
        error: { message: `${answering.invalid} is not a valid model ID`, code: 400 },
        user_id: "user_fake",
      });
    }
    const reply = this.script.shift() ?? DEFAULT_REPLY;
    if (reply.error) return json(reply.error.status, reply.error.body, reply.error.headers);
    const id = `gen-${this.generations.size + 1}-fake`;
    this.generations.set(id, { id, model: answering.model, reply, record, lookups: 0 });
    const all = chatSteps(reply, id, answering.model);
    const steps: Step[] =
      reply.cutAfter !== undefined
        ? [...all.slice(0, reply.cutAfter), { cut: true }]
        : reply.hangAfter === undefined
          ? all
          : [...all.slice(0, reply.hangAfter), { hang: true }];
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
        if ("cut" in step) {
          // What workerd's fetch gives a reader when the peer resets the connection mid-body.
          index = steps.length;
          return controller.error(new TypeError("Network connection lost."));
        }
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

  /** `{ data: { … } }` in the documented snake_case shape, after `generationNotReadyFor` 404s. */
  private serveGeneration(id: string): Response {
    const gen = this.generations.get(id);
    const notFound = () =>
      json(404, { error: { code: 404, message: `Generation ${id} not found` } });
    if (!gen) return notFound();
    gen.lookups++;
    if (gen.lookups <= this.generationNotReadyFor) return notFound();
    const u = gen.reply.usage ?? {};
    return json(200, {
      data: {
        id,
        upstream_id: `chatcmpl-${id}`,
        total_cost: gen.reply.generationCost ?? u.cost ?? 0,
        cache_discount: null,
        upstream_inference_cost: null,
        created_at: new Date().toISOString(),
        model: gen.model,
        streamed: true,
        cancelled: gen.record.aborted === true,
        provider_name: "OpenAI",
        latency: 1250,
        generation_time: 1200,
        finish_reason: gen.record.aborted ? null : (gen.reply.finishReason ?? "stop"),
        tokens_prompt: u.promptTokens ?? 10,
        tokens_completion: u.completionTokens ?? 20,
        native_tokens_prompt: u.promptTokens ?? 10,
        native_tokens_completion: u.completionTokens ?? 20,
        native_tokens_reasoning: u.reasoningTokens ?? 0,
        num_search_results: u.webSearches ?? 0,
        origin: "https://github.com/quarry-bot/quarry",
        usage: gen.reply.generationCost ?? u.cost ?? 0,
        is_byok: false,
      },
    });
  }
}

/** A string body goes as it is: what a gateway's HTML error page looks like on the wire. */
function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(typeof body === "string" ? body : JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json", ...headers },
  });
}
