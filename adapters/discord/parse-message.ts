/**
 * Gateway `MESSAGE_CREATE` → a question, or null when the bot should stay quiet.
 * Mentions and ordinary messages reach us only over the Gateway; the Gateway object
 * calls this for every message it receives.
 */
import type { GatewayMessageCreateDispatchData } from "discord-api-types/v10";
import type { Question, ThreadRef, Trigger } from "../../src/chat/types.ts";
import { BoundedCache } from "../../src/storage/bounded-cache.ts";
import type { DiscordApi } from "./api.ts";
import { MESSAGE_TYPE, REFERENCE_TYPE, THREAD_CHANNEL_TYPES } from "./constants.ts";
import { discordDelivery } from "./delivery.ts";
import { discordTextToPlain, displayName } from "./format.ts";

export interface MessageContext {
  /** The bot's user id (the application id). */
  botUserId: string;
  /** The conversation a bot answer (or a thread) belongs to; see `findConversationInKv`. */
  findConversation(messageId: string): Promise<ThreadRef | undefined>;
  /** Optional: the parent channel of a thread, whose settings apply (see `threadParentLookup`). */
  threadParentOf?(threadId: string): Promise<string | undefined>;
  /**
   * Optional: the bot's own role in a server (see `botRoleLookup`). Discord offers it next
   * to the bot when someone types `@Quarry`, so mentioning it is mentioning the bot.
   */
  botRoleIn?(guildId: string): Promise<string | undefined>;
  now?: () => number;
}

/**
 * False only for a message `messageCreateToQuestion` is sure to skip, decided without any
 * lookup: the bot's own or another bot's, a system message, or a plain message in a plain
 * channel that neither mentions the bot (or a role) nor replies to anything. The Gateway
 * object stores only messages that pass, so the busy rest of a server costs no writes.
 */
export function mayAskBot(msg: GatewayMessageCreateDispatchData, botUserId: string): boolean {
  if (msg.author.bot || msg.author.id === botUserId || msg.webhook_id) return false;
  if (msg.type !== MESSAGE_TYPE.Default && msg.type !== MESSAGE_TYPE.Reply) return false;
  const maybeThread = msg.channel_type === undefined || THREAD_CHANNEL_TYPES.has(msg.channel_type);
  return (
    !msg.guild_id ||
    maybeThread ||
    !!msg.message_reference ||
    !!msg.mention_roles?.length ||
    mentionsBot(msg, botUserId)
  );
}

/** The question a message asks, or null when it is not for the bot. */
export async function messageCreateToQuestion(
  msg: GatewayMessageCreateDispatchData,
  ctx: MessageContext,
): Promise<Question | null> {
  const bot = ctx.botUserId;
  if (msg.author.bot || msg.author.id === bot || msg.webhook_id) return null;
  if (msg.type !== MESSAGE_TYPE.Default && msg.type !== MESSAGE_TYPE.Reply) return null;

  const dm = !msg.guild_id;
  const ref = msg.message_reference;
  // Forwards also carry a reference, but they are not replies.
  const replyTo =
    ref && (ref.type ?? REFERENCE_TYPE.Default) === REFERENCE_TYPE.Default
      ? ref.message_id
      : undefined;
  // Look up only what may be ours: a reply to someone else's message is not.
  const refAuthor = msg.referenced_message?.author.id;
  const answered =
    replyTo && (!refAuthor || refAuthor === bot) ? await ctx.findConversation(replyTo) : undefined;
  const repliesToBot = !!answered || refAuthor === bot;
  const maybeThread = msg.channel_type === undefined || THREAD_CHANNEL_TYPES.has(msg.channel_type);
  // A thread started from one of our answers has that answer's id; a thread we answered
  // in is remembered under its own id.
  const inThreadConversation =
    !dm && !answered && maybeThread ? await ctx.findConversation(msg.channel_id) : undefined;
  const inThread = THREAD_CHANNEL_TYPES.has(msg.channel_type ?? -1) || !!inThreadConversation;

  // Only a message that mentions roles costs the (cached) lookup of the bot's role.
  const botRole =
    !dm && msg.mention_roles?.length && ctx.botRoleIn
      ? await ctx.botRoleIn(msg.guild_id as string).catch(() => undefined)
      : undefined;
  const mentionsBotRole = !!botRole && msg.mention_roles.includes(botRole);

  let trigger: Trigger;
  if (dm) trigger = "dm";
  else if (mentionsBot(msg, bot) || mentionsBotRole || repliesToBot) trigger = "mention";
  else if (inThreadConversation) trigger = "followup";
  else return null;

  // Ids are data (an operator's typo in DISCORD_APPLICATION_ID could hold `(`): escaped.
  const self = botRole
    ? `<@!?${escapeRegExp(bot)}>|<@&${escapeRegExp(botRole)}>`
    : `<@!?${escapeRegExp(bot)}>`;
  const stripped = msg.content.replace(new RegExp(self, "g"), " ");
  const text = discordTextToPlain(stripped, msg.mentions)
    .replace(/[ \t]+/g, " ")
    .trim();
  if (!text && msg.attachments.length === 0) return null;

  let thread = answered ?? inThreadConversation;
  if (!thread) {
    const base = { platform: "discord" as const, workspaceId: msg.guild_id ?? "" };
    if (inThread) {
      const parent = await ctx.threadParentOf?.(msg.channel_id).catch(() => undefined);
      thread = { ...base, channelId: parent ?? msg.channel_id, threadId: msg.channel_id };
    } else {
      thread = {
        ...base,
        channelId: msg.channel_id,
        threadId: repliesToBot && replyTo ? replyTo : msg.id,
      };
    }
  }

  return {
    id: `discord:message:${msg.id}`,
    thread,
    text,
    trigger,
    user: { id: msg.author.id, name: displayName({ ...msg.author, member: msg.member }) },
    messageId: msg.id,
    receivedAt: ctx.now?.() ?? Date.now(),
    delivery: discordDelivery({
      channelId: msg.channel_id,
      replyTo: msg.id,
      ...(inThread ? { inThread: "1" as const } : {}),
    }),
  };
}

function mentionsBot(msg: GatewayMessageCreateDispatchData, bot: string): boolean {
  return (
    msg.mentions.some((u) => u.id === bot) ||
    msg.content.includes(`<@${bot}>`) ||
    msg.content.includes(`<@!${bot}>`)
  );
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Lookups remembered per isolate: the Gateway object lives for days and sees many servers. */
const REMEMBERED_LOOKUPS = 1_000;

/** Remembers each key's lookup (the last 1,000); a failed one is forgotten, so the next call tries again. */
function rememberLookups<T>(look: (key: string) => Promise<T>): (key: string) => Promise<T> {
  const known = new BoundedCache<string, Promise<T>>(REMEMBERED_LOOKUPS);
  return (key) => {
    let found = known.get(key);
    if (!found) {
      found = look(key).catch((err: unknown) => {
        known.delete(key);
        throw err;
      });
      known.set(key, found);
    }
    return found;
  };
}

/**
 * `botRoleIn` backed by `GET /guilds/{id}/roles`: the role Discord made for the bot when it
 * joined (its `tags.bot_id` is the bot), remembered per isolate.
 */
export function botRoleLookup(
  api: Pick<DiscordApi, "getGuildRoles">,
  botUserId: string,
): (guildId: string) => Promise<string | undefined> {
  return rememberLookups(async (guildId) => {
    const roles = await api.getGuildRoles(guildId);
    return roles.find((r) => r.managed && r.tags?.bot_id === botUserId)?.id;
  });
}

/**
 * `threadParentOf` backed by `GET /channels/{id}`, remembered per isolate: channels do not
 * change parent. Undefined for a channel that is not a thread.
 */
export function threadParentLookup(
  api: Pick<DiscordApi, "getChannel">,
): (id: string) => Promise<string | undefined> {
  return rememberLookups(async (id) => {
    const c = await api.getChannel(id);
    return THREAD_CHANNEL_TYPES.has(c.type) && "parent_id" in c
      ? (c.parent_id ?? undefined)
      : undefined;
  });
}
