import { createParser } from "eventsource-parser";
import { CitationSet, chunkAnnotations } from "./citations.ts";
import {
  errorFromBody,
  errorFromResponse,
  formatDuration,
  OpenRouterError,
  type OpenRouterErrorBody,
} from "./openrouter-error.ts";
import { StepReader } from "./progress-steps.ts";
import { chatRequestBody } from "./request-body.ts";
import type { ChatRequest, ModelInfo, StreamEvent } from "./types.ts";
import { readUsage } from "./usage.ts";

export { chatRequestBody } from "./request-body.ts";

export interface StreamChatOptions {
  baseUrl: string;
  apiKey: string;
  /** The catalog entry of `req.model`; undefined when the catalog does not know it. */
  model: ModelInfo | undefined;
  fetch?: typeof fetch;
  signal?: AbortSignal;
  /** Longest wait for the first text, reasoning or citation. Deep research thinks for many minutes. */
  firstOutputTimeoutMs?: number;
  /** Longest silence (keep-alives do not count) once output has started. */
  idleTimeoutMs?: number;
  referer?: string;
  title?: string;
  /**
   * Called once, as soon as the generation id is known (the `X-Generation-Id` header or the
   * first chunk's `id`), so a stopped or failed answer can still look its cost up.
   */
  onGenerationId?: (id: string) => void;
}

const FIRST_OUTPUT_TIMEOUT_MS = 20 * 60_000;
const IDLE_TIMEOUT_MS = 3 * 60_000;
const DEFAULT_REFERER = "https://github.com/quarry-bot/quarry";
const DEFAULT_TITLE = "Quarry";

/**
 * Streams one chat completion. Yields keep-alives, text, reasoning, steps, new or improved
 * citations, usage and a final `done`; throws `OpenRouterError` for HTTP errors, in-band errors, an early end and
 * a stall, and the abort reason when `opts.signal` fires.
 */
export async function* streamChat(
  req: ChatRequest,
  opts: StreamChatOptions,
): AsyncGenerator<StreamEvent> {
  opts.signal?.throwIfAborted();
  const guard = new Watchdog(
    req.model,
    opts.firstOutputTimeoutMs ?? FIRST_OUTPUT_TIMEOUT_MS,
    opts.idleTimeoutMs ?? IDLE_TIMEOUT_MS,
    opts.signal,
  );
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  let finished = false;
  try {
    const response = await guard.race(send(req, opts, guard.controller.signal));
    if (!response.ok) throw await guard.race(errorFromResponse(response, req.model));
    if (response.headers.get("Content-Type")?.includes("application/json")) {
      throw await guard.race(jsonBodyError(response, req.model));
    }
    if (!response.body) throw earlyEnd(req.model);
    reader = response.body.getReader();

    const state = new ChunkReader(
      req.model,
      response.headers.get("X-Generation-Id") ?? undefined,
      opts.onGenerationId,
    );
    const parser = createParser({
      onComment: () => state.events.push({ type: "keepalive" }),
      onEvent: (message) => state.read(message.data),
    });
    const decoder = new TextDecoder();
    for (;;) {
      const { done, value } = await guard.race(
        readBody(reader, guard.controller.signal, req.model),
      );
      parser.feed(done ? decoder.decode() : decoder.decode(value, { stream: true }));
      if (done) parser.reset({ consume: true });
      for (const event of state.events.splice(0)) {
        if (event.type !== "keepalive" && event.type !== "usage") guard.output();
        yield event;
      }
      if (state.error) throw state.error;
      if (state.sawDone || done) break;
    }
    if (!state.sawDone && !state.finishReason) throw earlyEnd(req.model);
    finished = true;
    const done: StreamEvent = { type: "done", finishReason: state.finishReason };
    if (state.generationId) done.generationId = state.generationId;
    if (state.answeredBy) done.model = state.answeredBy;
    yield done;
  } finally {
    guard.dispose();
    // Aborting stops processing and billing upstream; only when the answer did not finish.
    if (!finished) guard.controller.abort();
    reader?.cancel().catch(() => {});
  }
}

async function send(
  req: ChatRequest,
  opts: StreamChatOptions,
  signal: AbortSignal,
): Promise<Response> {
  const fetchFn = opts.fetch ?? globalThis.fetch;
  const title = opts.title ?? DEFAULT_TITLE;
  try {
    return await fetchFn(`${opts.baseUrl}/chat/completions`, {
      method: "POST",
      headers: {
        Authorization: `Bearer ${opts.apiKey}`,
        "Content-Type": "application/json",
        Accept: "text/event-stream",
        "HTTP-Referer": opts.referer ?? DEFAULT_REFERER,
        "X-OpenRouter-Title": title,
        // The older name of the same attribution header; some OpenRouter paths still read only it.
        "X-Title": title,
      },
      body: JSON.stringify(chatRequestBody(req, opts.model)),
      signal,
    });
  } catch (cause) {
    if (signal.aborted) throw signal.reason;
    throw new OpenRouterError("network", "OpenRouter could not be reached", {
      retryable: true,
      model: req.model,
      cause,
    });
  }
}

/** A 200 with a JSON body instead of SSE carries an error object (or nothing we can stream). */
async function jsonBodyError(response: Response, model: string): Promise<OpenRouterError> {
  const body = (await response.json().catch(() => undefined)) as
    | { error?: OpenRouterErrorBody }
    | undefined;
  return body?.error ? errorFromBody(0, body.error, { model }) : earlyEnd(model);
}

/**
 * The next piece of the body. A read that fails without an abort is the connection dropping
 * mid-answer (workerd: `TypeError: Network connection lost.`): OpenRouter's stream broke,
 * which asking again may mend, not a fault inside Quarry.
 */
async function readBody(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  signal: AbortSignal,
  model: string,
): Promise<ReadableStreamReadResult<Uint8Array>> {
  try {
    return await reader.read();
  } catch (cause) {
    if (signal.aborted) throw signal.reason;
    throw new OpenRouterError(
      "stream_error",
      "OpenRouter: the connection to OpenRouter was cut mid-answer; ask again to retry",
      { retryable: true, model, cause },
    );
  }
}

function earlyEnd(model: string): OpenRouterError {
  return new OpenRouterError("stream_error", "OpenRouter: the stream ended early", {
    retryable: true,
    model,
  });
}

/**
 * Aborts the request when nothing but keep-alives arrived for too long, or when the caller's
 * signal fires. Keep-alives prove the connection lives, not that the model makes progress.
 */
class Watchdog {
  readonly controller = new AbortController();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private fail!: (reason: unknown) => void;
  private readonly interrupted = new Promise<never>((_, reject) => {
    this.fail = reject;
  });
  private started = false;
  /** When the silence allowed ends. */
  private deadline = 0;
  private readonly onAbort = () =>
    this.stop(this.signal?.reason ?? new DOMException("The operation was aborted", "AbortError"));

  constructor(
    private readonly model: string,
    firstOutputMs: number,
    private readonly idleMs: number,
    private readonly signal: AbortSignal | undefined,
  ) {
    this.interrupted.catch(() => {});
    this.arm(firstOutputMs);
    if (signal?.aborted) this.onAbort();
    else signal?.addEventListener("abort", this.onAbort);
  }

  race<T>(work: Promise<T>): Promise<T> {
    return Promise.race([work, this.interrupted]);
  }

  /** Text, reasoning or a citation arrived: from now on the idle deadline applies. */
  output(): void {
    if (!this.started) {
      this.started = true;
      this.arm(this.idleMs);
      // The timer, armed once, checks this deadline when it fires: resetting a timer at every
      // token would cost more than reading the token.
    } else this.deadline = Date.now() + this.idleMs;
  }

  dispose(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.signal?.removeEventListener("abort", this.onAbort);
  }

  private arm(ms: number): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.deadline = Date.now() + ms;
    this.timer = setTimeout(() => this.check(ms), ms);
  }

  private check(ms: number): void {
    const left = this.deadline - Date.now();
    if (left > 0) {
      this.timer = setTimeout(() => this.check(ms), left);
      return;
    }
    const wait = formatDuration(ms);
    const message = this.started
      ? `OpenRouter sent nothing for ${wait} after the answer started`
      : `OpenRouter sent only keep-alives for ${wait}, no output`;
    this.stop(
      new OpenRouterError("stall", message, {
        retryable: true,
        model: this.model,
        silentForMs: ms,
      }),
    );
  }

  private stop(reason: unknown): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.fail(reason);
    this.controller.abort(reason);
  }
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null;
const nonEmpty = (value: unknown): value is string => typeof value === "string" && value !== "";

/** Turns SSE `data` payloads into stream events; remembers what `done` needs. */
class ChunkReader {
  readonly events: StreamEvent[] = [];
  error: OpenRouterError | undefined;
  sawDone = false;
  finishReason: string | undefined;
  /** The chunks' `model`: with `models` fallbacks or a dated snapshot it differs from the request. */
  answeredBy: string | undefined;
  private readonly citations = new CitationSet();
  private readonly steps = new StepReader();

  constructor(
    private readonly model: string,
    public generationId: string | undefined,
    private readonly onGenerationId: ((id: string) => void) | undefined,
  ) {
    if (generationId) this.tellGenerationId(generationId);
  }

  private tellGenerationId(id: string): void {
    try {
      this.onGenerationId?.(id);
    } catch {
      // The caller's bookkeeping must not break the answer.
    }
  }

  read(data: string): void {
    if (this.error || this.sawDone) return;
    if (data.trim() === "[DONE]") {
      this.sawDone = true;
      return;
    }
    let chunk: unknown;
    try {
      chunk = JSON.parse(data);
    } catch {
      return; // A garbled line is not worth losing the answer over.
    }
    if (!isObject(chunk)) return;
    if (!this.generationId && nonEmpty(chunk.id)) {
      this.generationId = chunk.id;
      this.tellGenerationId(chunk.id);
    }
    if (nonEmpty(chunk.model)) this.answeredBy = chunk.model;
    const choice =
      Array.isArray(chunk.choices) && isObject(chunk.choices[0]) ? chunk.choices[0] : undefined;
    if (choice) this.readChoice(choice);
    if (isObject(chunk.usage)) this.events.push({ type: "usage", usage: readUsage(chunk.usage) });
    if (isObject(chunk.error)) {
      this.error = errorFromBody(0, chunk.error as OpenRouterErrorBody, { model: this.model });
    } else if (choice?.finish_reason === "error") {
      this.error = new OpenRouterError(
        "stream_error",
        "OpenRouter: the provider ended the answer with an error",
        {
          retryable: true,
          model: this.model,
        },
      );
    }
  }

  private readChoice(choice: Json): void {
    const delta = isObject(choice.delta) ? choice.delta : {};
    const details = Array.isArray(delta.reasoning_details) ? delta.reasoning_details : [];
    // `reasoning` and `reasoning_details` carry the same text; show one.
    const reasoning =
      typeof delta.reasoning === "string"
        ? delta.reasoning
        : details
            .map((d) =>
              isObject(d) ? (nonEmpty(d.text) ? d.text : nonEmpty(d.summary) ? d.summary : "") : "",
            )
            .join("");
    if (reasoning) this.events.push({ type: "reasoning", text: reasoning });
    for (const text of this.steps.read(reasoning, details)) {
      this.events.push({ type: "step", text });
    }
    if (nonEmpty(delta.content)) this.events.push({ type: "text", text: delta.content });
    const changed = this.citations.add(chunkAnnotations(choice));
    if (changed.length) {
      this.events.push({ type: "citations", citations: changed, all: this.citations.all() });
    }
    if (nonEmpty(choice.finish_reason)) this.finishReason = choice.finish_reason;
  }
}
