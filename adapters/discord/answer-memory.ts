/**
 * What Quarry remembers in KV about its Discord answers: which conversation an answer
 * message (or a thread) belongs to, so replies reach the same conversation object, and
 * which `/ask` question an interaction answer was for (Discord does not show the
 * question's text in the answer, and history needs it).
 */
import type { ChatUser, ThreadRef } from "../../src/chat/types.ts";

/** Replies to an answer older than this start a new conversation. */
const TTL_SECONDS = 30 * 24 * 3600;

const conversationKey = (id: string) => `discord:conversation:${id}`;
const askedKey = (messageId: string) => `discord:asked:${messageId}`;

/** The `/ask` question an answer message answers. */
export interface AskedQuestion {
  id: string;
  user: ChatUser;
  text: string;
}

/** The conversation that the message (an answer) or thread with this id belongs to. */
export async function findConversationInKv(
  kv: KVNamespace,
  id: string,
): Promise<ThreadRef | undefined> {
  const value = await kv.get<Partial<ThreadRef>>(conversationKey(id), "json").catch(() => null);
  if (value?.platform !== "discord") return undefined;
  const { workspaceId, channelId, threadId } = value;
  if (
    typeof workspaceId !== "string" ||
    typeof channelId !== "string" ||
    typeof threadId !== "string"
  )
    return undefined;
  return { platform: "discord", workspaceId, channelId, threadId };
}

export async function rememberConversation(
  kv: KVNamespace,
  id: string,
  thread: ThreadRef,
): Promise<void> {
  await kv.put(conversationKey(id), JSON.stringify(thread), { expirationTtl: TTL_SECONDS });
}

export async function rememberAsked(
  kv: KVNamespace,
  messageId: string,
  asked: AskedQuestion,
): Promise<void> {
  await kv.put(askedKey(messageId), JSON.stringify(asked), { expirationTtl: TTL_SECONDS });
}

export async function findAsked(
  kv: KVNamespace,
  messageId: string,
): Promise<AskedQuestion | undefined> {
  const value = await kv.get<AskedQuestion>(askedKey(messageId), "json").catch(() => null);
  return value && typeof value.text === "string" && value.user ? value : undefined;
}
