import { env } from "cloudflare:workers";
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { DiscordApi } from "../adapters/discord/api.ts";
import {
  handleDiscordInteraction,
  type InteractionDeps,
} from "../adapters/discord/interactions.ts";
import type { Question } from "../src/chat/types.ts";
import type { DiscordConfig, Env } from "../src/config.ts";
import type { SubmitResult } from "../src/conversation/conversation-object.ts";
import { clearModelCatalogCache, MODELS_KV_KEY } from "../src/openrouter/model-catalog.ts";
import type { SettingsAccess } from "../src/settings/settings-access.ts";
import { FAKE_DISCORD_URL, FakeDiscord } from "./fakes/discord-api.ts";
import { installFakeNetwork } from "./fakes/network.ts";
import { catalogEntry, FakeOpenRouter, textModelEntry } from "./fakes/openrouter.ts";
import { APP_ID, askInteraction, CHANNEL_ID, interaction } from "./support/discord-payloads.ts";
import { createDiscordSigner, type DiscordSigner } from "./support/discord-signing.ts";

const testEnv = env as unknown as Env;
let signer: DiscordSigner;
let config: DiscordConfig;
let submitted: Question[];
let submitResult: SubmitResult | Error;

beforeAll(async () => {
  signer = await createDiscordSigner();
  config = {
    applicationId: APP_ID,
    publicKey: signer.publicKeyHex,
    botToken: "bot-token",
    apiUrl: FAKE_DISCORD_URL,
  };
});

beforeEach(async () => {
  submitted = [];
  submitResult = { status: "queued", position: 0 };
  clearModelCatalogCache();
  await testEnv.SETTINGS.delete(MODELS_KV_KEY);
});

afterEach(() => {
  vi.restoreAllMocks();
});

async function submit(_env: Env, question: Question): Promise<SubmitResult> {
  submitted.push(question);
  if (submitResult instanceof Error) throw submitResult;
  return submitResult;
}

async function send(
  body: unknown,
  over: Partial<InteractionDeps> & { unsigned?: boolean } = {},
): Promise<Response> {
  const rawBody = typeof body === "string" ? body : JSON.stringify(body);
  const headers = over.unsigned
    ? new Headers({ "Content-Type": "application/json" })
    : await signer.sign(rawBody);
  return handleDiscordInteraction({
    env: testEnv,
    config,
    rawBody,
    headers,
    waitUntil: () => {},
    submit,
    ...over,
  });
}

const settingsBody = (
  sub: string,
  permissions: string,
  options: { name: string; type: number; value: string }[] = [],
) => interaction({ name: "settings", permissions, options: [{ name: sub, type: 1, options }] });

describe("POST /discord/interactions", () => {
  it("answers 401 to an unsigned request and does no work", async () => {
    const res = await send(askInteraction("anything"), { unsigned: true });
    expect(res.status).toBe(401);
    expect(submitted).toEqual([]);
  });

  it("answers 401 when the body was changed after signing", async () => {
    const rawBody = JSON.stringify(askInteraction("original"));
    const headers = await signer.sign(rawBody);
    const res = await handleDiscordInteraction({
      env: testEnv,
      config,
      rawBody: rawBody.replace("original", "tampered"),
      headers,
      waitUntil: () => {},
      submit,
    });
    expect(res.status).toBe(401);
    expect(submitted).toEqual([]);
  });

  it("answers PING with PONG", async () => {
    const res = await send({ id: "1", application_id: APP_ID, type: 1, token: "t", version: 1 });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ type: 1 });
  });

  it("answers 400 to a signed but malformed interaction", async () => {
    expect((await send("{not json")).status).toBe(400);
    expect((await send({ type: 2, id: "1" })).status).toBe(400);
    expect((await send(interaction({ name: "unknown-command" }))).status).toBe(400);
    expect(submitted).toEqual([]);
  });

  it("hands /ask to its conversation before deferring the reply (type 5)", async () => {
    const res = await send(askInteraction("What is new in Workers?"));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ type: 5 });
    expect(submitted).toHaveLength(1);
    expect(submitted[0]).toMatchObject({
      id: "discord:interaction:3000000000000000001",
      text: "What is new in Workers?",
      trigger: "command",
      delivery: { channelId: CHANNEL_ID, applicationId: APP_ID },
    });
  });

  it("defers anyway when the conversation is slow to take the question, and finishes the hand-over after", async () => {
    let release: (r: SubmitResult) => void = () => {};
    const pending = new Promise<SubmitResult>((r) => {
      release = r;
    });
    const kept: Promise<unknown>[] = [];
    const discord = new FakeDiscord({ applicationId: APP_ID });
    let handedOver = false;
    const res = await send(askInteraction("slow object"), {
      submit: async () => {
        const r = await pending;
        handedOver = true;
        return r;
      },
      waitUntil: (p) => kept.push(p),
      api: new DiscordApi({
        baseUrl: FAKE_DISCORD_URL,
        token: "bot-token",
        applicationId: APP_ID,
        fetch: async (input, init) => discord.handle(new Request(input, init)),
      }),
    });
    // Answered while the submit is still pending: Discord's 3 s are not spent waiting for it.
    expect(await res.json()).toEqual({ type: 5 });
    expect(kept).toHaveLength(1);
    release({ status: "queued", position: 0 });
    await kept[0];
    expect(handedOver).toBe(true);
    // Taken: the answer will fill @original, so nothing is sent to Discord here.
    expect(discord.requests).toEqual([]);
  });

  it("tells the asker privately when the question could not be handed over", async () => {
    submitResult = new Error("object overloaded");
    vi.spyOn(console, "error").mockImplementation(() => {});
    const res = await send(askInteraction("hello?"));
    const body = (await res.json()) as {
      type: number;
      data: { flags: number; content: string; allowed_mentions: unknown };
    };
    expect(body.type).toBe(4);
    expect(body.data.flags).toBe(64);
    expect(body.data.content).toMatch(/try again/);
    expect(body.data.allowed_mentions).toEqual({ parse: [] });
  });

  it("does not defer a second time for a question it already has", async () => {
    submitResult = { status: "duplicate" };
    const body = (await (await send(askInteraction("again"))).json()) as {
      type: number;
      data: { flags: number };
    };
    expect(body).toMatchObject({ type: 4, data: { flags: 64 } });
  });
});

describe("/settings", () => {
  it("runs the settings command for the channel, refusing changes without Manage Channels", async () => {
    const calls: { canChange: SettingsAccess; channelId: string; action: unknown }[] = [];
    const settings = async (
      deps: { canChange: SettingsAccess; channelId: string },
      action: unknown,
    ) => {
      calls.push({ canChange: deps.canChange, channelId: deps.channelId, action });
      return deps.canChange
        ? { ok: true, text: "Saved." }
        : { ok: false, text: "You need **Manage Channels**, @everyone." };
    };
    const refused = await send(
      settingsBody("set", "0", [{ name: "model", type: 3, value: "openai/o4-mini" }]),
      { settings },
    );
    const allowed = await send(
      settingsBody("set", String(1 << 4), [{ name: "model", type: 3, value: "openai/o4-mini" }]),
      {
        settings,
      },
    );

    expect(calls.map((c) => c.canChange)).toEqual([false, true]);
    expect(calls[0]).toMatchObject({
      channelId: CHANNEL_ID,
      action: { kind: "set", values: { model: "openai/o4-mini" } },
    });
    expect(await refused.json()).toEqual({
      type: 4,
      data: {
        content: "You need **Manage Channels**, @\u200beveryone.",
        allowed_mentions: { parse: [] },
        flags: 64,
      },
    });
    expect(await allowed.json()).toMatchObject({ type: 4, data: { content: "Saved.", flags: 64 } });
  });

  it("leaves the channel's settings as they were when someone without Manage Channels tries to set them", async () => {
    const show = async () =>
      ((await (await send(settingsBody("show", "0"))).json()) as { data: { content: string } }).data
        .content;
    const before = await show();
    const res = await send(
      settingsBody("set", "0", [{ name: "followups", type: 3, value: "off" }]),
    );
    expect(((await res.json()) as { data: { flags: number } }).data.flags).toBe(64);
    expect(await show()).toBe(before);
    // The same change by someone with Manage Channels does show up.
    await send(settingsBody("set", String(1 << 4), [{ name: "followups", type: 3, value: "off" }]));
    expect(await show()).not.toBe(before);
  });
});

describe("model autocomplete", () => {
  function catalogOf(count: number) {
    const openrouter = new FakeOpenRouter();
    openrouter.models = Array.from({ length: count }, (_, i) =>
      textModelEntry(
        `vendor/research-model-${i}`,
        `Vendor: Research Model ${i} ${"with a very long name ".repeat(i === 0 ? 6 : 0)}`,
      ),
    );
    openrouter.models.push(
      catalogEntry("other/chat", "Other Chat", {
        context: 8000,
        maxCompletion: 1000,
        prompt: "0",
        completion: "0",
        params: [],
        input: ["text"],
      }),
    );
    installFakeNetwork({ "openrouter.test": openrouter });
    return openrouter;
  }

  const autocomplete = (typed: string) =>
    interaction({
      type: 4,
      name: "settings",
      options: [
        {
          name: "set",
          type: 1,
          options: [{ name: "model", type: 3, value: typed, focused: true }],
        },
      ],
    });

  it("offers at most 25 catalog models matching what was typed, names within 100 characters", async () => {
    const openrouter = catalogOf(40);
    const res = await send(autocomplete("research"));
    const body = (await res.json()) as {
      type: number;
      data: { choices: { name: string; value: string }[] };
    };
    expect(body.type).toBe(8);
    expect(body.data.choices).toHaveLength(25);
    for (const c of body.data.choices) {
      expect(c.value).toMatch(/^vendor\/research-model-\d+$/);
      expect(c.name.length).toBeLessThanOrEqual(100);
    }
    expect(body.data.choices[0]?.name.endsWith("…")).toBe(true);
    expect(openrouter.requests.map((r) => `${r.method} ${r.path}`)).toEqual(["GET /api/v1/models"]);
  });

  it("filters by the typed text", async () => {
    catalogOf(3);
    const body = (await (await send(autocomplete("other"))).json()) as {
      data: { choices: { value: string }[] };
    };
    expect(body.data.choices.map((c) => c.value)).toEqual(["other/chat"]);
  });

  it("offers no choices, rather than failing, when the catalog is unavailable", async () => {
    const openrouter = catalogOf(3);
    openrouter.modelsFailure = { status: 503, body: { error: { code: 503, message: "down" } } };
    vi.spyOn(console, "error").mockImplementation(() => {});
    const body = (await (await send(autocomplete("res"))).json()) as {
      type: number;
      data: { choices: unknown[] };
    };
    expect(body).toEqual({ type: 8, data: { choices: [] } });
  });
});
