/** A fake OpenRouter and Quarry's client pointed at it, for the OpenRouter unit tests. */
import { type StreamChatOptions, streamChat } from "../../src/openrouter/chat-stream.ts";
import { clearModelCatalogCache, createModelCatalog } from "../../src/openrouter/model-catalog.ts";
import type { ChatRequest, ModelInfo, StreamEvent } from "../../src/openrouter/types.ts";
import { FAKE_OPENROUTER_URL, FakeOpenRouter } from "../fakes/openrouter.ts";

export const DEEP = "openai/o4-mini-deep-research";

export interface Harness {
  fake: FakeOpenRouter;
  fetch: typeof fetch;
  /** The catalog entry the fake serves for `id`. */
  modelInfo(id: string): Promise<ModelInfo | undefined>;
  /** Streams `req` to the end (or the error), with the catalog entry of `req.model` unless given. */
  run(
    req: ChatRequest,
    opts?: Partial<StreamChatOptions>,
  ): Promise<{ events: StreamEvent[]; error?: unknown }>;
}

/** A fresh fake and a cold catalog cache. */
export function openRouterHarness(): Harness {
  clearModelCatalogCache();
  const fake = new FakeOpenRouter();
  const fetchFn: typeof fetch = (input, init) => fake.handle(new Request(input, init));
  const modelInfo = (id: string) =>
    createModelCatalog({ baseUrl: FAKE_OPENROUTER_URL, fetch: fetchFn }).get(id);
  return {
    fake,
    fetch: fetchFn,
    modelInfo,
    async run(req, opts = {}) {
      const events: StreamEvent[] = [];
      try {
        const model = "model" in opts ? opts.model : await modelInfo(req.model);
        const base = { baseUrl: FAKE_OPENROUTER_URL, apiKey: "sk-or-test", fetch: fetchFn };
        for await (const event of streamChat(req, { ...base, ...opts, model })) events.push(event);
        return { events };
      } catch (error) {
        return { events, error };
      }
    },
  };
}

/** A user question to `model`. */
export function question(model = DEEP, extra: Partial<ChatRequest> = {}): ChatRequest {
  return { model, messages: [{ role: "user", content: "What changed in HTTP/3?" }], ...extra };
}

/** An upstream that answers with hand-written SSE frames, for shapes the fake does not script. */
export function rawSse(frames: string[], headers: Record<string, string> = {}): typeof fetch {
  return async () =>
    new Response(frames.join(""), { headers: { "Content-Type": "text/event-stream", ...headers } });
}

export const frame = (payload: unknown) => `data: ${JSON.stringify(payload)}\n\n`;
export const choiceFrame = (choice: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  frame({ id: "gen-raw", ...extra, choices: [{ index: 0, ...choice }] });

/** The events of one type, narrowed. */
export function ofType<T extends StreamEvent["type"]>(
  events: StreamEvent[],
  type: T,
): Extract<StreamEvent, { type: T }>[] {
  return events.filter((e): e is Extract<StreamEvent, { type: T }> => e.type === type);
}
