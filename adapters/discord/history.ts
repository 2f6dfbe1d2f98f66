/**
 * A Discord conversation as history for the model: the reply chain above the question,
 * or, in a thread, the thread's messages (and the chain above its starter message).
 */
import type { APIMessage } from "discord-api-types/v10";
import type { HistoryEntry, Question } from "../../src/chat/types.ts";
import { ChatApiError } from "../../src/errors.ts";
import { findAsked } from "./answer-memory.ts";
import type { DiscordApi } from "./api.ts";
import { discordAttachments } from "./attachments.ts";
import { MESSAGE_TYPE, REFERENCE_TYPE } from "./constants.ts";
import { discordDeliveryOf } from "./delivery.ts";
import { discordTextToPlain, displayName } from "./format.ts";

/** Longest reply chain followed, one `GET` per hop at worst. */
const MAX_HOPS = 50;
/** One page of a thread: the newest 100 messages before the question. */
const THREAD_PAGE = 100;
const DISCORD_EPOCH = 1420070400000n;
const CONVERSATIONAL: ReadonlySet<number> = new Set([
  MESSAGE_TYPE.Default,
  MESSAGE_TYPE.Reply,
  MESSAGE_TYPE.ChatInputCommand,
]);

export interface HistoryDeps {
  api: DiscordApi;
  botUserId: string;
  kv?: KVNamespace;
}

/** Earlier turns of the question's conversation, oldest first, ending with the question. */
export async function fetchDiscordHistory(
  deps: HistoryDeps,
  question: Question,
): Promise<HistoryEntry[]> {
  const delivery = discordDeliveryOf(question);
  const channelId = delivery.channelId ?? question.thread.channelId;
  let messages: APIMessage[] = [];
  if (delivery.inThread === "1") messages = await threadMessages(deps.api, channelId, question);
  else if (question.messageId) messages = await replyChain(deps.api, channelId, question.messageId);

  const entries: HistoryEntry[] = [];
  const asked = new Set<string>();
  for (const m of messages) {
    if (!CONVERSATIONAL.has(m.type)) continue;
    const fromBot = m.author.id === deps.botUserId;
    // An `/ask` answer does not show its question: put it back in front of the answer.
    const q = fromBot && deps.kv ? await findAsked(deps.kv, m.id) : undefined;
    if (q && !asked.has(q.id)) {
      asked.add(q.id);
      // The asked id is the interaction's (a snowflake at its end); the answer came just after.
      const at = timeOfId(q.id.split(":").at(-1) ?? "") ?? timeOfId(m.id);
      entries.push({ id: q.id, author: q.user, fromBot: false, text: q.text, at });
    }
    const entry = toEntry(m, fromBot);
    if (entry.text || entry.attachments) entries.push(entry);
  }
  const questionId = question.messageId ?? question.id;
  if (entries.at(-1)?.id !== questionId) {
    entries.push({
      id: questionId,
      author: question.user,
      fromBot: false,
      text: question.text,
      ...(question.attachments?.length ? { attachments: question.attachments } : {}),
      at: timeOfId(question.messageId ?? "") ?? question.receivedAt,
    });
  }
  return entries;
}

function toEntry(m: APIMessage, fromBot: boolean): HistoryEntry {
  // Only the attachment objects count: a URL in the content is text, never fetched.
  const attachments = fromBot ? [] : discordAttachments(m.attachments);
  return {
    id: m.id,
    author: { id: m.author.id, name: displayName(m.author) },
    fromBot,
    text: discordTextToPlain(m.content, m.mentions).trim(),
    ...(attachments.length ? { attachments } : {}),
    at: timeOfId(m.id),
  };
}

/** The message and the replies above it, oldest first. */
async function replyChain(
  api: DiscordApi,
  channelId: string,
  messageId: string,
): Promise<APIMessage[]> {
  const chain = [await api.getMessage(channelId, messageId)];
  for (let hop = 0; hop < MAX_HOPS; hop++) {
    const current = chain[chain.length - 1] as APIMessage;
    const ref = current.message_reference;
    if (!ref?.message_id || (ref.type ?? REFERENCE_TYPE.Default) !== REFERENCE_TYPE.Default) break;
    // REST answers carry the replied-to message one level deep: only fetch when it is missing.
    const parent =
      current.referenced_message ??
      (await getOrUndefined(api, ref.channel_id || channelId, ref.message_id));
    if (!parent || chain.some((m) => m.id === parent.id)) break;
    chain.push(parent);
  }
  return chain.reverse();
}

/** The thread's messages up to the question, oldest first; the starter message becomes its chain. */
async function threadMessages(
  api: DiscordApi,
  threadId: string,
  question: Question,
): Promise<APIMessage[]> {
  const before = question.messageId
    ? successor(question.messageId)
    : snowflakeAt(question.receivedAt + 1);
  const page = (await api.getMessages(threadId, { before, limit: THREAD_PAGE })).reverse();
  const first = page[0];
  const ref = first?.message_reference;
  if (first?.type !== MESSAGE_TYPE.ThreadStarterMessage || !ref?.message_id) return page;
  const starter = await replyChain(api, ref.channel_id, ref.message_id).catch(() => []);
  return [...starter, ...page.slice(1)];
}

async function getOrUndefined(
  api: DiscordApi,
  channelId: string,
  id: string,
): Promise<APIMessage | undefined> {
  try {
    return await api.getMessage(channelId, id);
  } catch (err) {
    // A deleted or unreadable message ends the chain; anything else is a real failure.
    if (
      err instanceof ChatApiError &&
      ["unknown_message", "missing_access", "unknown_channel"].includes(err.code)
    ) {
      return undefined;
    }
    throw err;
  }
}

/** The id right after `id`: `before` it includes `id` itself. */
function successor(id: string): string {
  return (BigInt(id) + 1n).toString();
}

/** Epoch ms a snowflake was made (its top 42 bits), or undefined for anything else. */
export function timeOfId(id: string): number | undefined {
  if (!/^\d{15,20}$/.test(id)) return undefined;
  return Number((BigInt(id) >> 22n) + DISCORD_EPOCH);
}

/** The smallest snowflake of this epoch millisecond. */
export function snowflakeAt(ms: number): string {
  return ((BigInt(Math.floor(ms)) - DISCORD_EPOCH) << 22n).toString();
}
