import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { clearModelCatalogCache } from "../src/openrouter/model-catalog.ts";
import type { ModelCatalog, ModelInfo } from "../src/openrouter/types.ts";
import {
  type ChannelSettings,
  DEFAULT_SYSTEM_PROMPT,
  defaultSettings,
  type SettingsPatch,
} from "../src/settings/settings.ts";
import { parseSettingsText, runSettingsCommand } from "../src/settings/settings-command.ts";
import { SettingsStore } from "../src/settings/settings-store.ts";
import { validateSettings } from "../src/settings/settings-validate.ts";

const DEEP = "openai/o4-mini-deep-research";

function model(id: string, over: Partial<ModelInfo>): ModelInfo {
  return {
    id,
    name: id,
    contextLength: 128_000,
    pricing: { prompt: 1e-6, completion: 2e-6 },
    supportedParameters: ["max_tokens"],
    inputModalities: ["text"],
    ...over,
  };
}

const MODELS = [
  // OpenRouter lists temperature for deep research, which rejects it.
  model(DEEP, {
    contextLength: 200_000,
    maxCompletionTokens: 100_000,
    supportedParameters: ["reasoning", "max_tokens", "temperature"],
  }),
  model("openai/o4-mini", {
    maxCompletionTokens: 100_000,
    supportedParameters: ["reasoning", "max_tokens"],
    supportedEfforts: ["low", "medium", "high"],
  }),
  model("openai/o4-mini-high", { supportedParameters: ["reasoning", "max_tokens"] }),
  model("meta-llama/llama-3.1-8b-instruct", {
    maxCompletionTokens: 16_384,
    supportedParameters: ["max_tokens", "temperature"],
  }),
];

/** A catalog over MODELS that records what it was asked. */
function fakeCatalog() {
  const calls: string[] = [];
  const catalog: ModelCatalog = {
    async get(id) {
      calls.push(`get ${id}`);
      return MODELS.find((m) => m.id === id);
    },
    async search(query, limit) {
      calls.push(`search ${query}`);
      const q = query.toLowerCase();
      return MODELS.filter((m) => m.id.includes(q)).slice(0, limit);
    },
  };
  return { catalog, calls };
}

const current = defaultSettings(DEEP);
let channels = 0;
const freshChannel = () => `C${Date.now().toString(36)}${++channels}`.toUpperCase();

afterEach(() => vi.restoreAllMocks());

const LLAMA = "meta-llama/llama-3.1-8b-instruct";

/** Validates against the fake catalog for a channel whose settings are `over` the defaults. */
function check(values: Record<string, string>, over: Partial<ChannelSettings> = {}) {
  const { catalog } = fakeCatalog();
  return validateSettings(values, {
    catalog,
    current: { ...current, ...over },
    defaultModel: DEEP,
  });
}
const accepted = (patch: SettingsPatch) => ({ ok: true, patch });
const rejected = (...errors: RegExp[]) => ({
  ok: false,
  errors: errors.map((e) => expect.stringMatching(e)),
});

describe("validateSettings", () => {
  it("rejects an unknown key and lists the keys there are", async () => {
    const keys =
      "`model`, `system`, `effort`, `max_tokens`, `temperature`, `followups`, `daily_budget_usd`, `streaming`, `web_search`";
    expect(await check({ colour: "blue" })).toEqual({
      ok: false,
      errors: [`Unknown setting \`colour\`. Settings are: ${keys}.`],
    });
  });

  it("accepts a model from the catalog and suggests close ids for one it does not list", async () => {
    const { catalog, calls } = fakeCatalog();
    expect(await validateSettings({ model: "openai/o4-mini" }, { catalog, current })).toEqual(
      accepted({ model: "openai/o4-mini" }),
    );
    expect(await validateSettings({ model: "openai/o4-mimi" }, { catalog, current })).toEqual(
      rejected(
        // The one typo away comes first.
        /`openai\/o4-mimi` is not in OpenRouter's catalog\. Did you mean `openai\/o4-mini`, `openai\/o4-mini-deep-research`, `openai\/o4-mini-high`\?/,
      ),
    );
    expect(calls).toContain("search openai/o4-mimi");
  });

  it("checks effort against the model and says which efforts it supports", async () => {
    expect(await check({ effort: "high" })).toEqual(rejected(/supports `medium`/));
    expect(await check({ effort: "medium" })).toEqual(accepted({ effort: "medium" }));
    expect(await check({ effort: "high" }, { model: "openai/o4-mini" })).toEqual(
      accepted({ effort: "high" }),
    );
    expect(await check({ effort: "low" }, { model: LLAMA })).toEqual(
      rejected(/takes no reasoning effort/),
    );
    expect(await check({ effort: "extreme" })).toEqual(
      rejected(/one of `minimal`, `low`, `medium`, `high`/),
    );
  });

  it("takes max_tokens only as a positive whole number within the model's completion limit", async () => {
    expect(await check({ max_tokens: "4096" })).toEqual(accepted({ max_tokens: 4096 }));
    for (const bad of ["0", "-5", "1.5", "lots"]) {
      expect(await check({ max_tokens: bad })).toEqual(rejected(/whole number above 0/));
    }
    expect(await check({ max_tokens: "100001" })).toEqual(rejected(/at most 100000/));
  });

  it("refuses temperature for deep research even though the catalog lists it, and takes 0–2 elsewhere", async () => {
    expect(await check({ temperature: "0.2" })).toEqual(rejected(/does not take a temperature/));
    expect(await check({ temperature: "0.7" }, { model: LLAMA })).toEqual(
      accepted({ temperature: 0.7 }),
    );
    expect(await check({ temperature: "2.5" }, { model: LLAMA })).toEqual(rejected(/from 0 to 2/));
  });

  it("reads streaming as auto, native or edit, and rejects anything else saying what is allowed", async () => {
    for (const mode of ["auto", "native", "edit", "EDIT"]) {
      const streaming = mode.toLowerCase() as ChannelSettings["streaming"];
      expect(await check({ streaming: mode })).toEqual(accepted({ streaming }));
    }
    expect(await check({ streaming: "default" })).toEqual(accepted({ streaming: undefined }));
    expect(await check({ streaming: "live" })).toEqual(
      rejected(/`streaming` must be `auto`, `native`, `edit`, not `live`/),
    );
  });

  it("reads followups as on/off, true/false or yes/no, without asking the catalog", async () => {
    const { catalog, calls } = fakeCatalog();
    const cases = { on: true, YES: true, true: true, off: false, no: false, false: false };
    for (const [value, followups] of Object.entries(cases)) {
      const result = await validateSettings({ followups: value }, { catalog, current });
      expect(result).toEqual(accepted({ followups }));
    }
    expect(await check({ followups: "maybe" })).toEqual(rejected(/must be `on` or `off`/));
    expect(calls).toEqual([]);
  });

  it("takes a daily budget with at most two decimals, where 0 allows nothing and off clears the cap", async () => {
    expect(await check({ daily_budget_usd: "5.25" })).toEqual(accepted({ daily_budget_usd: 5.25 }));
    expect(await check({ daily_budget_usd: "$3" })).toEqual(accepted({ daily_budget_usd: 3 }));
    for (const zero of ["0", "0.00"]) {
      expect(await check({ daily_budget_usd: zero })).toEqual(accepted({ daily_budget_usd: 0 }));
    }
    for (const off of ["off", "OFF", "none"]) {
      expect(await check({ daily_budget_usd: off })).toEqual(accepted({ daily_budget_usd: "off" }));
    }
    // `default` goes back to the operator's DEFAULT_DAILY_BUDGET_USD.
    expect(await check({ daily_budget_usd: "default" })).toEqual(
      accepted({ daily_budget_usd: undefined }),
    );
    for (const bad of ["2.505", "-1", "ten"]) {
      expect(await check({ daily_budget_usd: bad })).toEqual(
        rejected(/at most two decimals.*`0` lets nothing be spent.*`off` for no cap.*`default`/),
      );
    }
  });

  it("clears any key with default or unset", async () => {
    const result = await check({ system: "default", effort: "unset", model: "default" });
    expect(result).toEqual(accepted({ system: undefined, effort: undefined, model: undefined }));
    expect(Object.keys(result.ok ? result.patch : {}).sort()).toEqual([
      "effort",
      "model",
      "system",
    ]);
  });

  it("re-checks the channel's effort and temperature when the model changes", async () => {
    const onLlama = { model: LLAMA, temperature: 0.7 };
    expect(await check({ model: DEEP }, onLlama)).toEqual(
      rejected(
        /does not take a temperature.*Set `temperature` to another value or to `default` along with the model/,
      ),
    );
    expect(await check({ model: DEEP, temperature: "default" }, onLlama)).toEqual(
      accepted({ model: DEEP, temperature: undefined }),
    );
  });

  it("reports every problem at once and applies nothing", async () => {
    const values = {
      effort: "high",
      max_tokens: "five",
      system: "x".repeat(4_001),
      followups: "on",
    };
    expect(await check(values)).toEqual(
      rejected(/4001 characters long; the most is 4000/, /supports `medium`/, /whole number/),
    );
  });
});

describe("SettingsStore", () => {
  it("round-trips settings through KV under settings:{platform}:{channel}", async () => {
    const store = new SettingsStore(env.SETTINGS, DEEP);
    const channel = freshChannel();
    expect(await store.get("slack", channel)).toEqual({
      model: DEEP,
      system: DEFAULT_SYSTEM_PROMPT,
      followups: true,
      streaming: "auto",
      web_search: false,
    });

    await store.update("slack", channel, { effort: "medium", followups: false });
    expect(await env.SETTINGS.get(`settings:slack:${channel}`, "json")).toEqual({
      effort: "medium",
      followups: false,
    });
    expect(await store.getStored("slack", channel)).toEqual({ effort: "medium", followups: false });
    expect(await store.get("slack", channel)).toMatchObject({
      model: DEEP,
      effort: "medium",
      followups: false,
    });
    // The same channel id on the other platform is another channel.
    expect(await store.getStored("discord", channel)).toEqual({});

    await store.update("slack", channel, { effort: undefined });
    expect(await store.getStored("slack", channel)).toEqual({ followups: false });
    await store.reset("slack", channel);
    expect(await env.SETTINGS.get(`settings:slack:${channel}`)).toBeNull();
  });

  it("reads a corrupt value as defaults, keeping the keys that are still valid", async () => {
    const store = new SettingsStore(env.SETTINGS, DEEP);
    const broken = freshChannel();
    await env.SETTINGS.put(`settings:discord:${broken}`, "{not json");
    expect(await store.get("discord", broken)).toEqual(defaultSettings(DEEP));

    const partly = freshChannel();
    await env.SETTINGS.put(
      `settings:discord:${partly}`,
      JSON.stringify({
        effort: "extreme",
        max_tokens: "lots",
        followups: false,
        token: "xoxb-secret",
      }),
    );
    expect(await store.getStored("discord", partly)).toEqual({ followups: false });

    // Out of range, fractional, or Infinity (what JSON's 1e999 parses to): each key alone is lost.
    const numbers = freshChannel();
    await env.SETTINGS.put(
      `settings:discord:${numbers}`,
      '{"temperature":1e999,"daily_budget_usd":1e999,"max_tokens":1.5,"system":"","model":"x/y"}',
    );
    expect(await store.getStored("discord", numbers)).toEqual({ system: "", model: "x/y" });
    await env.SETTINGS.put(
      `settings:discord:${numbers}`,
      '{"temperature":2.5,"daily_budget_usd":-1,"max_tokens":0,"model":"","daily_budget_usd2":1}',
    );
    expect(await store.getStored("discord", numbers)).toEqual({});
  });
});

describe("parseSettingsText", () => {
  it("reads show, help, reset and nothing at all", () => {
    expect(parseSettingsText("")).toEqual({ kind: "show" });
    expect(parseSettingsText("  show ")).toEqual({ kind: "show" });
    expect(parseSettingsText("help")).toEqual({ kind: "show" });
    expect(parseSettingsText("RESET")).toEqual({ kind: "reset" });
  });

  it("reads space-separated key=value pairs, with double-quoted values holding spaces", () => {
    expect(parseSettingsText('model=openai/o4-mini system="Answer in French" effort=high')).toEqual(
      {
        kind: "set",
        values: { model: "openai/o4-mini", system: "Answer in French", effort: "high" },
      },
    );
    expect(parseSettingsText('system="Say \\"hi\\" first" followups=off')).toEqual({
      kind: "set",
      values: { system: 'Say "hi" first', followups: "off" },
    });
  });

  it("accepts the curly quotes Slack clients type", () => {
    expect(parseSettingsText("system=“Answer in French” effort=high")).toEqual({
      kind: "set",
      values: { system: "Answer in French", effort: "high" },
    });
  });

  it("explains malformed text instead of guessing", () => {
    expect(parseSettingsText("model")).toEqual({ error: expect.stringMatching(/key=value/) });
    expect(parseSettingsText('system="never closed')).toEqual({
      error: expect.stringMatching(/never closed/),
    });
    expect(parseSettingsText("effort=low effort=high")).toEqual({
      error: expect.stringMatching(/given twice/),
    });
  });
});

describe("runSettingsCommand", () => {
  const deps = (channelId: string, canChange: boolean) => ({
    env,
    platform: "slack" as const,
    channelId,
    canChange,
    catalog: fakeCatalog().catalog,
  });

  it("shows every key with its value, marks defaults and says how to change them", async () => {
    const channel = freshChannel();
    await new SettingsStore(env.SETTINGS, DEEP).update("slack", channel, { followups: false });
    const { ok, text } = await runSettingsCommand(deps(channel, false), { kind: "show" });
    expect(ok).toBe(true);
    expect(text).toContain(`- \`model\`: \`${DEEP}\` (default)`);
    expect(text).toContain("- `followups`: off —");
    expect(text).toContain("- `effort`: the model's default (default)");
    expect(text).toContain("- `daily_budget_usd`: no limit (default)");
    expect(text).toMatch(/`\/ask-settings key=value …`/);
  });

  it("validates, stores and confirms a change", async () => {
    const channel = freshChannel();
    const result = await runSettingsCommand(deps(channel, true), {
      kind: "set",
      values: { model: "openai/o4-mini", effort: "high" },
    });
    expect(result.ok).toBe(true);
    expect(result.text).toContain("- `model`: `openai/o4-mini`");
    expect(result.text).toContain("- `effort`: `high`");
    expect(await env.SETTINGS.get(`settings:slack:${channel}`, "json")).toEqual({
      model: "openai/o4-mini",
      effort: "high",
    });
  });

  it("changes nothing when a value is invalid", async () => {
    const channel = freshChannel();
    const result = await runSettingsCommand(deps(channel, true), {
      kind: "set",
      values: { followups: "off", effort: "high" },
    });
    expect(result).toEqual({
      ok: false,
      text: expect.stringMatching(/^Nothing was changed:\n- .*supports `medium`/),
    });
    expect(await env.SETTINGS.get(`settings:slack:${channel}`)).toBeNull();
  });

  it("refuses set and reset without permission, naming who may change settings, and changes nothing", async () => {
    const channel = freshChannel();
    await env.SETTINGS.put(`settings:discord:${channel}`, JSON.stringify({ followups: false }));
    const discord = { ...deps(channel, false), platform: "discord" as const };
    const set = await runSettingsCommand(discord, { kind: "set", values: { followups: "on" } });
    expect(set).toEqual({ ok: false, text: expect.stringMatching(/Manage Channels/) });
    const reset = await runSettingsCommand(discord, { kind: "reset" });
    expect(reset.ok).toBe(false);
    expect(await env.SETTINGS.get(`settings:discord:${channel}`, "json")).toEqual({
      followups: false,
    });

    const slack = await runSettingsCommand(deps(channel, false), { kind: "reset" });
    expect(slack.text).toMatch(/workspace admins and owners/);
  });

  it("reset restores the defaults", async () => {
    const channel = freshChannel();
    await env.SETTINGS.put(
      `settings:slack:${channel}`,
      JSON.stringify({ followups: false, effort: "medium" }),
    );
    expect((await runSettingsCommand(deps(channel, true), { kind: "reset" })).ok).toBe(true);
    expect(await env.SETTINGS.get(`settings:slack:${channel}`)).toBeNull();
  });

  it("checks a model against OpenRouter's catalog when none is injected", async () => {
    clearModelCatalogCache();
    await env.SETTINGS.delete("cache:models");
    const requests: { url: string; auth: string | null }[] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      const request = new Request(input, init);
      requests.push({ url: request.url, auth: request.headers.get("Authorization") });
      return Response.json({
        data: [
          {
            id: "openai/o4-mini",
            name: "OpenAI: o4 Mini",
            context_length: 200000,
            pricing: { prompt: "0.0000011", completion: "0.0000044" },
            top_provider: { context_length: 200000, max_completion_tokens: 100000 },
            supported_parameters: ["reasoning", "max_tokens"],
            architecture: { input_modalities: ["text", "image"] },
            reasoning: { supported_efforts: ["low", "medium", "high"] },
          },
        ],
      });
    });
    const channel = freshChannel();
    const result = await runSettingsCommand(
      { env, platform: "slack", channelId: channel, canChange: true },
      { kind: "set", values: { model: "openai/o4-mini" } },
    );
    expect(result.ok).toBe(true);
    expect(requests).toEqual([
      { url: "https://openrouter.test/api/v1/models", auth: "Bearer sk-or-test" },
    ]);
    expect(await env.SETTINGS.get(`settings:slack:${channel}`, "json")).toEqual({
      model: "openai/o4-mini",
    });
  });
});
