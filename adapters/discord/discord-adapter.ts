/**
 * The Discord `ChatAdapter`. An `/ask` answer goes out through the interaction webhook
 * (its deferred `@original`, then followups) while the interaction token lives, then
 * continues as channel messages with the bot token; a Gateway question is answered
 * with replies, each chunk replying to the one before so the reply chain holds it all.
 */
import type { APIMessage, RESTPostAPIChannelMessageJSONBody } from "discord-api-types/v10";
import type { ChatAdapter, MessageControls } from "../../src/chat/adapter.ts";
import type { Question, SentMessage } from "../../src/chat/types.ts";
import type { RateLimiter } from "../../src/delivery/rate-limit.ts";
import { ChatApiError } from "../../src/errors.ts";
import { rememberAsked, rememberConversation } from "./answer-memory.ts";
import type { DiscordApi } from "./api.ts";
import { FLAGS } from "./constants.ts";
import { type Clock, isNotYet, mayBeUndeferred, whenDeferred } from "./deferral.ts";
import { discordDeliveryOf, discordMetaOf, discordSent } from "./delivery.ts";
import { discordRenderer, growingDiscordRenderer, renderDiscord } from "./format.ts";
import { fetchDiscordHistory } from "./history.ts";
import { nonceFor } from "./nonce.ts";
import { answerChannelOf, DISCORD_RATE_RULES, PACE_KEYS, paceScopeOf } from "./pacing.ts";
import { type StopRow, stopComponents } from "./stop-control.ts";

export { findConversationInKv } from "./answer-memory.ts";
export { DISCORD_RATE_RULES } from "./pacing.ts";

/** Content limit for bot messages (the OpenAPI spec's 4,000 is for Nitro users). */
const MAX_MESSAGE_CHARS = 2000;
/** About 5 messages per 5 s per channel are allowed; stay just under. */
const EDIT_INTERVAL_MS = 1200;
/** Stop using an interaction token a minute before its 15 minutes run out. */
const TOKEN_MARGIN_MS = 60_000;
/** Errors meaning the bot token cannot edit this (webhook) message. */
const CANNOT_EDIT = new Set([
  "not_author",
  "missing_access",
  "missing_permissions",
  "unknown_message",
]);

/**
 * The components a message carries: the Stop while its answer runs. An edit without
 * controls sends `components: []`, which removes a Stop the message had; a new message
 * without controls sends none.
 */
function componentsFor(
  q: Question,
  controls: MessageControls | undefined,
  edit: boolean,
): { components?: StopRow[] } {
  const stop = controls?.stop && stopComponents(q.thread, controls.stop.questionId);
  if (stop) return { components: stop };
  return edit ? { components: [] } : {};
}

export interface DiscordAdapterOptions {
  api: DiscordApi;
  /** The bot's user id: the application id. */
  botUserId: string;
  /** Remembers answers so replies continue their conversation. */
  kv?: KVNamespace;
  /** Pacing all answers of a channel share (`pace`); without it `pace` is absent. */
  limiter?: RateLimiter;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export function createDiscordAdapter(opts: DiscordAdapterOptions): ChatAdapter {
  const { api, kv, limiter } = opts;
  const clock: Clock = {
    now: opts.now ?? Date.now,
    sleep: opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))),
  };
  /** Threads already remembered in this isolate (KV takes one write per second per key). */
  const rememberedThreads = new Set<string>();

  const liveToken = (q: Question): string | undefined => {
    const { interactionToken: token, interactionExpiresAt } = discordDeliveryOf(q);
    const expiresAt = Number(interactionExpiresAt);
    return q.trigger === "command" && token && expiresAt - TOKEN_MARGIN_MS > clock.now()
      ? token
      : undefined;
  };
  const channelOf = (q: Question, m?: SentMessage) =>
    discordMetaOf(m).channelId ?? answerChannelOf(q);
  const sent = (m: APIMessage, via: "webhook" | "channel", original = false): SentMessage =>
    discordSent(m.id, { via, channelId: m.channel_id, ...(original ? { original: "1" } : {}) });
  /** Books a message write in the channel's allowance (the core paces the calls it makes; this, the adapter's own). */
  const paceWrite = async (channelId: string) =>
    limiter?.acquire(paceScopeOf(channelId), PACE_KEYS.messages, DISCORD_RATE_RULES.messages);

  /**
   * The answer's first part fills the deferred `@original` ("thinking…"); later parts are
   * followups. Undefined when the token cannot carry it (dead, or the deferral never came).
   */
  async function postViaWebhook(
    q: Question,
    token: string,
    text: string,
    previous: SentMessage | undefined,
    components: { components?: StopRow[] },
  ): Promise<SentMessage | undefined> {
    // The deferral had no flags to give; links in the answer would unfurl without this.
    const body = { content: text, flags: FLAGS.SuppressEmbeds, ...components };
    const followup = async () => sent(await api.createFollowup(token, body), "webhook");
    const first = async () => {
      const original = await api.getOriginal(token);
      if (((original.flags ?? 0) & FLAGS.Loading) === 0) return followup();
      return sent(await api.editOriginal(token, body), "webhook", true);
    };
    try {
      if (previous) return await followup();
      // Until Discord has the route's deferral, a 404 here means "not yet": wait it out.
      return mayBeUndeferred(q.receivedAt, clock.now())
        ? await whenDeferred(first, clock)
        : await first();
    } catch (err) {
      if (isNotYet(err)) return undefined;
      throw err;
    }
  }

  /** A channel message; keyed posts carry a nonce Discord dedupes on, so a retry never shows twice. */
  async function postViaChannel(
    q: Question,
    text: string,
    previous: SentMessage | undefined,
    key: string | undefined,
    components: { components?: StopRow[] },
  ): Promise<SentMessage> {
    // Each chunk replies to the one before it (the first to the question), so the answer reads as one chain.
    const replyTo = previous?.id ?? discordDeliveryOf(q).replyTo;
    const channelId = channelOf(
      q,
      discordMetaOf(previous).via === "channel" ? previous : undefined,
    );
    const body: RESTPostAPIChannelMessageJSONBody = {
      content: text,
      flags: FLAGS.SuppressEmbeds,
      ...components,
      ...(replyTo ? { message_reference: { message_id: replyTo, fail_if_not_exists: false } } : {}),
    };
    return sent(await createKeyed(channelId, body, key), "channel");
  }

  async function createKeyed(
    channelId: string,
    body: RESTPostAPIChannelMessageJSONBody,
    key?: string,
  ): Promise<APIMessage> {
    if (!key) return api.createMessage(channelId, body);
    const create = async (k: string) =>
      api.createMessage(channelId, { ...body, nonce: await nonceFor(k), enforce_nonce: true });
    let m: APIMessage;
    try {
      m = await create(key);
    } catch (err) {
      // The message this nonce made was deleted since: Discord creates nothing for it again.
      if (!(err instanceof ChatApiError && err.code === "unknown_message")) throw err;
      await paceWrite(channelId);
      m = await create(`${key}:again`);
    }
    // A deduped create returns the message as the first attempt wrote it: bring it up to date.
    if (body.content !== undefined && m.content !== body.content) {
      await paceWrite(channelId);
      const components = body.components ? { components: body.components } : {};
      m = await api.editMessage(channelId, m.id, { content: body.content, ...components });
    }
    return m;
  }

  async function post(
    q: Question,
    text: string,
    previous?: SentMessage,
    key?: string,
    controls?: MessageControls,
  ): Promise<SentMessage> {
    const components = componentsFor(q, controls, false);
    const token = liveToken(q);
    // Once an answer moved to channel messages it stays there, so its chain holds together.
    if (token && discordMetaOf(previous).via !== "channel") {
      const startedAt = clock.now();
      const message = await postViaWebhook(q, token, text, previous, components);
      if (message) return message;
      // Waiting for the deferral took the slot the core booked: book a fresh one.
      if (clock.now() - startedAt > 1000) await paceWrite(channelOf(q));
    }
    return postViaChannel(q, text, previous, key, components);
  }

  async function edit(
    q: Question,
    target: SentMessage,
    text: string,
    controls?: MessageControls,
  ): Promise<SentMessage | undefined> {
    const body = { content: text, ...componentsFor(q, controls, true) };
    const token = liveToken(q);
    const meta = discordMetaOf(target);
    if (meta.via === "webhook" && token) {
      try {
        if (meta.original) await api.editOriginal(token, body);
        else await api.editFollowup(token, target.id, body);
        return undefined;
      } catch (err) {
        if (!(err instanceof ChatApiError && err.code === "interaction_expired")) throw err;
        await paceWrite(channelOf(q, target));
      }
    }
    try {
      await api.editMessage(channelOf(q, target), target.id, body);
      return undefined;
    } catch (err) {
      if (meta.via !== "webhook" || !(err instanceof ChatApiError) || !CANNOT_EDIT.has(err.code))
        throw err;
      // Past the token, some webhook messages (e.g. where the bot cannot see the channel)
      // refuse bot-token edits: post the text anew, replying to the message it replaces.
      // The core records the stand-in in place of `target`, so it is posted only once; its
      // nonce keeps a retried stand-in from showing twice.
      const channelId = channelOf(q, target);
      await paceWrite(channelId);
      const created = await createKeyed(
        channelId,
        {
          content: text,
          flags: FLAGS.SuppressEmbeds,
          ...componentsFor(q, controls, false),
          message_reference: { message_id: target.id, fail_if_not_exists: false },
        },
        `stand-in:${target.id}`,
      );
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
    const delivery = discordDeliveryOf(q);
    const threadChannel = delivery.inThread === "1" ? delivery.channelId : undefined;
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
    ...(limiter
      ? {
          // Every write of every answer lands in the question's channel (webhook messages too).
          pace: (q: Question) =>
            limiter.acquire(
              paceScopeOf(answerChannelOf(q)),
              PACE_KEYS.messages,
              DISCORD_RATE_RULES.messages,
            ),
        }
      : {}),
    render: renderDiscord,
    renderer: discordRenderer,
    growingRenderer: growingDiscordRenderer,
    // Typing lasts about 10 s and cannot be cancelled: the core renews it while it waits,
    // and an empty status ("done") sends nothing. It is cosmetic: its own key, and a refusal is dropped.
    showWorking: async (q, status) => {
      if (!status) return;
      const channelId = answerChannelOf(q);
      await limiter?.acquire(paceScopeOf(channelId), PACE_KEYS.typing, DISCORD_RATE_RULES.typing);
      await api.triggerTyping(channelId).catch((err: unknown) => {
        if (!(err instanceof ChatApiError && err.kind === "rate_limited")) throw err;
      });
    },
    rememberAnswer,
  };
}
