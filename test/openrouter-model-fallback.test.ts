/**
 * The default model may be gone (OpenAI shut o4-mini-deep-research down on 2026-07-23):
 * choosing a model the catalog has, recognising "model unavailable" errors, OpenRouter's
 * `models` array, and "did you mean" matches for settings.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { createModelCatalog } from "../src/openrouter/model-catalog.ts";
import {
  chooseModel,
  closeModelMatches,
  DEFAULT_FALLBACK_MODELS,
} from "../src/openrouter/model-choice.ts";
import {
  errorFromBody,
  isModelUnavailable,
  OpenRouterError,
  toUserMessage,
} from "../src/openrouter/openrouter-error.ts";
import type { ModelCatalog } from "../src/openrouter/types.ts";
import { FAKE_OPENROUTER_URL, fallbackCatalog } from "./fakes/openrouter.ts";
import {
  DEEP,
  type Harness,
  ofType,
  openRouterHarness,
  question,
} from "./support/openrouter-harness.ts";

const SONAR = "perplexity/sonar-deep-research";
let h: Harness;
let catalog: ModelCatalog;
beforeEach(() => {
  h = openRouterHarness();
  h.fake.models.push(...fallbackCatalog());
  catalog = createModelCatalog({ baseUrl: FAKE_OPENROUTER_URL, fetch: h.fetch });
});

/** The fake's catalog as OpenRouter's is now: OpenAI's deep research gone. */
function retireDeepResearch() {
  h.fake.models = h.fake.models.filter((m) => !String(m.id).includes("o4-mini-deep-research"));
}

describe("DEFAULT_FALLBACK_MODELS", () => {
  it("lists Perplexity's deep research first and fits OpenRouter's three-id models array", () => {
    expect(DEFAULT_FALLBACK_MODELS[0]).toBe(SONAR);
    expect(DEFAULT_FALLBACK_MODELS.length).toBeLessThanOrEqual(3);
    expect(DEFAULT_FALLBACK_MODELS).not.toContain(DEEP);
    expect(DEFAULT_FALLBACK_MODELS.some((id) => id.includes("o3-deep-research"))).toBe(false);
  });
});

describe("chooseModel", () => {
  const fallbacks = ["gone/model", SONAR, "perplexity/sonar-reasoning-pro"];

  it("keeps the requested model when the catalog has it", async () => {
    const choice = await chooseModel({ requested: DEEP, fallbacks, catalog });
    expect(choice).toMatchObject({ model: { id: DEEP }, requested: DEEP });
    expect(choice).not.toHaveProperty("fallbackFrom");
  });

  it("takes the first fallback the catalog has when the requested model is gone", async () => {
    retireDeepResearch();
    const choice = await chooseModel({ requested: DEEP, fallbacks, catalog });
    expect(choice).toMatchObject({
      model: { id: SONAR },
      requested: DEEP,
      fallbackFrom: DEEP,
      why: "not_in_catalog",
    });
  });

  it("passes over models that are not allowed, whatever their case", async () => {
    const allowed = ["PERPLEXITY/sonar-reasoning-pro"];
    const choice = await chooseModel({ requested: DEEP, fallbacks, catalog, allowed });
    expect(choice).toMatchObject({
      model: { id: "perplexity/sonar-reasoning-pro" },
      fallbackFrom: DEEP,
      why: "not_allowed",
    });
    // An empty allow-list means any model.
    expect(await chooseModel({ requested: DEEP, fallbacks, catalog, allowed: [] })).toMatchObject({
      model: { id: DEEP },
    });
  });

  it("says what it tried when nothing fits", async () => {
    retireDeepResearch();
    h.fake.models = h.fake.models.filter((m) => !String(m.id).startsWith("perplexity/"));
    expect(
      await chooseModel({ requested: DEEP, fallbacks: [...fallbacks, DEEP], catalog }),
    ).toEqual({
      missing: DEEP,
      tried: [DEEP, ...fallbacks],
    });
  });
});

describe("isModelUnavailable", () => {
  const from = (status: number, message: string, metadata?: Record<string, unknown>) =>
    errorFromBody(status, { code: status, message, metadata }, { model: DEEP });

  it("is true for an unknown id, no endpoints, a retired model and a model with no instance", () => {
    expect(isModelUnavailable(from(400, `${DEEP} is not a valid model ID`))).toBe(true);
    expect(isModelUnavailable(from(404, `No endpoints found for ${DEEP}.`))).toBe(true);
    expect(isModelUnavailable(from(404, "Model not found"))).toBe(true);
    expect(
      isModelUnavailable(
        from(400, "Provider returned error", {
          raw: JSON.stringify({
            error: { message: "The model `o4-mini-deep-research` does not exist" },
          }),
        }),
      ),
    ).toBe(true);
    expect(isModelUnavailable(from(503, "No instances available"))).toBe(true);
    expect(isModelUnavailable(from(503, "Model is currently unavailable"))).toBe(true);
    // In-band, with the status only in the error's code.
    expect(
      isModelUnavailable(
        errorFromBody(0, { code: 503, message: "No allowed providers are available" }),
      ),
    ).toBe(true);
  });

  it("is false for rate limits, credits, moderation, overload, bad parameters and other errors", () => {
    expect(isModelUnavailable(from(429, "Too many requests"))).toBe(false);
    expect(isModelUnavailable(from(402, "Insufficient credits"))).toBe(false);
    expect(isModelUnavailable(from(403, "Input flagged"))).toBe(false);
    expect(isModelUnavailable(from(503, "Service overloaded, try again"))).toBe(false);
    expect(isModelUnavailable(from(400, "Unsupported parameter: 'temperature'"))).toBe(false);
    expect(isModelUnavailable(new OpenRouterError("stall", "silent"))).toBe(false);
    expect(isModelUnavailable(new Error("is not a valid model ID"))).toBe(false);
  });

  it("tells the user the model is not offered, not that the request was malformed", () => {
    expect(toUserMessage(from(400, `${DEEP} is not a valid model ID`))).toBe(
      `OpenRouter does not offer \`${DEEP}\` (it may have been retired); pick another model in the channel settings.`,
    );
  });
});

describe("OpenRouter's answer to a retired model", () => {
  it("asked directly: the 400 'is not a valid model ID' the real API sends", async () => {
    retireDeepResearch();
    const { events, error } = await h.run(question(DEEP), { model: undefined });
    expect(events).toEqual([]);
    expect(error).toBeInstanceOf(OpenRouterError);
    expect(error).toMatchObject({ code: "bad_request", status: 400 });
    expect(isModelUnavailable(error)).toBe(true);
  });

  it("with fallbacks: the models array lets the first listed model answer, and done names it", async () => {
    retireDeepResearch();
    h.fake.reply({ reasoning: ["**Planning**\n"], text: ["From Perplexity."] });
    const { events, error } = await h.run(question(DEEP, { fallbacks: ["gone/model", SONAR] }), {
      model: undefined,
    });
    expect(error).toBeUndefined();
    expect(h.fake.chatBodies[0]).toMatchObject({
      model: DEEP,
      models: [DEEP, "gone/model", SONAR],
    });
    expect(events.at(-1)).toMatchObject({ type: "done", finishReason: "stop", model: SONAR });
    expect(ofType(events, "text").map((e) => e.text)).toEqual(["From Perplexity."]);
  });

  it("with fallbacks while the primary is served: the primary answers", async () => {
    const { events } = await h.run(question(DEEP, { fallbacks: [SONAR] }));
    expect(events.at(-1)).toMatchObject({ type: "done", model: DEEP });
  });
});

describe("closeModelMatches", () => {
  it("finds ids containing what was typed, then near misses, best first", async () => {
    expect(await closeModelMatches(catalog, "o4-mini", 3)).toEqual([DEEP, "openai/o4-mini"]);
    expect(await closeModelMatches(catalog, "anthropic/claude-sonet-4.5", 3)).toEqual([
      "anthropic/claude-sonnet-4.5",
    ]);
    expect(await closeModelMatches(catalog, "perplexity/sonar-deep-reserch", 1)).toEqual([SONAR]);
  });

  it("offers nothing for an id unlike any in the catalog", async () => {
    expect(await closeModelMatches(catalog, "nobody/nothing-9000", 3)).toEqual([]);
    expect(await closeModelMatches(catalog, "", 3)).toEqual([]);
  });
});
