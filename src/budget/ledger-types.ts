/** Names one answer's booking: the UTC day it started (`YYYY-MM-DD`) and a stable id. */
export interface Booking {
  day: string;
  /** One per answer attempt (e.g. the question id): retried RPCs with it book once. */
  id: string;
}

/** The reservation was made (or already existed): this answer may spend `reservedUsd`. */
export interface Reserved {
  ok: true;
  /** What this answer holds now: at most what was asked, at most what was left. */
  reservedUsd: number;
}

/** Nothing is left of today's budget; the totals say why. */
export interface Refused {
  ok: false;
  /** Settled spend of the day. */
  spentUsd: number;
  /** Held by answers still running that day (this one included, for `extend`). */
  reservedUsd: number;
  budgetUsd: number;
}

export type ReserveResult = Reserved | Refused;

/** One channel's UTC day. */
export interface LedgerDay {
  /** Reported cost of the answers settled on the day. */
  spentUsd: number;
  /** Live reservations of answers still running. */
  reservedUsd: number;
  /** Answers settled on the day. */
  answers: number;
}

/**
 * A reservation not extended or settled for this long no longer counts: its answer was
 * killed without settling (a deploy, an eviction). Deep research runs 5–30 minutes and
 * the conversation watchdog ends a silent answer within minutes, so two hours is far past
 * any live answer, and a lost reservation blocks its channel for at most that long.
 */
export const STALE_RESERVATION_MS = 2 * 60 * 60_000;

export const LEDGER_SCHEMA = [
  "CREATE TABLE IF NOT EXISTS days (day TEXT PRIMARY KEY, spent_micros INTEGER NOT NULL, answers INTEGER NOT NULL)",
  `CREATE TABLE IF NOT EXISTS answers (
    id TEXT PRIMARY KEY,
    day TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('reserved', 'settled', 'released')),
    reserved_micros INTEGER NOT NULL,
    cost_micros INTEGER,
    expires_at INTEGER NOT NULL
  )`,
  "CREATE INDEX IF NOT EXISTS answers_by_day ON answers (day, state)",
] as const;

/** USD → integer micro-USD, never negative (a cost is never a credit). */
export function toMicros(usd: number): number {
  return Number.isFinite(usd) && usd > 0 ? Math.round(usd * 1_000_000) : 0;
}

export function fromMicros(micros: number): number {
  return micros / 1_000_000;
}
