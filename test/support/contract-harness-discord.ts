/**
 * The Discord side of the adapter contract: the real verify, Gateway message parse and
 * adapter (answer memory in the test's KV), a fresh in-process Discord (`FakeDiscord`)
 * recording every REST request, and an Ed25519 key pair generated for each harness.
 */
import { env } from "cloudflare:workers";
import type { GatewayMessageCreateDispatchData } from "discord-api-types/v10";
import { findConversationInKv } from "../../adapters/discord/answer-memory.ts";
import { DiscordApi } from "../../adapters/discord/api.ts";
import { createDiscordAdapter } from "../../adapters/discord/discord-adapter.ts";
import {
  messageCreateToQuestion,
  threadParentLookup,
} from "../../adapters/discord/parse-message.ts";
import { parseStopCustomId } from "../../adapters/discord/stop-control.ts";
import { verifyDiscordRequest } from "../../adapters/discord/verify.ts";
import type { ThreadRef } from "../../src/chat/types.ts";
import { FAKE_DISCORD_URL, FakeDiscord } from "../fakes/discord-api.ts";
import { type ContractHarness, type SignedRequest, tamper } from "./adapter-contract.ts";
import { alice, botUser, GUILD_ID, messageCreate } from "./discord-payloads.ts";
import { createDiscordSigner } from "./discord-signing.ts";

type MessageCreate = GatewayMessageCreateDispatchData;

const SIGNATURE_HEADERS = ["X-Signature-Ed25519", "X-Signature-Timestamp"];

export async function discordHarness(): Promise<ContractHarness<MessageCreate>> {
  // Discord's clock, like the contract's writer, moves only when someone waits: the strict
  // fake's 5 writes per 5 s then cost no real time.
  let clock = Date.now();
  const discordNow = () => clock;
  const sleep = async (ms: number) => {
    clock += ms;
  };
  const fake = new FakeDiscord({ now: discordNow });
  const channel = fake.addChannel({ guild_id: GUILD_ID, type: 0 });
  const api = new DiscordApi({
    baseUrl: FAKE_DISCORD_URL,
    token: fake.token,
    applicationId: fake.applicationId,
    fetch: async (input, init) => fake.handle(new Request(input, init)),
    now: discordNow,
    sleep,
  });
  const signer = await createDiscordSigner();
  const stranger = await createDiscordSigner();
  const bot = fake.applicationId;
  const now = () => Math.floor(Date.now() / 1000);
  const request = async (body: string, headers: Headers): Promise<SignedRequest> => ({
    headers,
    body,
  });

  /** A Gateway MESSAGE_CREATE for a message the fake holds, as a guild text channel delivers it. */
  const delivered = (id: string, over: Partial<MessageCreate> = {}): MessageCreate => {
    const m = fake.message(id);
    if (!m) throw new Error(`fake Discord holds no message ${id}`);
    return messageCreate({ ...m, guild_id: GUILD_ID, channel_type: channel.type, ...over });
  };

  /** The messages of the conversation of `thread`, oldest first, as people see them. */
  const conversation = (thread: ThreadRef) => {
    const all = fake.visible(
      fake.channels.has(thread.threadId) ? thread.threadId : thread.channelId,
    );
    if (fake.channels.has(thread.threadId)) return all;
    // A reply-chain conversation: the root message and everything replying into it.
    const chain = new Set([thread.threadId]);
    return all.filter((m) => {
      if (m.id !== thread.threadId && !(m.replyTo && chain.has(m.replyTo))) return false;
      chain.add(m.id);
      return true;
    });
  };

  return {
    adapter: createDiscordAdapter({ api, botUserId: bot, kv: env.SETTINGS, sleep }),
    // Bot message content: 2,000 characters (the OpenAPI spec's 4,000 is for Nitro users).
    limit: 2000,
    pingPatterns: [/@(?:everyone|here)\b/, /<@!?\d+>/, /<@&\d+>/],
    requiredOnEveryMessage: { allowed_mentions: { parse: [] } },

    sampleBody: () =>
      JSON.stringify({
        id: "3000000000000000009",
        application_id: bot,
        type: 1,
        token: "t",
        version: 1,
      }),
    signedRequest: async (body) => request(body, await signer.sign(body)),
    tamperedRequest: async (body) => request(tamper(body), await signer.sign(body)),
    wrongKeyRequest: async (body) => request(body, await stranger.sign(body)),
    staleRequest: async (body) => request(body, await signer.sign(body, now() - 6 * 60)),
    async unsignedRequest(body) {
      const headers = await signer.sign(body);
      for (const name of SIGNATURE_HEADERS) headers.delete(name);
      return request(body, headers);
    },
    verify: (req) =>
      verifyDiscordRequest({
        publicKeyHex: signer.publicKeyHex,
        signatureHex: req.headers.get("X-Signature-Ed25519"),
        timestamp: req.headers.get("X-Signature-Timestamp"),
        rawBody: req.body,
      }),

    async mention(text) {
      const seeded = fake.seedMessage(channel.id, {
        author: alice,
        content: `<@${bot}> ${text}`,
        mentions: [botUser],
      });
      const event = delivered(seeded.id);
      // After a RESUME the Gateway replays events the bot may already have seen.
      return [event, structuredClone(event)];
    },
    ownEcho: async (_question, sent) => delivered(sent.id),
    async reply(_question, answer, text) {
      const seeded = fake.seedMessage(channel.id, {
        author: alice,
        content: text,
        replyTo: answer.id,
      });
      return delivered(seeded.id);
    },
    parse: (msg) =>
      messageCreateToQuestion(msg, {
        botUserId: bot,
        findConversation: (id) => findConversationInKv(env.SETTINGS, id),
        threadParentOf: threadParentLookup(api),
      }),

    visibleMessages: (thread) =>
      conversation(thread).map((m) => ({ text: m.content, fromBot: m.fromBot })),
    stopsShown: (thread) =>
      conversation(thread).flatMap((m) =>
        fake.buttons(m.id).flatMap((id) => {
          const stop = parseStopCustomId(id);
          return stop ? [{ text: m.content, questionId: stop.questionId }] : [];
        }),
      ),
    recordedMessages: () =>
      fake.requests
        .filter((r) => (r.method === "POST" || r.method === "PATCH") && r.body !== undefined)
        .map((r) => r.body),
  };
}
