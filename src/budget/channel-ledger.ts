import { DurableObject } from "cloudflare:workers";
import type { Platform } from "../chat/types.ts";
import type { Env } from "../config.ts";

/** The UTC day an amount is booked on, `YYYY-MM-DD`. */
export function utcDay(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 10);
}

/**
 * What a channel spent per UTC day, from OpenRouter's reported cost. One object per
 * channel: answers in different threads add to it concurrently, which KV (no atomic
 * increment, 1 write/s per key) could not count correctly.
 */
export class ChannelLedgerObject extends DurableObject<Env> {
  private ready = false;

  private table(): SqlStorage {
    const sql = this.ctx.storage.sql;
    if (!this.ready) {
      sql.exec(
        "CREATE TABLE IF NOT EXISTS spend (day TEXT PRIMARY KEY, usd REAL NOT NULL, answers INTEGER NOT NULL)",
      );
      this.ready = true;
    }
    return sql;
  }

  /** Adds one answer's cost to `day`; returns the day's total. */
  add(day: string, usd: number): number {
    const sql = this.table();
    sql.exec(
      "INSERT INTO spend (day, usd, answers) VALUES (?, ?, 1) ON CONFLICT(day) DO UPDATE SET usd = usd + excluded.usd, answers = answers + 1",
      day,
      Math.max(0, usd),
    );
    // Older days are only history; keep a month of it.
    sql.exec(
      "DELETE FROM spend WHERE day < ?",
      utcDay(Date.parse(`${day}T00:00:00Z`) - 31 * 86_400_000),
    );
    return this.spent(day);
  }

  /** USD spent on `day`. */
  spent(day: string): number {
    const rows = this.table()
      .exec<{ usd: number }>("SELECT usd FROM spend WHERE day = ?", day)
      .toArray();
    return rows[0]?.usd ?? 0;
  }
}

interface LedgerRpc {
  add(day: string, usd: number): Promise<number>;
  spent(day: string): Promise<number>;
}

/** The ledger of one channel. */
export function ledgerFor(env: Env, platform: Platform, channelId: string): LedgerRpc {
  const ns = env.CHANNEL_LEDGERS;
  return ns.get(ns.idFromName(`${platform}:${channelId}`)) as unknown as LedgerRpc;
}
