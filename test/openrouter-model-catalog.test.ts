import { env } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import type { Env } from "../src/config.ts";
import {
  clearModelCatalogCache,
  createModelCatalog,
  MODELS_KV_KEY,
  type ModelCatalogOptions,
} from "../src/openrouter/model-catalog.ts";
import { OpenRouterError } from "../src/openrouter/openrouter-error.ts";
import { catalogEntry, FAKE_OPENROUTER_URL, FakeOpenRouter } from "./fakes/openrouter.ts";

const kv = (env as unknown as Env).SETTINGS;
let fake: FakeOpenRouter;
let clock: number;

function catalog(extra: Partial<ModelCatalogOptions> = {}) {
  return createModelCatalog({
    baseUrl: FAKE_OPENROUTER_URL,
    apiKey: "sk-or-test",
    fetch: (input, init) => fake.handle(new Request(input, init)),
    now: () => clock,
    ...extra,
  });
}

const modelFetches = () => fake.requests.filter((r) => r.path === "/api/v1/models").length;

beforeEach(async () => {
  fake = new FakeOpenRouter();
  clock = 1_800_000_000_000;
  clearModelCatalogCache();
  await kv.delete(MODELS_KV_KEY);
});

describe("model catalog", () => {
  it("maps the real /models shape, sending the API key", async () => {
    const deep = await catalog().get("openai/o4-mini-deep-research");
    expect(deep).toEqual({
      id: "openai/o4-mini-deep-research",
      name: "OpenAI: o4 Mini Deep Research",
      contextLength: 200_000,
      maxCompletionTokens: 100_000,
      pricing: { prompt: 0.000002, completion: 0.000008, request: 0, webSearch: 0.01 },
      supportedParameters: [
        "max_tokens",
        "reasoning",
        "include_reasoning",
        "temperature",
        "response_format",
        "seed",
      ],
      supportedEfforts: ["medium"],
      inputModalities: ["text", "image", "file"],
    });
    expect(fake.requests[0]?.headers.authorization).toBe("Bearer sk-or-test");
    expect((await catalog().get("anthropic/claude-sonnet-4.5"))?.supportedEfforts).toBeUndefined();
    expect(await catalog().get("nobody/nothing")).toBeUndefined();
  });

  it("answers a second call within the TTL without fetching, and refetches after it", async () => {
    await catalog().get("tiny/model");
    await catalog().search("o4", 5);
    expect(modelFetches()).toBe(1);
    clock += 10 * 60_000 + 1;
    await catalog().get("tiny/model");
    expect(modelFetches()).toBe(2);
  });

  it("shares one fetch between concurrent callers", async () => {
    const c = catalog();
    await Promise.all([c.get("tiny/model"), c.get("openai/o4-mini"), c.search("claude", 3)]);
    expect(modelFetches()).toBe(1);
  });

  it("writes KV with an hour's expiry so a cold isolate starts without fetching", async () => {
    await catalog({ kv }).get("tiny/model");
    expect(modelFetches()).toBe(1);
    const { keys } = await kv.list({ prefix: MODELS_KV_KEY });
    expect(keys[0]?.expiration).toBeGreaterThan(Date.now() / 1000 + 3500);

    clearModelCatalogCache();
    const warm = await catalog({ kv }).get("openai/o4-mini");
    expect(warm?.supportedEfforts).toEqual(["low", "medium", "high"]);
    expect(modelFetches()).toBe(1);
  });

  it("uses the stale copy when a refresh fails", async () => {
    await catalog().get("tiny/model");
    clock += 60 * 60_000;
    fake.modelsFailure = {
      status: 503,
      body: { error: { code: 503, message: "Service unavailable" } },
    };
    expect((await catalog().get("tiny/model"))?.contextLength).toBe(1_000);
    expect(modelFetches()).toBe(2);
  });

  it("uses a stale KV copy in a cold isolate when the fetch fails", async () => {
    await catalog({ kv }).get("tiny/model");
    clearModelCatalogCache();
    clock += 30 * 60_000;
    fake.modelsFailure = { status: 502, body: { error: { code: 502, message: "Bad gateway" } } };
    expect(await catalog({ kv }).get("tiny/model")).toBeDefined();
    expect(modelFetches()).toBe(2);
  });

  it("throws OpenRouterError when the fetch fails and nothing is cached", async () => {
    fake.modelsFailure = {
      status: 401,
      body: { error: { code: 401, message: "No auth credentials found" } },
    };
    const err = await catalog()
      .get("tiny/model")
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenRouterError);
    expect((err as OpenRouterError).code).toBe("auth");

    const offline = createModelCatalog({
      baseUrl: "https://offline.test/api/v1",
      fetch: async () => {
        throw new TypeError("Network connection lost.");
      },
    });
    expect(await offline.search("o4", 3).catch((e: OpenRouterError) => e.code)).toBe("network");
  });

  it("ranks id prefix matches, then id substrings, then names, case-insensitively, up to the limit", async () => {
    const entry = (id: string, name: string) =>
      catalogEntry(id, name, {
        context: 8_000,
        maxCompletion: 1_000,
        prompt: "0",
        completion: "0",
        params: [],
        input: ["text"],
      });
    fake.models.push(
      entry("claude-community/remix", "Remix"),
      entry("other/helper", "A Claude-like helper"),
    );
    const ids = async (q: string, limit: number) =>
      (await catalog().search(q, limit)).map((m) => m.id);
    expect(await ids("CLAUDE", 10)).toEqual([
      "claude-community/remix",
      "anthropic/claude-sonnet-4.5",
      "other/helper",
    ]);
    expect(await ids("claude", 2)).toEqual([
      "claude-community/remix",
      "anthropic/claude-sonnet-4.5",
    ]);
    expect(await ids("openai/o4-mini", 10)).toEqual([
      "openai/o4-mini-deep-research",
      "openai/o4-mini",
    ]);
    expect(await ids("zzz", 10)).toEqual([]);
  });
});
