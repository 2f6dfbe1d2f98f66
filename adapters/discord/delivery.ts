/**
 * What Discord keeps with a question and with each message it posts, in the core's opaque
 * `delivery` / `meta` (src/chat/types.ts). Stored as JSON in the conversation's checkpoints:
 * these keys and their string values (`"1"` for a flag, epoch ms as a decimal string) are
 * the stored form, so rows written before keep reading.
 */
import type { AdapterDetails, Question, SentMessage } from "../../src/chat/types.ts";

/** An `/ask`: its interaction token posts and edits the answer for 15 minutes. */
export interface DiscordInteractionDelivery {
  interactionToken: string;
  applicationId: string;
  /** When the token stops working: epoch ms, as a decimal string. */
  interactionExpiresAt: string;
  /** The channel the command was used in (inside a thread, the thread). */
  channelId: string;
  /** `"1"` when used inside a thread: later messages there follow up on it. */
  inThread?: "1";
}

/** A message that mentions the bot or replies to its answer (from the Gateway). */
export interface DiscordMessageDelivery {
  /** The channel the message is in (inside a thread, the thread). */
  channelId: string;
  /** The asking message: the answer's first part replies to it. */
  replyTo: string;
  /** `"1"` when the message is inside a thread. */
  inThread?: "1";
}

export type DiscordDelivery = DiscordInteractionDelivery | DiscordMessageDelivery;

/** How a posted message was sent, which decides how it can be edited. */
export interface DiscordMessageMeta {
  /** Through the interaction's webhook (its token edits it) or as a channel message. */
  via: "webhook" | "channel";
  channelId: string;
  /** `"1"` for the interaction's deferred `@original`. */
  original?: "1";
}

export function discordDelivery(delivery: DiscordDelivery): AdapterDetails<"delivery"> {
  return delivery as unknown as AdapterDetails<"delivery">;
}

/** A Discord question's delivery; empty for any other platform's (each key may be missing). */
export function discordDeliveryOf(
  question: Question,
): Partial<DiscordInteractionDelivery & DiscordMessageDelivery> {
  if (question.thread.platform !== "discord" || !question.delivery) return {};
  return question.delivery as unknown as Partial<
    DiscordInteractionDelivery & DiscordMessageDelivery
  >;
}

export function discordSent(id: string, meta: DiscordMessageMeta): SentMessage {
  return { id, meta: meta as unknown as AdapterDetails<"meta"> };
}

export function discordMetaOf(message: SentMessage | undefined): Partial<DiscordMessageMeta> {
  return (message?.meta ?? {}) as unknown as Partial<DiscordMessageMeta>;
}
