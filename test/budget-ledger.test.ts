import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
  type ChannelLedger,
  ledgerFor,
  STALE_RESERVATION_MS,
  utcDay,
} from "../src/budget/channel-ledger.ts";

const DAY = "2026-12-14";
let channels = 0;

/** A ledger nobody has booked on, and a way into its object's storage. */
function freshLedger(): { ledger: ChannelLedger; stub: DurableObjectStub; name: string } {
  const name = `C${Date.now().toString(36)}L${++channels}`.toUpperCase();
  const ns = env.CHANNEL_LEDGERS;
  return {
    ledger: ledgerFor(env, "slack", name),
    stub: ns.get(ns.idFromName(`slack:${name}`)),
    name,
  };
}

describe("ChannelLedgerObject reservations", () => {
  it("reserves the estimate while the budget has room, and shows it as held, not spent", async () => {
    const { ledger } = freshLedger();
    expect(await ledger.reserve({ day: DAY, id: "a", estimateUsd: 0.4, budgetUsd: 1 })).toEqual({
      ok: true,
      reservedUsd: 0.4,
    });
    expect(await ledger.today(DAY)).toEqual({ spentUsd: 0, reservedUsd: 0.4, answers: 0 });
    // Another channel, and another day of this one, are untouched.
    expect(await freshLedger().ledger.today(DAY)).toEqual({
      spentUsd: 0,
      reservedUsd: 0,
      answers: 0,
    });
    expect(await ledger.today("2026-12-15")).toMatchObject({ reservedUsd: 0 });
  });

  it("grants only what is left, and refuses once nothing is, with the day's totals", async () => {
    const { ledger } = freshLedger();
    await ledger.settle({ day: DAY, id: "earlier", costUsd: 0.7 });
    expect(await ledger.reserve({ day: DAY, id: "b", estimateUsd: 0.5, budgetUsd: 1 })).toEqual({
      ok: true,
      reservedUsd: 0.3,
    });
    expect(await ledger.reserve({ day: DAY, id: "c", estimateUsd: 0.01, budgetUsd: 1 })).toEqual({
      ok: false,
      spentUsd: 0.7,
      reservedUsd: 0.3,
      budgetUsd: 1,
    });
  });

  it("refuses every answer under a budget of 0, and reserves in full without a cap", async () => {
    const { ledger } = freshLedger();
    expect(await ledger.reserve({ day: DAY, id: "z", estimateUsd: 0.2, budgetUsd: 0 })).toEqual({
      ok: false,
      spentUsd: 0,
      reservedUsd: 0,
      budgetUsd: 0,
    });
    expect(await ledger.reserve({ day: DAY, id: "u", estimateUsd: 25 })).toEqual({
      ok: true,
      reservedUsd: 25,
    });
  });

  it("lets concurrent reservations in one channel together hold no more than the budget", async () => {
    const { ledger, name } = freshLedger();
    // Ten threads start at once, each through its own stub, as separate conversation objects do.
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        ledgerFor(env, "slack", name).reserve({
          day: DAY,
          id: `t${i}`,
          estimateUsd: 0.3,
          budgetUsd: 1,
        }),
      ),
    );
    const granted = results.flatMap((r) => (r.ok ? [r.reservedUsd] : []));
    expect(granted.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
    expect(granted.sort()).toEqual([0.1, 0.3, 0.3, 0.3]);
    expect(results.filter((r) => !r.ok)).toHaveLength(6);
    expect(await ledger.today(DAY)).toEqual({ spentUsd: 0, reservedUsd: 1, answers: 0 });
  });

  it("books a retried reserve once", async () => {
    const { ledger } = freshLedger();
    const first = await ledger.reserve({ day: DAY, id: "r", estimateUsd: 0.6, budgetUsd: 1 });
    const again = await ledger.reserve({ day: DAY, id: "r", estimateUsd: 0.6, budgetUsd: 1 });
    expect(again).toEqual(first);
    expect((await ledger.today(DAY)).reservedUsd).toBe(0.6);
  });

  it("grows a reservation as far as the budget goes, and refuses once nothing more is left", async () => {
    const { ledger } = freshLedger();
    await ledger.reserve({ day: DAY, id: "other", estimateUsd: 0.5, budgetUsd: 1 });
    await ledger.reserve({ day: DAY, id: "e", estimateUsd: 0.2, budgetUsd: 1 });
    // Asking for less than held changes nothing.
    expect(await ledger.extend({ day: DAY, id: "e", toUsd: 0.1, budgetUsd: 1 })).toEqual({
      ok: true,
      reservedUsd: 0.2,
    });
    expect(await ledger.extend({ day: DAY, id: "e", toUsd: 0.4, budgetUsd: 1 })).toEqual({
      ok: true,
      reservedUsd: 0.4,
    });
    expect(await ledger.extend({ day: DAY, id: "e", toUsd: 0.9, budgetUsd: 1 })).toEqual({
      ok: true,
      reservedUsd: 0.5,
    });
    expect(await ledger.extend({ day: DAY, id: "e", toUsd: 0.6, budgetUsd: 1 })).toEqual({
      ok: false,
      spentUsd: 0,
      reservedUsd: 1,
      budgetUsd: 1,
    });
  });

  it("refuses to extend when the budget was lowered below what is held", async () => {
    const { ledger } = freshLedger();
    await ledger.reserve({ day: DAY, id: "e", estimateUsd: 2, budgetUsd: 5 });
    const lowered = await ledger.extend({ day: DAY, id: "e", toUsd: 2.5, budgetUsd: 1 });
    expect(lowered).toMatchObject({ ok: false, budgetUsd: 1 });
  });

  it("settles to the reported cost, replacing the reservation, once per id", async () => {
    const { ledger } = freshLedger();
    await ledger.reserve({ day: DAY, id: "s", estimateUsd: 0.8, budgetUsd: 1 });
    expect(await ledger.settle({ day: DAY, id: "s", costUsd: 0.25 })).toEqual({
      spentUsd: 0.25,
      reservedUsd: 0,
      answers: 1,
    });
    expect(await ledger.settle({ day: DAY, id: "s", costUsd: 0.25 })).toEqual({
      spentUsd: 0.25,
      reservedUsd: 0,
      answers: 1,
    });
    // What the estimate held beyond the cost is free again.
    expect(await ledger.reserve({ day: DAY, id: "next", estimateUsd: 1, budgetUsd: 1 })).toEqual({
      ok: true,
      reservedUsd: 0.75,
    });
    // A settled id is not booked again.
    expect(await ledger.reserve({ day: DAY, id: "s", estimateUsd: 1, budgetUsd: 1 })).toEqual({
      ok: true,
      reservedUsd: 0,
    });
  });

  it("books an answer on the day it started, even when it settles after midnight", async () => {
    const { ledger } = freshLedger();
    await ledger.reserve({ day: DAY, id: "late", estimateUsd: 0.1, budgetUsd: 1 });
    await ledger.settle({ day: "2026-12-15", id: "late", costUsd: 0.3 });
    expect(await ledger.today(DAY)).toEqual({ spentUsd: 0.3, reservedUsd: 0, answers: 1 });
    expect(await ledger.today("2026-12-15")).toEqual({ spentUsd: 0, reservedUsd: 0, answers: 0 });
  });

  it("settles a cost over the reservation in full, so the day can show more than its budget", async () => {
    const { ledger } = freshLedger();
    await ledger.reserve({ day: DAY, id: "big", estimateUsd: 0.5, budgetUsd: 1 });
    expect(await ledger.settle({ day: DAY, id: "big", costUsd: 1.4 })).toMatchObject({
      spentUsd: 1.4,
    });
    expect(
      await ledger.reserve({ day: DAY, id: "n", estimateUsd: 0.1, budgetUsd: 1 }),
    ).toMatchObject({ ok: false, spentUsd: 1.4 });
  });

  it("settles an answer that never reserved (a cost found after a stop)", async () => {
    const { ledger } = freshLedger();
    expect(await ledger.settle({ day: DAY, id: "x", costUsd: 0.05 })).toEqual({
      spentUsd: 0.05,
      reservedUsd: 0,
      answers: 1,
    });
  });

  it("releases the reservation of an answer that never ran", async () => {
    const { ledger } = freshLedger();
    await ledger.reserve({ day: DAY, id: "gone", estimateUsd: 1, budgetUsd: 1 });
    expect(await ledger.release({ day: DAY, id: "gone" })).toEqual({
      spentUsd: 0,
      reservedUsd: 0,
      answers: 0,
    });
    expect(await ledger.reserve({ day: DAY, id: "n", estimateUsd: 1, budgetUsd: 1 })).toEqual({
      ok: true,
      reservedUsd: 1,
    });
  });

  it("stops counting a reservation nobody settled once it is stale, so the channel is not blocked", async () => {
    const { ledger, stub } = freshLedger();
    const before = Date.now();
    await ledger.reserve({ day: DAY, id: "killed", estimateUsd: 1, budgetUsd: 1 });
    const expiresAt = await runInDurableObject(stub, (_o, state) => {
      const row = state.storage.sql
        .exec<{ expires_at: number }>("SELECT expires_at FROM answers WHERE id = 'killed'")
        .one();
      return row.expires_at;
    });
    expect(expiresAt).toBeGreaterThanOrEqual(before + STALE_RESERVATION_MS);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + STALE_RESERVATION_MS);
    expect(
      await ledger.reserve({ day: DAY, id: "n", estimateUsd: 0.5, budgetUsd: 1 }),
    ).toMatchObject({ ok: false });

    // The answer was killed two hours ago: move its bound into the past.
    await runInDurableObject(stub, (_o, state) => {
      state.storage.sql.exec(
        "UPDATE answers SET expires_at = ? WHERE id = 'killed'",
        Date.now() - 1,
      );
    });
    expect(await ledger.today(DAY)).toMatchObject({ reservedUsd: 0 });
    expect(await ledger.reserve({ day: DAY, id: "n", estimateUsd: 0.5, budgetUsd: 1 })).toEqual({
      ok: true,
      reservedUsd: 0.5,
    });
    // Its cost, if it ever turns up, is still booked.
    expect(await ledger.settle({ day: DAY, id: "killed", costUsd: 0.2 })).toMatchObject({
      spentUsd: 0.2,
      reservedUsd: 0.5,
    });
  });

  it("keeps a running answer's reservation alive each time it is extended", async () => {
    const { ledger, stub } = freshLedger();
    await ledger.reserve({ day: DAY, id: "long", estimateUsd: 0.1, budgetUsd: 1 });
    await runInDurableObject(stub, (_o, state) => {
      state.storage.sql.exec(
        "UPDATE answers SET expires_at = ? WHERE id = 'long'",
        Date.now() + 1000,
      );
    });
    await ledger.extend({ day: DAY, id: "long", toUsd: 0.2, budgetUsd: 1 });
    const expiresAt = await runInDurableObject(
      stub,
      (_o, state) =>
        state.storage.sql
          .exec<{ expires_at: number }>("SELECT expires_at FROM answers WHERE id = 'long'")
          .one().expires_at,
    );
    expect(expiresAt).toBeGreaterThan(Date.now() + STALE_RESERVATION_MS - 60_000);
  });

  it("adds a settled spend to the amounts exactly, in cents and fractions of a cent", async () => {
    const { ledger } = freshLedger();
    for (let i = 0; i < 10; i++) await ledger.settle({ day: DAY, id: `c${i}`, costUsd: 0.1 });
    expect(await ledger.today(DAY)).toEqual({ spentUsd: 1, reservedUsd: 0, answers: 10 });
    expect(
      await ledger.reserve({ day: DAY, id: "n", estimateUsd: 0.01, budgetUsd: 1 }),
    ).toMatchObject({ ok: false });
  });
});

describe("ChannelLedgerObject add and spent (before reservations)", () => {
  it("adds costs per day and counts them with settled answers", async () => {
    const { ledger } = freshLedger();
    expect(await ledger.add(DAY, 0.0123)).toBe(0.0123);
    expect(await ledger.add(DAY, 0.5)).toBe(0.5123);
    await ledger.settle({ day: DAY, id: "s", costUsd: 0.1 });
    expect(await ledger.spent(DAY)).toBeCloseTo(0.6123, 9);
    expect(await ledger.today(DAY)).toMatchObject({ answers: 3 });
    expect(await ledger.spent("2026-12-13")).toBe(0);
  });

  it("keeps what an older ledger booked in its spend table", async () => {
    const { ledger, stub } = freshLedger();
    // The schema before reservations, as deployed objects have it.
    await runInDurableObject(stub, (_o, state) => {
      state.storage.sql.exec(
        "CREATE TABLE spend (day TEXT PRIMARY KEY, usd REAL NOT NULL, answers INTEGER NOT NULL)",
      );
      state.storage.sql.exec("INSERT INTO spend VALUES (?, 1.25, 4)", DAY);
    });
    expect(await ledger.today(DAY)).toEqual({ spentUsd: 1.25, reservedUsd: 0, answers: 4 });
    expect(await ledger.reserve({ day: DAY, id: "n", estimateUsd: 1, budgetUsd: 2 })).toEqual({
      ok: true,
      reservedUsd: 0.75,
    });
  });

  it("names days in UTC", () => {
    expect(utcDay(Date.parse("2026-12-14T23:59:59-05:00"))).toBe("2026-12-15");
  });
});
