import type { APIGatewaySessionStartLimit } from "discord-api-types/v10";

/**
 * Discord allows about 1,000 IDENTIFYs per 24 h per bot; going over resets the bot's token
 * (https://discord.com/developers/docs/events/gateway#session-start-limit-object). A
 * reconnect loop could burn that in minutes, so every IDENTIFY is counted in storage and
 * the Gateway object stays disconnected once fewer than `MIN_IDENTIFIES_LEFT` remain.
 */
export const DAY_MS = 24 * 60 * 60 * 1000;
export const DEFAULT_IDENTIFIES_PER_DAY = 1000;
export const MIN_IDENTIFIES_LEFT = 10;
/** `max_concurrency` is 1 for bots outside large-bot sharding: one IDENTIFY per 5 s. */
export const IDENTIFY_SPACING_MS = 5000;

/** What Discord last said about session starts, with absolute times. */
export interface SessionStartLimit {
  total: number;
  remaining: number;
  /** Epoch ms when `remaining` goes back to `total`. */
  resetAt: number;
  /** Epoch ms of the `GET /gateway/bot` that reported it. */
  checkedAt: number;
}

/** Persisted: when this bot sent IDENTIFY in the last 24 h, and Discord's own count. */
export interface IdentifyLedger {
  sentAt: number[];
  limit?: SessionStartLimit;
}

export const emptyLedger = (): IdentifyLedger => ({ sentAt: [] });

/** Records Discord's `session_start_limit` from `GET /gateway/bot`. */
export function withSessionStartLimit(
  ledger: IdentifyLedger,
  limit: APIGatewaySessionStartLimit,
  now: number,
): IdentifyLedger {
  return {
    sentAt: ledger.sentAt,
    limit: {
      total: limit.total,
      remaining: limit.remaining,
      resetAt: now + limit.reset_after,
      checkedAt: now,
    },
  };
}

/** Counts one IDENTIFY sent at `now`, forgetting those older than a day. */
export function recordIdentify(ledger: IdentifyLedger, now: number): IdentifyLedger {
  return { ...ledger, sentAt: [...ledger.sentAt.filter((t) => t > now - DAY_MS), now] };
}

/** IDENTIFYs left: the lower of our own 24 h count and Discord's report minus what we sent since. */
export function identifiesLeft(ledger: IdentifyLedger, now: number): number {
  const { limit } = ledger;
  const recent = ledger.sentAt.filter((t) => t > now - DAY_MS);
  let left = (limit?.total ?? DEFAULT_IDENTIFIES_PER_DAY) - recent.length;
  if (limit && now < limit.resetAt) {
    const sinceCheck = ledger.sentAt.filter((t) => t >= limit.checkedAt).length;
    left = Math.min(left, limit.remaining - sinceCheck);
  }
  return left;
}

export interface IdentifyRefusal {
  left: number;
  /** Epoch ms when enough identifies are available again. */
  retryAt: number;
  reason: string;
}

/** Null when an IDENTIFY may be sent now; otherwise why not and until when. */
export function identifyRefusal(ledger: IdentifyLedger, now: number): IdentifyRefusal | null {
  const left = identifiesLeft(ledger, now);
  if (left >= MIN_IDENTIFIES_LEFT) return null;
  const { limit } = ledger;
  const recent = ledger.sentAt.filter((t) => t > now - DAY_MS).sort((a, b) => a - b);
  const ownLeft = (limit?.total ?? DEFAULT_IDENTIFIES_PER_DAY) - recent.length;
  let retryAt = now;
  if (ownLeft < MIN_IDENTIFIES_LEFT) {
    const mustExpire = MIN_IDENTIFIES_LEFT - ownLeft;
    retryAt = (recent[mustExpire - 1] ?? now) + DAY_MS;
  }
  if (limit && now < limit.resetAt) retryAt = Math.max(retryAt, limit.resetAt);
  const minutes = Math.ceil((retryAt - now) / 60_000);
  return {
    left,
    retryAt,
    reason: `Discord identify budget nearly spent (${left} left today); staying disconnected for ${minutes} min so the bot token is not reset`,
  };
}

/** Ms to wait before the next IDENTIFY so two never fall within `IDENTIFY_SPACING_MS`. */
export function identifySpacingDelay(ledger: IdentifyLedger, now: number): number {
  const last = ledger.sentAt.at(-1);
  return last === undefined ? 0 : Math.max(0, last + IDENTIFY_SPACING_MS - now);
}
