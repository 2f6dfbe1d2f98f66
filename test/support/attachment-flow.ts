/**
 * Attachments from a platform's message to the request OpenRouter receives, through the
 * adapters the Worker composes (`ConversationObject.adapterFor` in src/index.ts) and the
 * fakes of both worlds. `askModel` runs the steps the core's answer runs before it streams
 * (history, `prepareAttachments`, `buildChatMessages`) and sends the request, so tests
 * assert on `openrouter.chatBodies`.
 */

import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import type { APIAttachment } from "discord-api-types/v10";
import { messageCreateToQuestion } from "../../adapters/discord/parse-message.ts";
import { slackEventToQuestion } from "../../adapters/slack/parse.ts";
import { prepareAttachments } from "../../src/answer/attachments.ts";
import { platformHistory } from "../../src/answer/conversation-history.ts";
import { buildChatMessages, reserveFor } from "../../src/answer/history.ts";
import type { ChatAdapter } from "../../src/chat/adapter.ts";
import type { Platform, Question } from "../../src/chat/types.ts";
import { log } from "../../src/log.ts";
import { streamChat } from "../../src/openrouter/chat-stream.ts";
import { createModelCatalog } from "../../src/openrouter/model-catalog.ts";
import { FAKE_OPENROUTER_URL } from "../fakes/openrouter.ts";
import type { FakeSlackFile } from "../fakes/slack-content.ts";
import { APP_ID, discordWorld, gatewayMessage } from "./discord-world.ts";
import { freshChannel, slackWorld } from "./slack-world.ts";

/** A file someone attaches; `url` puts it on another host than the platform's. */
export interface FileSpec {
  name: string;
  type: string;
  bytes: Uint8Array;
  /** What the platform says the size is, when not the bytes' length. */
  size?: number;
  url?: string;
}

export interface AskOptions {
  /** Files on an earlier message of the same conversation, answered by the bot. */
  earlier?: FileSpec[];
  /** The platform's file host refuses every download of this question (HTTP 403). */
  refused?: boolean;
}

/** One platform's world, able to ask a question with files attached. */
export interface AttachmentHarness {
  openrouter: Awaited<ReturnType<typeof slackWorld>>["openrouter"];
  network: Awaited<ReturnType<typeof slackWorld>>["network"];
  ask(files: FileSpec[], opts?: AskOptions): Promise<Question>;
  /** URLs the platform's file host was asked for. */
  fileRequests(): string[];
}

export async function slackHarness(): Promise<AttachmentHarness> {
  const world = await slackWorld();
  const channel = freshChannel();
  const root = "1700000001.000100";
  world.slack.seedMessage(channel, { ts: root, user: "U0ANA", text: "<@U0QUARRY> context" });
  let refused = false;
  const upload = (spec: FileSpec): FakeSlackFile => {
    if (spec.url) {
      return {
        id: "F0EXT",
        name: spec.name,
        mimetype: spec.type,
        mode: "external",
        url_private: spec.url,
      };
    }
    const file = world.files.add({
      name: spec.name,
      mimetype: spec.type,
      bytes: spec.bytes,
      size: spec.size,
    });
    if (refused) world.files.fail(file.url_private as string, 403);
    return file;
  };
  const post = (ts: string, user: string, text: string, files: FakeSlackFile[]) =>
    world.slack.seedMessage(channel, {
      ts,
      thread_ts: root,
      user,
      text,
      ...(files.length ? { subtype: "file_share", files } : {}),
    });
  return {
    ...world,
    fileRequests: () => world.files.requests.map((r) => r.url),
    async ask(specs, opts = {}) {
      if (opts.earlier) {
        post("1700000001.000150", "U0BEN", "look at this", opts.earlier.map(upload));
        world.slack.seedMessage(channel, {
          ts: "1700000001.000160",
          thread_ts: root,
          user: "U0QUARRY",
          bot_id: "B0QUARRY",
          text: "It is a chart.",
        });
      }
      refused = opts.refused ?? false;
      const ts = "1700000001.000200";
      const text = "<@U0QUARRY> what do these show?";
      const files = specs.map(upload);
      post(ts, "U0ANA", text, files);
      const decision = slackEventToQuestion({
        kind: "event",
        eventId: `Ev${ts}`,
        teamId: "T0TEAM",
        botUserId: "U0QUARRY",
        event: {
          type: "message",
          channel,
          ts,
          thread_ts: root,
          user: "U0ANA",
          text,
          channel_type: "channel",
          // As the event carries them: plain JSON objects.
          ...(files.length ? { subtype: "file_share", files: files.map((f) => ({ ...f })) } : {}),
        },
      });
      if (decision.kind !== "question") throw new Error(`not a question: ${decision.reason}`);
      return decision.question;
    },
  };
}

export async function discordHarness(): Promise<AttachmentHarness> {
  const world = await discordWorld();
  const bot = world.discord.botUser;
  const attach = (spec: FileSpec): Partial<APIAttachment> =>
    spec.url
      ? {
          filename: spec.name,
          content_type: spec.type,
          size: spec.bytes.byteLength,
          url: spec.url,
          proxy_url: spec.url,
        }
      : world.cdn.add(world.channelId, {
          name: spec.name,
          contentType: spec.type,
          bytes: spec.bytes,
          size: spec.size,
        });
  return {
    ...world,
    fileRequests: () => world.cdn.requests.map((r) => r.url),
    async ask(specs, opts = {}) {
      let replyTo: string | undefined;
      if (opts.earlier) {
        const shown = world.discord.seedMessage(world.channelId, {
          content: `<@${bot.id}> look at this`,
          mentions: [bot],
          attachments: opts.earlier.map(attach),
        });
        replyTo = world.discord.seedMessage(world.channelId, {
          author: bot,
          content: "It is a chart.",
          replyTo: shown.id,
        }).id;
      }
      if (opts.refused) {
        world.cdn.refusing.add("cdn.discordapp.com");
        world.cdn.refusing.add("media.discordapp.net");
      }
      const message = world.discord.seedMessage(world.channelId, {
        content: `<@${bot.id}> what do these show?`,
        mentions: [bot],
        attachments: specs.map(attach),
        replyTo,
      });
      const question = await messageCreateToQuestion(gatewayMessage(message), {
        botUserId: APP_ID,
        findConversation: async () => undefined,
      });
      if (!question) throw new Error("not a question");
      return question;
    },
  };
}

/**
 * What the answer sends for `question` to `modelId`: the thread from the platform, its
 * attachments prepared, the request streamed from the fake OpenRouter. Returns the notes.
 */
export async function askModel(question: Question, modelId: string): Promise<string[]> {
  const ns = env.CONVERSATIONS;
  const stub = ns.get(ns.idFromName(`attachments-${crypto.randomUUID()}`));
  return runInDurableObject(stub, async (instance) => {
    const composed = instance as unknown as { adapterFor(p: Platform): ChatAdapter };
    const adapter = composed.adapterFor(question.thread.platform);
    const catalog = createModelCatalog({ baseUrl: FAKE_OPENROUTER_URL, apiKey: "sk-or-test" });
    const model = await catalog.get(modelId);
    if (!model) throw new Error(`${modelId} is not in the fake catalog`);
    const history = await platformHistory(adapter, question, log);
    const attachments = await prepareAttachments(history, adapter, question, model);
    const { messages } = buildChatMessages({
      history,
      attachments,
      contextTokens: model.contextLength,
      reserveTokens: reserveFor(model),
    });
    const opts = { baseUrl: FAKE_OPENROUTER_URL, apiKey: "sk-or-test", model };
    for await (const _ of streamChat({ model: modelId, messages }, opts)) {
      // Drained: the request is what the tests look at.
    }
    return attachments.notes;
  });
}
