/**
 * The OpenRouter fake answers like the real service where Quarry's fallbacks and cost
 * look-ups depend on it: model validation, the `models` array, and `GET /generation`.
 */
import { describe, expect, it } from "vitest";
import { FAKE_OPENROUTER_URL, FakeOpenRouter, fallbackCatalog } from "./fakes/openrouter.ts";

function chat(fake: FakeOpenRouter, body: Record<string, unknown>): Promise<Response> {
  return fake.handle(
    new Request(`${FAKE_OPENROUTER_URL}/chat/completions`, {
      method: "POST",
      body: JSON.stringify({ stream: true, messages: [], ...body }),
    }),
  );
}

const generation = (fake: FakeOpenRouter, id: string) =>
  fake.handle(new Request(`${FAKE_OPENROUTER_URL}/generation?id=${id}`));

/** The `model` every data chunk of a stream names. */
async function chunkModels(res: Response): Promise<string[]> {
  const frames = (await res.text()).split("\n\n").filter((f) => f.startsWith("data: {"));
  return [...new Set(frames.map((f) => (JSON.parse(f.slice(6)) as { model: string }).model))];
}

describe("fake OpenRouter routing", () => {
  it("answers a model missing from its catalog with the real 400, keeping the scripted reply", async () => {
    const fake = new FakeOpenRouter().reply({ text: ["kept for the next request"] });
    const refused = await chat(fake, { model: "openai/o3-deep-research" });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toEqual({
      error: { message: "openai/o3-deep-research is not a valid model ID", code: 400 },
      user_id: "user_fake",
    });
    const next = await chat(fake, { model: "openai/o4-mini" });
    expect(await next.text()).toContain("kept for the next request");
    expect(fake.chatBodies.map((b) => b.model)).toEqual([
      "openai/o3-deep-research",
      "openai/o4-mini",
    ]);
  });

  it("with a models array answers with the first model it has, named in every chunk", async () => {
    const fake = new FakeOpenRouter();
    fake.models.push(...fallbackCatalog());
    const res = await chat(fake, {
      model: "gone/one",
      models: ["gone/one", "perplexity/sonar-deep-research", "openai/o4-mini"],
    });
    expect(res.status).toBe(200);
    expect(await chunkModels(res)).toEqual(["perplexity/sonar-deep-research"]);
    const none = await chat(fake, { model: "gone/one", models: ["gone/one", "gone/two"] });
    expect(none.status).toBe(400);
    expect(await none.text()).toContain("gone/one is not a valid model ID");
  });

  it("answers GET /generation with 404 for the first N look-ups, then the record", async () => {
    const fake = new FakeOpenRouter().reply({
      text: ["x"],
      usage: { cost: 0.02, promptTokens: 7 },
    });
    fake.generationNotReadyFor = 1;
    await (await chat(fake, { model: "openai/o4-mini" })).text();
    expect((await generation(fake, "gen-1-fake")).status).toBe(404);
    const found = await generation(fake, "gen-1-fake");
    expect(found.status).toBe(200);
    expect(((await found.json()) as { data: unknown }).data).toMatchObject({
      id: "gen-1-fake",
      total_cost: 0.02,
      model: "openai/o4-mini",
      tokens_prompt: 7,
      cancelled: false,
      finish_reason: "stop",
    });
    expect((await generation(fake, "gen-404-fake")).status).toBe(404);
    expect(fake.generationLookups).toHaveLength(3);
  });
});
