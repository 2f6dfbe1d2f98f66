import { describe, expect, it } from "vitest";
import { ESTIMATE, estimateCost, extendTarget, runningCost } from "../src/budget/estimate.ts";
import type { ModelInfo } from "../src/openrouter/types.ts";

function model(over: Partial<ModelInfo>): ModelInfo {
  return {
    id: "x/y",
    name: "x/y",
    contextLength: 128_000,
    pricing: { prompt: 1e-6, completion: 2e-6 },
    supportedParameters: ["max_tokens"],
    inputModalities: ["text"],
    ...over,
  };
}

// PLATFORM-FACTS: $2/M in, $8/M out, $0.01 per web search, 100K max output.
const DEEP = model({
  id: "openai/o4-mini-deep-research",
  maxCompletionTokens: 100_000,
  pricing: { prompt: 2e-6, completion: 8e-6, webSearch: 0.01 },
  supportedParameters: ["reasoning", "max_tokens"],
});

describe("estimateCost", () => {
  it("puts a deep-research answer near the ~$0.92 measured per o4-mini-deep-research query", () => {
    const cost = estimateCost(DEEP, { promptTokens: 1_000, deepResearch: true });
    // 1,000 + 30 × 8,000 prompt tokens, 20,000 output tokens, 30 searches.
    expect(cost).toBeCloseTo(241_000 * 2e-6 + 20_000 * 8e-6 + 30 * 0.01, 9);
    expect(cost).toBeGreaterThan(0.9);
    expect(cost).toBeLessThan(1);
  });

  it("caps the output part by max_tokens, and by the model's completion limit", () => {
    const capped = estimateCost(DEEP, {
      promptTokens: 1_000,
      maxTokens: 2_000,
      deepResearch: true,
    });
    expect(capped).toBeCloseTo(241_000 * 2e-6 + 2_000 * 8e-6 + 30 * 0.01, 9);
    const small = model({ maxCompletionTokens: 500 });
    expect(estimateCost(small, { promptTokens: 0, deepResearch: false })).toBeCloseTo(
      500 * 2e-6,
      12,
    );
  });

  it("assumes a short answer from a plain model and a longer one from a reasoning model", () => {
    const plain = model({});
    expect(estimateCost(plain, { promptTokens: 10_000, deepResearch: false })).toBeCloseTo(
      10_000 * 1e-6 + ESTIMATE.plainOutputTokens * 2e-6,
      12,
    );
    const reasoning = model({ supportedParameters: ["reasoning"] });
    expect(estimateCost(reasoning, { promptTokens: 0, deepResearch: false })).toBeCloseTo(
      ESTIMATE.reasoningOutputTokens * 2e-6,
      12,
    );
  });

  it("adds searches and their page text when the channel's web_search is on", () => {
    const searching = model({ pricing: { prompt: 1e-6, completion: 2e-6, webSearch: 0.02 } });
    const off = estimateCost(searching, { promptTokens: 100, deepResearch: false });
    const on = estimateCost(searching, { promptTokens: 100, deepResearch: false, webSearch: true });
    expect(on - off).toBeCloseTo(3 * 0.02 + 3 * 8_000 * 1e-6, 12);
  });

  it("adds a per-request price, and is 0 for a free model", () => {
    const perRequest = model({ pricing: { prompt: 0, completion: 0, request: 0.005 } });
    expect(estimateCost(perRequest, { promptTokens: 5_000, deepResearch: false })).toBe(0.005);
    const free = model({ pricing: { prompt: 0, completion: 0 } });
    expect(estimateCost(free, { promptTokens: 5_000, deepResearch: true })).toBe(0);
  });
});

describe("runningCost", () => {
  it("prices streamed characters at four per token, plus searches and their page text", () => {
    const cost = runningCost(DEEP, {
      promptTokens: 1_000,
      completionChars: 4_000,
      reasoningChars: 2_001,
      webSearches: 5,
    });
    // ceil(6,001 / 4) = 1,501 output tokens; 1,000 + 5 × 8,000 prompt tokens.
    expect(cost).toBeCloseTo(41_000 * 2e-6 + 1_501 * 8e-6 + 5 * 0.01, 12);
  });

  it("grows as the stream goes on, from the prompt alone at the start", () => {
    const at = (chars: number, searches: number) =>
      runningCost(DEEP, {
        promptTokens: 500,
        completionChars: chars,
        reasoningChars: 0,
        webSearches: searches,
      });
    expect(at(0, 0)).toBeCloseTo(500 * 2e-6, 12);
    expect(at(1_000, 0)).toBeGreaterThan(at(0, 0));
    expect(at(1_000, 1)).toBeGreaterThan(at(1_000, 0));
  });
});

describe("extendTarget", () => {
  it("asks for the running cost plus half the estimate, and at least a cent more", () => {
    expect(extendTarget(1, 0.5)).toBe(1.25);
    expect(extendTarget(0.001, 0)).toBeCloseTo(0.011, 12);
  });
});
