import { DurableObject } from "cloudflare:workers";
import type { Platform } from "../chat/types.ts";
import type { Env } from "../config.ts";
import {
  type Booking,
  fromMicros,
  LEDGER_SCHEMA,
  type LedgerDay,
  type Refused,
  type Reserved,
  STALE_RESERVATION_MS,
  toMicros,
} from "./ledger-types.ts";

export type { LedgerDay, Refused, Reserved, ReserveResult } from "./ledger-types.ts";
export { STALE_RESERVATION_MS } from "./ledger-types.ts";

/** The UTC day an amount is booked on, `YYYY-MM-DD`. */
export function utcDay(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 10);
}

/** Days of history kept; older rows are pruned as new ones are written. */
const KEEP_DAYS = 31;

interface AnswerRow {
  day: string;
  state: "reserved" | "settled" | "released";
  reserved_micros: number;
  expires_at: number;
}

/**
 * What a channel spent and holds per UTC day. One object per channel: answers in
 * different threads book here concurrently, which KV (no atomic increment, 1 write/s per
 * key) could not count correctly. Every method runs to completion without awaiting
 * (SQLite calls are synchronous in a Durable Object), so two reservations never see the
 * same room: concurrent threads cannot overspend together.
 *
 * Amounts are kept as integer micro-USD so sums compare exactly with the budget.
 */
export class ChannelLedgerObject extends DurableObject<Env> {
  private ready = false;

  private sql(): SqlStorage {
    const sql = this.ctx.storage.sql;
    if (!this.ready) {
      this.ctx.storage.transactionSync(() => {
        for (const statement of LEDGER_SCHEMA) sql.exec(statement);
        migrateSpendTable(sql);
      });
      this.ready = true;
    }
    return sql;
  }

  /**
   * Books `estimateUsd` for answer `id` before it starts. Grants at most what is left of
   * `budgetUsd` today (undefined = no cap) and refuses only when nothing is left. A second
   * call with the same id returns the booking already made.
   */
  reserve(b: Booking & { estimateUsd: number; budgetUsd?: number }): Reserved | Refused {
    const sql = this.sql();
    const now = Date.now();
    const row = this.row(b.id);
    if (row?.state === "reserved") {
      sql.exec("UPDATE answers SET expires_at = ? WHERE id = ?", now + STALE_RESERVATION_MS, b.id);
      return { ok: true, reservedUsd: fromMicros(row.reserved_micros) };
    }
    // Ids are single-use: a settled answer is not booked again (see `settle`).
    if (row?.state === "settled") return { ok: true, reservedUsd: 0 };
    const want = toMicros(b.estimateUsd);
    const room = this.room(b.day, b.id, b.budgetUsd, now);
    if (room !== undefined && room <= 0) return this.refusal(b.day, b.budgetUsd ?? 0);
    const grant = room === undefined ? want : Math.min(want, room);
    sql.exec(
      `INSERT INTO answers (id, day, state, reserved_micros, cost_micros, expires_at) VALUES (?, ?, 'reserved', ?, NULL, ?)
       ON CONFLICT(id) DO UPDATE SET day = excluded.day, state = 'reserved', reserved_micros = excluded.reserved_micros, cost_micros = NULL, expires_at = excluded.expires_at`,
      b.id,
      b.day,
      grant,
      now + STALE_RESERVATION_MS,
    );
    this.prune(b.day);
    return { ok: true, reservedUsd: fromMicros(grant) };
  }

  /**
   * Grows the reservation of a running answer toward `toUsd`, as far as the budget allows.
   * Refused when nothing more is left: the answer has reached the budget and must stop.
   * Also keeps the reservation from going stale while the answer runs.
   */
  extend(b: Booking & { toUsd: number; budgetUsd?: number }): Reserved | Refused {
    const row = this.row(b.id);
    if (row?.state === "settled") return { ok: true, reservedUsd: 0 };
    if (row?.state !== "reserved") {
      // A released or lost reservation: book afresh, refused only if nothing is left.
      return this.reserve({ day: b.day, id: b.id, estimateUsd: b.toUsd, budgetUsd: b.budgetUsd });
    }
    const sql = this.sql();
    const now = Date.now();
    const want = toMicros(b.toUsd);
    let grant = row.reserved_micros;
    if (want > grant) {
      const room = this.room(row.day, b.id, b.budgetUsd, now);
      if (room !== undefined && room <= grant) return this.refusal(row.day, b.budgetUsd ?? 0);
      grant = room === undefined ? want : Math.min(want, room);
    }
    sql.exec(
      "UPDATE answers SET reserved_micros = ?, expires_at = ? WHERE id = ?",
      grant,
      now + STALE_RESERVATION_MS,
      b.id,
    );
    return { ok: true, reservedUsd: fromMicros(grant) };
  }

  /**
   * Replaces answer `id`'s reservation with its reported cost, on the day it was reserved
   * (else `day`). Books once per id: a retried call changes nothing.
   */
  settle(b: Booking & { costUsd: number }): LedgerDay {
    const sql = this.sql();
    const row = this.row(b.id);
    const day = row?.day ?? b.day;
    if (row?.state === "settled") return this.today(day);
    const cost = toMicros(b.costUsd);
    this.ctx.storage.transactionSync(() => {
      sql.exec(
        `INSERT INTO answers (id, day, state, reserved_micros, cost_micros, expires_at) VALUES (?, ?, 'settled', 0, ?, 0)
         ON CONFLICT(id) DO UPDATE SET state = 'settled', reserved_micros = 0, cost_micros = excluded.cost_micros`,
        b.id,
        day,
        cost,
      );
      this.book(day, cost);
    });
    this.prune(day);
    return this.today(day);
  }

  /** Drops the reservation of an answer that never ran. */
  release(b: Booking): LedgerDay {
    const row = this.row(b.id);
    if (row?.state === "reserved") {
      this.sql().exec(
        "UPDATE answers SET state = 'released', reserved_micros = 0 WHERE id = ?",
        b.id,
      );
    }
    return this.today(row?.day ?? b.day);
  }

  /** What `day` spent (settled), holds (live reservations) and how many answers it settled. */
  today(day: string): LedgerDay {
    const sql = this.sql();
    const spent = sql
      .exec<{ micros: number; answers: number }>(
        "SELECT spent_micros AS micros, answers FROM days WHERE day = ?",
        day,
      )
      .toArray()[0];
    return {
      spentUsd: fromMicros(spent?.micros ?? 0),
      reservedUsd: fromMicros(this.held(day, undefined, Date.now())),
      answers: spent?.answers ?? 0,
    };
  }

  /** Adds one answer's cost to `day` without an id (before reservations); returns the day's spend. */
  add(day: string, usd: number): number {
    this.book(day, toMicros(usd));
    this.prune(day);
    return this.spent(day);
  }

  /** USD spent (settled) on `day`. */
  spent(day: string): number {
    return this.today(day).spentUsd;
  }

  private row(id: string): AnswerRow | undefined {
    return this.sql()
      .exec<AnswerRow & Record<string, SqlStorageValue>>(
        "SELECT day, state, reserved_micros, expires_at FROM answers WHERE id = ?",
        id,
      )
      .toArray()[0];
  }

  private book(day: string, micros: number): void {
    this.sql().exec(
      "INSERT INTO days (day, spent_micros, answers) VALUES (?, ?, 1) ON CONFLICT(day) DO UPDATE SET spent_micros = spent_micros + excluded.spent_micros, answers = answers + 1",
      day,
      micros,
    );
  }

  /** Micro-USD of live reservations on `day`, leaving out answer `except`. */
  private held(day: string, except: string | undefined, now: number): number {
    const row = this.sql()
      .exec<{ micros: number | null }>(
        "SELECT SUM(reserved_micros) AS micros FROM answers WHERE day = ? AND state = 'reserved' AND expires_at > ? AND id IS NOT ?",
        day,
        now,
        except ?? null,
      )
      .toArray()[0];
    return row?.micros ?? 0;
  }

  /** Micro-USD answer `id` may hold on `day` under `budgetUsd`; undefined without a cap. */
  private room(
    day: string,
    id: string,
    budgetUsd: number | undefined,
    now: number,
  ): number | undefined {
    // `null` too: a budget that crossed RPC as JSON-ish may arrive as null.
    if (budgetUsd == null) return undefined;
    const spent = toMicros(this.today(day).spentUsd);
    return toMicros(budgetUsd) - spent - this.held(day, id, now);
  }

  private refusal(day: string, budgetUsd: number): Refused {
    const { spentUsd, reservedUsd } = this.today(day);
    return { ok: false, spentUsd, reservedUsd, budgetUsd };
  }

  private prune(day: string): void {
    const oldest = utcDay(Date.parse(`${day}T00:00:00Z`) - KEEP_DAYS * 86_400_000);
    const sql = this.sql();
    sql.exec("DELETE FROM days WHERE day < ?", oldest);
    sql.exec("DELETE FROM answers WHERE day < ?", oldest);
  }
}

/** Spend booked before reservations lived in `spend (day, usd REAL, answers)`. */
function migrateSpendTable(sql: SqlStorage): void {
  const old = sql
    .exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'spend'")
    .toArray();
  if (!old.length) return;
  sql.exec(
    "INSERT INTO days (day, spent_micros, answers) SELECT day, CAST(ROUND(usd * 1000000) AS INTEGER), answers FROM spend WHERE true ON CONFLICT(day) DO NOTHING",
  );
  sql.exec("DROP TABLE spend");
}

/** The ledger of one channel, as the core calls it (every method is an RPC). */
export type ChannelLedger = DurableObjectStub<ChannelLedgerObject>;

/** The ledger of one channel (a DM is a channel too). */
export function ledgerFor(env: Env, platform: Platform, channelId: string): ChannelLedger {
  const ns = env.CHANNEL_LEDGERS;
  return ns.get(ns.idFromName(`${platform}:${channelId}`));
}
