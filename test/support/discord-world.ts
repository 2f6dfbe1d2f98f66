export { settled } from "./conversations.ts";

/**
 * A whole Discord world for end-to-end tests: the fake REST API, the fake Gateway, the
 * fake CDN and the fake OpenRouter behind the Worker's fetch, a real Ed25519 key pair to
 * sign interactions, and ids no other test uses. Interactions go to the Worker's own `fetch`; Gateway events
 * go through the real `DiscordGatewayObject`.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import type {
  APIMessage,
  GatewayMessageCreateDispatchData,
  GuildMemberFlags,
} from "discord-api-types/v10";
import { vi } from "vitest";
import { GATEWAY_OBJECT_NAME } from "../../adapters/discord/gateway-cron.ts";
import type { DiscordGatewayObject } from "../../adapters/discord/gateway-object.ts";
import type { ThreadRef } from "../../src/chat/types.ts";
import worker from "../../src/index.ts";
import { clearModelCatalogCache, MODELS_KV_KEY } from "../../src/openrouter/model-catalog.ts";
import { FakeDiscord, type PendingCode } from "../fakes/discord-api.ts";
import { CDN_HOST, FakeDiscordCdn, MEDIA_HOST } from "../fakes/discord-files.ts";
import { FakeDiscordGateway } from "../fakes/discord-gateway.ts";
import { eventually, installFakeNetwork } from "../fakes/network.ts";
import { FakeOpenRouter } from "../fakes/openrouter.ts";
import { askInteraction, GUILD_ID, type InteractionInit, interaction } from "./discord-payloads.ts";
import { createDiscordSigner, type DiscordSigner } from "./discord-signing.ts";

/** The Discord secrets the Worker under test has (vitest.config.ts). */
export const APP_ID = "1100000000000000001";
export const BOT_TOKEN = "discord-bot-token-test";
export { GUILD_ID };

/** Manage Channels, as a member's permissions string. */
export const MANAGE_CHANNELS = String(1 << 4);

const DISCORD_EPOCH = 1420070400000n;
let counter = 0n;

/** A snowflake no other test (or test file) uses: time in the high bits, a counter and noise below. */
export function freshSnowflake(): string {
  const time = (BigInt(Date.now()) - DISCORD_EPOCH) << 22n;
  const noise = BigInt(Math.floor(Math.random() * 0xfff)) << 10n;
  counter = (counter + 1n) & 0x3ffn;
  return (time | noise | counter).toString();
}

let signer: Promise<DiscordSigner> | undefined;

/** Fresh fakes behind the Worker's fetch, a fresh guild text channel, and the caches emptied. */
export async function discordWorld() {
  vi.restoreAllMocks();
  clearModelCatalogCache();
  await env.SETTINGS.delete(MODELS_KV_KEY);
  const discord = new FakeDiscord({ token: BOT_TOKEN, applicationId: APP_ID });
  const gateway = new FakeDiscordGateway({ token: BOT_TOKEN, applicationId: APP_ID });
  const openrouter = new FakeOpenRouter();
  const cdn = new FakeDiscordCdn();
  const network = installFakeNetwork({
    "discord.test": discord,
    "gateway.discord.test": gateway,
    "resume.discord.test": gateway,
    "openrouter.test": openrouter,
    [CDN_HOST]: cdn,
    [MEDIA_HOST]: cdn,
  });
  const channelId = discord.addChannel({ id: freshSnowflake(), guild_id: GUILD_ID, type: 0 }).id;
  return { discord, gateway, openrouter, cdn, network, channelId };
}

export type DiscordWorld = Awaited<ReturnType<typeof discordWorld>>;

/** Signs `body` with a key pair of the test's own and hands it to the Worker's `fetch`. */
export async function sendInteraction(body: unknown): Promise<Response> {
  signer ??= createDiscordSigner();
  const keys = await signer;
  const raw = JSON.stringify(body);
  const request = new Request("https://quarry.test/discord/interactions", {
    method: "POST",
    headers: await keys.sign(raw),
    body: raw,
  });
  const ctx = createExecutionContext();
  const res = await worker.fetch(request, { ...env, DISCORD_PUBLIC_KEY: keys.publicKeyHex }, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

/** What Discord does with a deferral: `@original` appears as "thinking…" once the response arrives. */
export interface AskResult {
  response: { type: number; data?: { content?: string; flags?: number } };
  thread: ThreadRef;
  token: string;
  interactionId: string;
  /** The deferred `@original` message, once Discord got the type 5. */
  original?: APIMessage;
}

/**
 * How long after the Worker's response Discord registers a deferral, by default: the
 * response's trip back plus Discord's own processing (a few hundred ms in practice).
 */
export const DEFAULT_ACK_DELAY_MS = 250;

/**
 * `/ask question:<text>` in the world's channel. Discord knows the interaction from the
 * moment it sends it, but applies the type 5 only once the Worker's response has reached
 * it, `ackDelayMs` later: until then `@original` answers 404 (`pendingCode`, 10008 by
 * default) and followups 10015. `ackDelayMs: Infinity` never delivers the deferral.
 */
export async function ask(
  world: DiscordWorld,
  question: string,
  opts: { ackDelayMs?: number; pendingCode?: PendingCode; init?: InteractionInit } = {},
): Promise<AskResult> {
  const interactionId = freshSnowflake();
  const token = `token-${interactionId}`;
  const body = {
    ...askInteraction(question, {
      id: interactionId,
      channel: { id: world.channelId, type: 0 },
      ...opts.init,
    }),
    token,
  };
  world.discord.pendInteraction(token, world.channelId, { code: opts.pendingCode });
  const res = await sendInteraction(body);
  const response = (await res.json()) as AskResult["response"];
  const result: AskResult = {
    response,
    token,
    interactionId,
    thread: {
      platform: "discord",
      workspaceId: GUILD_ID,
      channelId: world.channelId,
      threadId: `interaction:${interactionId}`,
    },
  };
  const ackDelayMs = opts.ackDelayMs ?? DEFAULT_ACK_DELAY_MS;
  if (response.type === 5 && Number.isFinite(ackDelayMs)) {
    await new Promise((r) => setTimeout(r, ackDelayMs));
    result.original = world.discord.openInteraction(token, world.channelId);
  }
  return result;
}

/** `/settings <sub> [options]` (or autocomplete, type 4) in the world's channel. */
export async function settingsCommand(
  world: DiscordWorld,
  sub: "show" | "set" | "reset",
  opts: {
    permissions?: string;
    options?: { name: string; type: number; value: string | number; focused?: boolean }[];
    type?: number;
  } = {},
) {
  const body = interaction({
    id: freshSnowflake(),
    type: opts.type,
    name: "settings",
    permissions: opts.permissions,
    channel: { id: world.channelId, type: 0 },
    options: [{ name: sub, type: 1, options: opts.options ?? [] }],
  });
  const res = await sendInteraction(body);
  return (await res.json()) as {
    type: number;
    data?: { content?: string; flags?: number; choices?: { name: string; value: string }[] };
  };
}

/** A Gateway MESSAGE_CREATE for a message already in the fake (so history can fetch it). */
export function gatewayMessage(
  message: APIMessage,
  opts: { channelType?: number } = {},
): GatewayMessageCreateDispatchData {
  return {
    ...message,
    guild_id: GUILD_ID,
    channel_type: opts.channelType ?? 0,
    member: {
      roles: [],
      joined_at: "2024-01-01T00:00:00.000000+00:00",
      deaf: false,
      mute: false,
      flags: 0 as GuildMemberFlags,
    },
  };
}

/** Someone mentions the bot in the world's channel: the message exists in the fake, then the Gateway delivers it. */
export async function mentionOverGateway(world: DiscordWorld, text: string) {
  const asked = world.discord.seedMessage(world.channelId, {
    content: `<@${APP_ID}> ${text}`,
    mentions: [world.discord.botUser],
  });
  const seq = await world.gateway.dispatch("MESSAGE_CREATE", gatewayMessage(asked));
  const thread: ThreadRef = {
    platform: "discord",
    workspaceId: GUILD_ID,
    channelId: world.channelId,
    threadId: asked.id,
  };
  return { asked, seq, thread };
}

type GatewayStub = DurableObjectStub<DiscordGatewayObject>;

/** The real Gateway object (not the cron's name, so no other test shares it), connected and READY. */
export async function connectGateway(): Promise<GatewayStub> {
  const ns = env.DISCORD_GATEWAY as unknown as DurableObjectNamespace<DiscordGatewayObject>;
  const stub = ns.get(ns.idFromName(`${GATEWAY_OBJECT_NAME}-${crypto.randomUUID()}`));
  await stub.ensureConnected();
  await eventually(async () => (await stub.status()).state === "ready");
  return stub;
}

/** The channel as people see it: the bot's messages, oldest first. */
export function botMessages(world: DiscordWorld, channelId = world.channelId) {
  return world.discord.visible(channelId).filter((m) => m.fromBot);
}

/** Every request the Worker sent to Discord that carried a JSON body. */
export function sentBodies(world: DiscordWorld) {
  return world.discord.requests.filter((r) => r.body !== undefined);
}
