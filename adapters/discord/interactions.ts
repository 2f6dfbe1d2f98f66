/**
 * `POST /discord/interactions`: verify first, then answer within Discord's 3 seconds.
 * `/ask` is handed to its conversation object (one RPC, awaited so it cannot be lost)
 * and deferred; the answer arrives later through the interaction webhook.
 * https://discord.com/developers/docs/interactions/receiving-and-responding
 */
import type {
  APIApplicationCommandOptionChoice,
  APIInteractionResponse,
  APIInteractionResponseCallbackData,
} from "discord-api-types/v10";
import type { Question } from "../../src/chat/types.ts";
import {
  type DiscordConfig,
  type Env,
  isModelAllowed,
  openRouterConfig,
  operatorConfig,
} from "../../src/config.ts";
import type { SubmitResult } from "../../src/conversation/conversation-object.ts";
import { submitQuestion } from "../../src/conversation/submit.ts";
import { QuarryError } from "../../src/errors.ts";
import { createModelCatalog } from "../../src/openrouter/model-catalog.ts";
import type { ModelCatalog } from "../../src/openrouter/types.ts";
import { runSettingsCommand } from "../../src/settings/settings-command.ts";
import { DiscordApi } from "./api.ts";
import { FLAGS, NO_MENTIONS, RESPONSE } from "./constants.ts";
import { whenDeferred } from "./deferral.ts";
import { discordDeliveryOf } from "./delivery.ts";
import { renderDiscord } from "./format.ts";
import { parseInteraction } from "./parse-interaction.ts";
import { stopInteraction } from "./stop-interaction.ts";
import { verifyDiscordRequest } from "./verify.ts";

/** Discord shows at most 25 autocomplete choices, names and values up to 100 characters. */
const MAX_CHOICES = 25;
const MAX_CHOICE_CHARS = 100;

export interface InteractionDeps {
  env: Env;
  config: DiscordConfig;
  /** As received: verified as these bytes, parsed as their UTF-8 text. */
  rawBody: string | Uint8Array;
  headers: Headers;
  waitUntil(p: Promise<unknown>): void;
  /** Defaults to `submitQuestion`. */
  submit?: (env: Env, question: Question) => Promise<SubmitResult>;
  /** Defaults to `runSettingsCommand`. */
  settings?: typeof runSettingsCommand;
  /** Defaults to the OpenRouter catalog cached in `env.SETTINGS`. */
  catalog?: ModelCatalog;
  /** Defaults to a client of `config.apiUrl`; used when a late hand-over must fix up `@original`. */
  api?: DiscordApi;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export async function handleDiscordInteraction(deps: InteractionDeps): Promise<Response> {
  const now = deps.now?.() ?? Date.now();
  const verified = await verifyDiscordRequest({
    publicKeyHex: deps.config.publicKey,
    signatureHex: deps.headers.get("X-Signature-Ed25519"),
    timestamp: deps.headers.get("X-Signature-Timestamp"),
    rawBody: deps.rawBody,
    nowSeconds: Math.floor(now / 1000),
  });
  if (!verified) return new Response("invalid request signature", { status: 401 });

  let interaction: ReturnType<typeof parseInteraction>;
  try {
    const text =
      typeof deps.rawBody === "string" ? deps.rawBody : new TextDecoder().decode(deps.rawBody);
    interaction = parseInteraction(text, now);
  } catch (err) {
    if (err instanceof QuarryError && err.status < 500)
      return new Response(err.message, { status: err.status });
    throw err;
  }

  switch (interaction.kind) {
    case "ping":
      return json({ type: RESPONSE.Pong });
    case "ask":
      return ask(deps, interaction.question);
    case "settings": {
      const run = deps.settings ?? runSettingsCommand;
      const result = await run(
        {
          env: deps.env,
          platform: "discord",
          channelId: interaction.channelId,
          canChange: interaction.canChange,
        },
        interaction.action,
      );
      return message(renderDiscord(result.text), { ephemeral: true });
    }
    case "stop":
      return stopInteraction(deps.env, interaction);
    case "autocomplete":
      return json({
        type: RESPONSE.ApplicationCommandAutocompleteResult,
        data: {
          choices:
            interaction.option === "model" ? await modelChoices(deps, interaction.value) : [],
        },
      });
  }
}

/**
 * How long `/ask` waits for the conversation object to take the question before deferring
 * anyway: Discord drops interactions not answered within 3 s, and a cold object is slower.
 */
const SUBMIT_WAIT_MS = 2_000;
const NOT_TAKEN = "Sorry, I could not take that question just now. Please try again in a moment.";
const NOT_HERE = "I am not taking questions here right now.";

async function ask(deps: InteractionDeps, question: Question): Promise<Response> {
  let result: SubmitResult | "slow";
  const submitting = (deps.submit ?? submitQuestion)(deps.env, question);
  let timer: ReturnType<typeof setTimeout> | null = null;
  const slow = new Promise<"slow">((resolve) => {
    timer = setTimeout(() => resolve("slow"), SUBMIT_WAIT_MS);
  });
  try {
    result = await Promise.race([submitting, slow]);
  } catch (err) {
    console.error("discord /ask: submit failed", err);
    return message(NOT_TAKEN, { ephemeral: true });
  } finally {
    clearTimeout(timer);
  }
  if (result === "slow") {
    // Still on its way: defer now and let the submit finish after the response.
    deps.waitUntil(lateSubmit(deps, question, submitting));
    return json({ type: RESPONSE.DeferredChannelMessageWithSource });
  }
  if (result.status === "duplicate")
    return message("I am already on that question.", { ephemeral: true });
  if (result.status === "ignored") return message(NOT_HERE, { ephemeral: true });
  // Deferred: Discord shows "thinking…" until the answer edits `@original` (a deferral
  // takes only `flags`; the edits that fill it carry `allowed_mentions`).
  return json({ type: RESPONSE.DeferredChannelMessageWithSource });
}

/**
 * The hand-over of a question already deferred: if it fails (or the question is not taken
 * here), nothing will ever answer, so `@original` is edited from "thinking…" into saying so
 * (waiting, as the answer would, until Discord has the deferral this response carries).
 */
async function lateSubmit(
  deps: InteractionDeps,
  question: Question,
  submitting: Promise<SubmitResult>,
): Promise<void> {
  let text: string | undefined;
  try {
    const result = await submitting;
    if (result.status === "ignored") text = NOT_HERE;
  } catch (err) {
    console.error("discord /ask: late submit failed", err);
    text = NOT_TAKEN;
  }
  const token = discordDeliveryOf(question).interactionToken;
  if (!text || !token) return;
  const api =
    deps.api ??
    new DiscordApi({
      baseUrl: deps.config.apiUrl,
      token: deps.config.botToken,
      applicationId: deps.config.applicationId,
    });
  const clock = {
    now: deps.now ?? Date.now,
    sleep: deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms))),
  };
  try {
    // Polled with reads: refused edits would spend the channel's message allowance.
    await whenDeferred(() => api.getOriginal(token), clock);
    await api.editOriginal(token, { content: `⚠️ ${text}` });
  } catch (err) {
    console.error("discord /ask: could not say the question was not taken", err);
  }
}

async function modelChoices(
  deps: InteractionDeps,
  typed: string,
): Promise<APIApplicationCommandOptionChoice<string>[]> {
  try {
    const catalog = deps.catalog ?? defaultCatalog(deps.env);
    const { allowedModels } = operatorConfig(deps.env);
    // Search wider than shown: models outside ALLOWED_MODELS are left out afterwards.
    const models = await catalog.search(typed.trim(), allowedModels.length ? 200 : MAX_CHOICES);
    return models
      .filter((m) => m.id.length <= MAX_CHOICE_CHARS && isModelAllowed(m.id, allowedModels))
      .slice(0, MAX_CHOICES)
      .map((m) => ({
        name: clip(m.name && m.name !== m.id ? `${m.id} · ${m.name}` : m.id),
        value: m.id,
      }));
  } catch (err) {
    // An empty list beats "loading options failed": the user can still type an id.
    console.error("discord autocomplete: model catalog failed", err);
    return [];
  }
}

function defaultCatalog(env: Env): ModelCatalog {
  const { baseUrl, apiKey } = openRouterConfig(env);
  return createModelCatalog({ baseUrl, apiKey, kv: env.SETTINGS });
}

function clip(text: string): string {
  return text.length <= MAX_CHOICE_CHARS ? text : `${text.slice(0, MAX_CHOICE_CHARS - 1)}…`;
}

function message(content: string, opts: { ephemeral?: boolean } = {}): Response {
  const data: APIInteractionResponseCallbackData = {
    content: content.slice(0, 2000),
    allowed_mentions: NO_MENTIONS,
    ...(opts.ephemeral ? { flags: FLAGS.Ephemeral } : {}),
  };
  return json({ type: RESPONSE.ChannelMessageWithSource, data });
}

function json(body: APIInteractionResponse): Response {
  return Response.json(body);
}
