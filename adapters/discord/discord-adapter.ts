/**
 * The Discord `ChatAdapter`. An `/ask` answer goes out through the interaction webhook
 * (its deferred `@original`, then followups) while the interaction token lives, then
 * continues as channel messages with the bot token; a Gateway question is answered
 * with replies, each chunk replying to the one before so the reply chain holds it all.
 */
import type { APIMessage } from "discord-api-types/v10";
import type { ChatAdapter } from "../../src/chat/adapter.ts";
import type { Question, SentMessage } from "../../src/chat/types.ts";
import { ChatApiError } from "../../src/errors.ts";
import { rememberAsked, rememberConversation } from "./answer-memory.ts";
import type { DiscordApi } from "./api.ts";
import { FLAGS } from "./constants.ts";
import { renderDiscord } from "./format.ts";
import { fetchDiscordHistory } from "./history.ts";

export { findConversationInKv } from "./answer-memory.ts";

/** Content limit for bot messages (the OpenAPI spec's 4,000 is for Nitro users). */
const MAX_MESSAGE_CHARS = 2000;
/** About 5 messages per 5 s per channel are allowed; stay just under. */
const EDIT_INTERVAL_MS = 1200;
/** Stop using an interaction token a minute before its 15 minutes run out. */
const TOKEN_MARGIN_MS = 60_000;
/**
 * The conversation can reach the interaction webhook before Discord has the route's
 * deferral (type 5), and until then Discord answers 10015 Unknown Webhook. The route
 * answers within Discord's 3 s, so a 10015 this soon means "not yet", not "expired".
 */
const ACK_GRACE_MS = 5_000;
const ACK_RETRY_MS = 500;
/** Errors meaning the bot token cannot edit this (webhook) message. */
const CANNOT_EDIT = new Set([
  "not_author",
  "missing_access",
  "missing_permissions",
  "unknown_message",
]);

export interface DiscordAdapterOptions {
  api: DiscordApi;
  /** The bot's user id: the application id. */
  botUserId: string;
  /** Remembers answers so replies continue their conversation. */
  kv?: KVNamespace;
  now?: () => number;
}

export function createDiscordAdapter(opts: DiscordAdapterOptions): ChatAdapter {
  const { api, kv } = opts;
  const now = opts.now ?? Date.now;
  /** Threads already remembered in this isolate (KV takes one write per second per key). */
  const rememberedThreads = new Set<string>();

  const liveToken = (q: Question): string | undefined => {
    const token = q.delivery?.interactionToken;
    const expiresAt = Number(q.delivery?.interactionExpiresAt);
    return q.trigger === "command" && token && expiresAt - TOKEN_MARGIN_MS > now()
      ? token
      : undefined;
  };
  const channelOf = (q: Question, m?: SentMessage) =>
    m?.meta?.channelId ?? q.delivery?.channelId ?? q.thread.channelId;
  const sent = (m: APIMessage, via: "webhook" | "channel", original = false): SentMessage => ({
    id: m.id,
    meta: { via, channelId: m.channel_id, ...(original ? { original: "1" } : {}) },
  });

  /** True when `@original` still shows the deferred "thinking…" state, i.e. nothing answered in it yet. */
  async function originalIsFree(token: string, previous?: SentMessage): Promise<boolean> {
    if (previous) return false;
    const original = await api.getOriginal(token);
    return ((original.flags ?? 0) & FLAGS.Loading) !== 0;
  }

  async function postViaChannel(
    q: Question,
    text: string,
    previous?: SentMessage,
  ): Promise<SentMessage> {
    // Each chunk replies to the one before it (the first to the question), so the answer reads as one chain.
    const replyTo = previous?.id ?? q.delivery?.replyTo;
    const m = await api.createMessage(channelOf(q), {
      content: text,
      flags: FLAGS.SuppressEmbeds,
      ...(replyTo ? { message_reference: { message_id: replyTo, fail_if_not_exists: false } } : {}),
    });
    return sent(m, "channel");
  }

  async function post(q: Question, text: string, previous?: SentMessage): Promise<SentMessage> {
    const token = liveToken(q);
    let message: SentMessage | undefined;
    if (token) {
      try {
        if (await originalIsFree(token, previous)) {
          // The deferral had no flags to give; links in the answer would unfurl without this.
          const body = { content: text, flags: FLAGS.SuppressEmbeds };
          message = sent(await api.editOriginal(token, body), "webhook", true);
        } else
          message = sent(
            await api.createFollowup(token, { content: text, flags: FLAGS.SuppressEmbeds }),
            "webhook",
          );
      } catch (err) {
        if (!isCode(err, "interaction_expired")) throw err;
        if (!previous && now() - q.receivedAt < ACK_GRACE_MS) {
          throw new ChatApiError("interaction_pending", "Discord has not seen the deferral yet", {
            status: 404,
            retryable: true,
            retryAfterMs: ACK_RETRY_MS,
          });
        }
        // The token died early (or the interaction was deleted): carry on with the bot token.
      }
    }
    return message ?? (await postViaChannel(q, text, previous));
  }

  async function edit(
    q: Question,
    target: SentMessage,
    text: string,
  ): Promise<SentMessage | undefined> {
    const token = liveToken(q);
    if (target.meta?.via === "webhook" && token) {
      try {
        if (target.meta.original) await api.editOriginal(token, { content: text });
        else await api.editFollowup(token, target.id, { content: text });
        return undefined;
      } catch (err) {
        if (!isCode(err, "interaction_expired")) throw err;
      }
    }
    try {
      await api.editMessage(channelOf(q, target), target.id, { content: text });
      return undefined;
    } catch (err) {
      if (
        target.meta?.via !== "webhook" ||
        !(err instanceof ChatApiError) ||
        !CANNOT_EDIT.has(err.code)
      )
        throw err;
      // Past the token, some webhook messages (e.g. where the bot cannot see the channel)
      // refuse bot-token edits: post the text anew, replying to the message it replaces.
      // The core records the stand-in in place of `target`, so it is posted only once.
      const created = await api.createMessage(channelOf(q, target), {
        content: text,
        flags: FLAGS.SuppressEmbeds,
        message_reference: { message_id: target.id, fail_if_not_exists: false },
      });
      const standIn = sent(created, "channel");
      await rememberAnswer(q, standIn);
      return standIn;
    }
  }

  async function rememberAnswer(q: Question, message: SentMessage): Promise<void> {
    if (!kv) return;
    const writes = [rememberConversation(kv, message.id, q.thread)];
    if (q.trigger === "command") {
      writes.push(
        rememberAsked(kv, message.id, { id: q.messageId ?? q.id, user: q.user, text: q.text }),
      );
    }
    const threadChannel = q.delivery?.inThread === "1" ? q.delivery.channelId : undefined;
    if (threadChannel && !rememberedThreads.has(threadChannel)) {
      rememberedThreads.add(threadChannel);
      // Later messages in this thread are follow-ups of this conversation.
      writes.push(rememberConversation(kv, threadChannel, q.thread));
    }
    await Promise.all(writes);
  }

  return {
    platform: "discord",
    maxMessageChars: MAX_MESSAGE_CHARS,
    editIntervalMs: EDIT_INTERVAL_MS,
    fetchHistory: (q) => fetchDiscordHistory({ api, botUserId: opts.botUserId, kv }, q),
    post,
    edit,
    render: renderDiscord,
    // Typing lasts about 10 s and cannot be cancelled: the core renews it while it waits,
    // and an empty status ("done") sends nothing.
    showWorking: async (q, status) => {
      if (status) await api.triggerTyping(channelOf(q));
    },
    rememberAnswer,
  };
}

function isCode(err: unknown, code: string): boolean {
  return err instanceof ChatApiError && err.code === code;
}
