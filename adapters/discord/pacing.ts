/**
 * How Quarry paces its Discord writes. Discord counts message creates and edits per channel
 * (about 5 per 5 s observed; it publishes no figure and says to read the `X-RateLimit-*`
 * headers), and every answer in a channel draws on that one allowance, so writes reserve a
 * slot in the channel's shared limiter first. Typing has its own bucket and is cosmetic: it
 * never takes a slot from the answer.
 * https://discord.com/developers/docs/topics/rate-limits
 * https://github.com/discord/discord-api-docs/issues/20 (5/5 s for message create and edit)
 */
import type { Question } from "../../src/chat/types.ts";
import type { RateRule } from "../../src/delivery/rate-limit.ts";
import { discordDeliveryOf } from "./delivery.ts";

export const DISCORD_RATE_RULES = {
  /** Creates and edits in one channel: 4.5 per 5 s (~10% under Discord's 5), one at a time. */
  messages: { limit: 9, windowMs: 10_000, burst: 1 },
  /** Typing in one channel: it lasts ~10 s and the core renews it every ~8 s; one per 5 s is plenty. */
  typing: { limit: 1, windowMs: 5_000, burst: 1 },
} as const satisfies Record<string, RateRule>;

/** The limiter keys within a channel's scope. */
export const PACE_KEYS = { messages: "messages", typing: "typing" } as const;

/** The channel a question's answer lands in: the thread, the channel of `/ask`, or the DM. */
export function answerChannelOf(q: Question): string {
  return discordDeliveryOf(q).channelId ?? q.thread.channelId;
}

/** What Discord counts a write against: the channel where the message lands. */
export function paceScopeOf(channelId: string): string {
  return `discord:channel:${channelId}`;
}
