/**
 * What the footer needs: usage with reasoning tokens, searches, cost and cost_details; the
 * honest finish_reason; and the cost of a stopped or failed answer from GET /generation.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { streamChat } from "../src/openrouter/chat-stream.ts";
import { fetchGenerationCost } from "../src/openrouter/generation-cost.ts";
import { readUsage } from "../src/openrouter/usage.ts";
import { FAKE_OPENROUTER_URL } from "./fakes/openrouter.ts";
import {
  DEEP,
  type Harness,
  ofType,
  openRouterHarness,
  question,
} from "./support/openrouter-harness.ts";

let h: Harness;
beforeEach(() => {
  h = openRouterHarness();
});

describe("usage", () => {
  it("carries tokens, reasoning tokens, searches, cost and cost_details from the last chunk", async () => {
    const costDetails = {
      upstream_inference_cost: 0.0412,
      upstream_inference_prompt_cost: 0.0112,
      upstream_inference_completions_cost: 0.03,
    };
    h.fake.reply({
      text: ["ok"],
      usage: {
        promptTokens: 1200,
        completionTokens: 3400,
        reasoningTokens: 2500,
        webSearches: 14,
        cost: 0.2112,
        costDetails,
      },
    });
    const [usage] = ofType((await h.run(question())).events, "usage");
    expect(usage?.usage).toEqual({
      promptTokens: 1200,
      completionTokens: 3400,
      reasoningTokens: 2500,
      webSearches: 14,
      cost: 0.2112,
      costDetails,
    });
  });

  it.each(["web_search_requests", "num_search_queries"] as const)(
    "reads the search count from usage.%s too",
    async (at) => {
      h.fake.reply({ text: ["ok"], usage: { webSearches: 4, webSearchesAt: at } });
      const [usage] = ofType((await h.run(question())).events, "usage");
      expect(usage?.usage.webSearches).toBe(4);
    },
  );

  it("leaves out what is absent or not a number instead of guessing", () => {
    expect(
      readUsage({
        prompt_tokens: 5,
        cost: "0.1",
        cost_details: { upstream_inference_cost: null, note: "x" },
        server_tool_use: {},
      }),
    ).toEqual({ promptTokens: 5, completionTokens: 0 });
  });
});

describe("done", () => {
  it.each(["length", "content_filter", "stop", "tool_calls"])(
    "reports finish_reason %s as sent",
    async (finishReason) => {
      h.fake.reply({ text: ["cut here"], finishReason });
      const { events, error } = await h.run(question());
      expect(error).toBeUndefined();
      expect(events.at(-1)).toEqual({
        type: "done",
        finishReason,
        generationId: "gen-1-fake",
        model: DEEP,
      });
    },
  );
});

describe("fetchGenerationCost", () => {
  const waits: number[] = [];
  const sleep = async (ms: number) => {
    waits.push(ms);
  };
  beforeEach(() => {
    waits.length = 0;
  });
  const lookup = (id: string, extra: Partial<Parameters<typeof fetchGenerationCost>[0]> = {}) =>
    fetchGenerationCost({
      baseUrl: FAKE_OPENROUTER_URL,
      apiKey: "sk-or-test",
      id,
      fetch: h.fetch,
      sleep,
      ...extra,
    });

  /** Streams one answer, stops it at the first text, and returns the id it was told early. */
  async function stoppedAnswer(cost: number): Promise<string> {
    h.fake.reply({ reasoning: ["thinking"], text: ["a", "b", "c"], generationCost: cost });
    const controller = new AbortController();
    const ids: string[] = [];
    const stream = streamChat(question(), {
      baseUrl: FAKE_OPENROUTER_URL,
      apiKey: "sk-or-test",
      fetch: h.fetch,
      model: await h.modelInfo(DEEP),
      signal: controller.signal,
      onGenerationId: (id) => ids.push(id),
    });
    const stop = new Error("Stop pressed");
    await expect(
      (async () => {
        for await (const event of stream) if (event.type === "text") controller.abort(stop);
      })(),
    ).rejects.toBe(stop);
    expect(h.fake.requests.find((r) => r.method === "POST")?.aborted).toBe(true);
    expect(ids).toHaveLength(1);
    return ids[0] ?? "";
  }

  it("retries the 404s that follow the end, then reads the cost, model and tokens", async () => {
    h.fake.generationNotReadyFor = 2;
    const id = await stoppedAnswer(0.0734);
    expect(id).toBe("gen-1-fake");
    const got = await lookup(id);
    expect(got).toEqual({
      cost: 0.0734,
      model: DEEP,
      promptTokens: 10,
      completionTokens: 20,
      reasoningTokens: 0,
      searchResults: 0,
      cancelled: true,
      providerName: "OpenAI",
    });
    expect(h.fake.generationLookups).toHaveLength(3);
    expect(h.fake.generationLookups[0]?.headers.authorization).toBe("Bearer sk-or-test");
    expect(waits).toEqual([1000, 2000]);
  });

  it("gives up quietly after its attempts when the record never appears", async () => {
    h.fake.generationNotReadyFor = 10;
    const id = await stoppedAnswer(0.01);
    expect(await lookup(id, { attempts: 3, firstDelayMs: 10 })).toBeUndefined();
    expect(h.fake.generationLookups).toHaveLength(3);
    expect(waits).toEqual([10, 20]);
  });

  it("retries 5xx and network errors, but not a 401", async () => {
    let calls = 0;
    const flaky: typeof fetch = async (input, init) => {
      calls++;
      if (calls === 1) throw new TypeError("Network connection lost.");
      if (calls === 2) return new Response("upstream", { status: 502 });
      return h.fetch(input, init);
    };
    h.fake.reply({ text: ["done"], usage: { cost: 0.5 } });
    await h.run(question());
    expect((await lookup("gen-1-fake", { fetch: flaky }))?.cost).toBe(0.5);
    expect(calls).toBe(3);

    let denied = 0;
    const unauthorized: typeof fetch = async () => {
      denied++;
      return Response.json({ error: { code: 401, message: "No auth" } }, { status: 401 });
    };
    expect(await lookup("gen-1-fake", { fetch: unauthorized })).toBeUndefined();
    expect(denied).toBe(1);
  });

  it("reads the camelCase shape of the SDKs and a body without data as unknown", async () => {
    const camel: typeof fetch = async () =>
      Response.json({
        data: { totalCost: 0.25, model: "perplexity/sonar-deep-research", tokensPrompt: 9 },
      });
    expect(await lookup("gen-x", { fetch: camel })).toEqual({
      cost: 0.25,
      model: "perplexity/sonar-deep-research",
      promptTokens: 9,
    });
    const empty: typeof fetch = async () => Response.json({});
    expect(await lookup("gen-x", { fetch: empty })).toBeUndefined();
  });
});
