/**
 * What Quarry sends to `POST /chat/completions`: only the parameters a model takes, the
 * known exceptions to the catalog, web search for models that do not search on their own,
 * and the `models` fallback array.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { chatRequestBody } from "../src/openrouter/chat-stream.ts";
import { hashUser } from "../src/openrouter/hash-user.ts";
import { abortStopsBilling, isSameModel, searchesOnItsOwn } from "../src/openrouter/model-rules.ts";
import type { ChatRequest, ModelInfo } from "../src/openrouter/types.ts";
import { DEEP, type Harness, openRouterHarness, question } from "./support/openrouter-harness.ts";

let h: Harness;
let fake: Harness["fake"];
beforeEach(() => {
  h = openRouterHarness();
  fake = h.fake;
});

const run: Harness["run"] = (req, opts) => h.run(req, opts);
const request = (model = DEEP, extra: Partial<ChatRequest> = {}) => question(model, extra);

function expectOmits(body: Record<string, unknown> | undefined, ...keys: string[]) {
  for (const key of keys) expect(body).not.toHaveProperty(key);
}

/** A catalog entry as Quarry reads it, for body tests that need no fake. */
function info(
  id: string,
  supportedParameters: string[],
  extra: Partial<ModelInfo> = {},
): ModelInfo {
  return {
    id,
    name: id,
    contextLength: 100_000,
    pricing: { prompt: 0, completion: 0 },
    supportedParameters,
    inputModalities: ["text"],
    ...extra,
  };
}

describe("streamChat request", () => {
  it("drops temperature for deep research and sends effort only when it is the supported medium", async () => {
    await run(request(DEEP, { temperature: 0.7, effort: "high", maxTokens: 5000 }));
    await run(request(DEEP, { temperature: 0.7, effort: "medium" }));
    const [high, medium] = fake.chatBodies;
    expect(high).toMatchObject({
      model: DEEP,
      stream: true,
      max_tokens: 5000,
      usage: { include: true },
    });
    expectOmits(high, "temperature", "reasoning");
    expect(medium).toMatchObject({ reasoning: { effort: "medium" } });
    expectOmits(medium, "temperature");
    for (const body of fake.chatBodies) expectOmits(body, "tools");
  });

  it("sends temperature and effort where the model lists them, and clamps max_tokens", async () => {
    await run(request("anthropic/claude-sonnet-4.5", { temperature: 0.3, effort: "low" }));
    await run(request("openai/o4-mini", { temperature: 0.3, effort: "high" }));
    await run(request("tiny/model", { maxTokens: 4000 }));
    const [claude, o4, tiny] = fake.chatBodies;
    expect(claude).toMatchObject({ temperature: 0.3 });
    expectOmits(claude, "reasoning");
    expect(o4).toMatchObject({ reasoning: { effort: "high" } });
    expectOmits(o4, "temperature");
    expect(tiny).toMatchObject({ max_tokens: 256 });
  });

  it("for a model the catalog does not know sends max_tokens but neither temperature nor reasoning", async () => {
    await run(request("new/model", { maxTokens: 900, temperature: 1, effort: "low" }), {
      model: undefined,
    });
    const [body] = fake.chatBodies;
    expect(body).toMatchObject({ model: "new/model", max_tokens: 900 });
    expectOmits(body, "temperature", "reasoning");
  });

  it("sends the hashed user id, never the raw one, with auth and attribution headers", async () => {
    const user = await hashUser("sk-or-test", "slack", "U024BE7LH");
    await run(request(DEEP, { user }));
    const [sent] = fake.requests.filter((r) => r.method === "POST");
    expect(sent?.path).toBe("/api/v1/chat/completions");
    expect(sent?.body).toMatchObject({ user });
    expect(JSON.stringify(sent?.body)).not.toContain("U024BE7LH");
    expect(sent?.headers).toMatchObject({
      authorization: "Bearer sk-or-test",
      "http-referer": "https://github.com/quarry-bot/quarry",
      "x-openrouter-title": "Quarry",
      "x-title": "Quarry",
    });
  });

  it("uses the referer and title it is given", async () => {
    await run(request(), { referer: "https://example.org/bot", title: "Desk" });
    const { headers } = fake.requests.filter((r) => r.method === "POST")[0] ?? {};
    expect(headers).toMatchObject({ "http-referer": "https://example.org/bot", "x-title": "Desk" });
    expect(headers?.["x-openrouter-title"]).toBe("Desk");
  });
});

describe("hashUser", () => {
  it("is 32 hex chars, stable, and differs between platforms for the same id", async () => {
    const a = await hashUser("secret-1", "slack", "U1");
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect(await hashUser("secret-1", "slack", "U1")).toBe(a);
    expect(await hashUser("secret-1", "discord", "U1")).not.toBe(a);
  });

  it("is an HMAC keyed with the secret, not a bare hash anyone could recompute", async () => {
    const a = await hashUser("secret-1", "slack", "U1");
    expect(await hashUser("secret-2", "slack", "U1")).not.toBe(a);
    const bare = new Uint8Array(
      await crypto.subtle.digest("SHA-256", new TextEncoder().encode("quarry:slack:U1")),
    );
    const bareHex = [...bare].map((b) => b.toString(16).padStart(2, "0")).join("");
    expect(a).not.toBe(bareHex.slice(0, 32));
  });
});

describe("model rules", () => {
  it("sends OpenAI deep research only medium effort even where the catalog lists more", () => {
    const listed = info(DEEP, ["reasoning"], { supportedEfforts: ["low", "medium", "high"] });
    expect(chatRequestBody(request(DEEP, { effort: "high" }), listed)).not.toHaveProperty(
      "reasoning",
    );
    expect(chatRequestBody(request(DEEP, { effort: "medium" }), listed)).toMatchObject({
      reasoning: { effort: "medium" },
    });
  });

  it("follows the catalog's efforts for other deep research, and sends only medium when it lists none", () => {
    const sonar = "perplexity/sonar-deep-research";
    const listed = info(sonar, ["reasoning"], { supportedEfforts: ["low", "medium", "high"] });
    expect(chatRequestBody(request(sonar, { effort: "high" }), listed)).toMatchObject({
      reasoning: { effort: "high" },
    });
    const unlisted = info(sonar, ["reasoning", "temperature"]);
    expect(chatRequestBody(request(sonar, { effort: "low" }), unlisted)).not.toHaveProperty(
      "reasoning",
    );
    expect(chatRequestBody(request(sonar, { temperature: 0.2 }), unlisted)).not.toHaveProperty(
      "temperature",
    );
  });
});

describe("web search", () => {
  it("gives a model that takes tools the openrouter:web_search server tool", async () => {
    await run(request("anthropic/claude-sonnet-4.5", { webSearch: true }));
    const [body] = fake.chatBodies;
    expect(body?.tools).toEqual([{ type: "openrouter:web_search" }]);
    expectOmits(body, "plugins");
  });

  it("gives a model without tools, or one the catalog does not know, the web plugin", async () => {
    await run(request("tiny/model", { webSearch: true }));
    const [tiny] = fake.chatBodies;
    expect(tiny?.plugins).toEqual([{ id: "web" }]);
    expectOmits(tiny, "tools");
    expect(chatRequestBody(request("new/model", { webSearch: true }), undefined)).toMatchObject({
      plugins: [{ id: "web" }],
    });
  });

  it("never adds search to deep research or other models that search on their own", async () => {
    await run(request(DEEP, { webSearch: true }));
    expectOmits(fake.chatBodies[0], "tools", "plugins");
    for (const id of [
      "perplexity/sonar-deep-research",
      "perplexity/sonar",
      "openai/gpt-4o-search-preview",
      "openai/gpt-5:online",
    ]) {
      expect(searchesOnItsOwn(id)).toBe(true);
      expectOmits(
        chatRequestBody(request(id, { webSearch: true }), info(id, ["tools"])),
        "tools",
        "plugins",
      );
    }
    expect(searchesOnItsOwn("openai/o4-mini")).toBe(false);
  });

  it("sends nothing for search when it is off", async () => {
    await run(request("anthropic/claude-sonnet-4.5", { webSearch: false }));
    expectOmits(fake.chatBodies[0], "tools", "plugins");
  });

  it("brings the web search citations out as citation events", async () => {
    fake.reply({
      text: ["Per [example.org](https://example.org/a), yes."],
      citations: [{ url: "https://example.org/a", title: "Example" }],
    });
    const { events } = await run(request("anthropic/claude-sonnet-4.5", { webSearch: true }));
    expect(events.find((e) => e.type === "citations")).toMatchObject({
      citations: [{ url: "https://example.org/a", title: "Example" }],
    });
  });
});

describe("models fallback array", () => {
  it("sends the primary first, then distinct fallbacks, at most three ids", () => {
    const body = chatRequestBody(
      request(DEEP, {
        fallbacks: [" perplexity/a ", DEEP, "perplexity/a", "perplexity/b", "perplexity/c"],
      }),
      undefined,
    );
    expect(body.model).toBe(DEEP);
    expect(body.models).toEqual([DEEP, "perplexity/a", "perplexity/b"]);
  });

  it("sends no models array without fallbacks, and leaves deep research out when tools go along", () => {
    expectOmits(chatRequestBody(request(DEEP, { fallbacks: [] }), undefined), "models");
    expectOmits(chatRequestBody(request(DEEP, { fallbacks: [DEEP, " "] }), undefined), "models");
    const claude = info("anthropic/claude-sonnet-4.5", ["tools"]);
    const body = chatRequestBody(
      request(claude.id, {
        webSearch: true,
        fallbacks: ["perplexity/sonar-deep-research", "openai/o4-mini"],
      }),
      claude,
    );
    expect(body.models).toEqual([claude.id, "openai/o4-mini"]);
  });
});

describe("isSameModel", () => {
  it("counts dated snapshots and :variants as the model asked for, and other ids as not", () => {
    expect(isSameModel(DEEP, DEEP)).toBe(true);
    expect(isSameModel(DEEP, `${DEEP}-2025-06-26`)).toBe(true);
    expect(
      isSameModel("google/gemini-3.1-pro-preview", "google/gemini-3.1-pro-preview-20260219"),
    ).toBe(true);
    expect(isSameModel("openai/gpt-5:online", "openai/gpt-5")).toBe(true);
    expect(isSameModel(DEEP, "perplexity/sonar-deep-research")).toBe(false);
    expect(isSameModel("openai/o4-mini", DEEP)).toBe(false);
  });
});

describe("abortStopsBilling", () => {
  it("is true for OpenAI and Anthropic, false for Perplexity, unknown for the rest", () => {
    expect(abortStopsBilling(DEEP)).toBe(true);
    expect(abortStopsBilling("anthropic/claude-sonnet-4.5")).toBe(true);
    expect(abortStopsBilling("perplexity/sonar-deep-research")).toBe(false);
    expect(abortStopsBilling("tiny/model")).toBeUndefined();
  });
});
