import { describe, expect, it } from "vitest";
import {
  type BudgetTextInput,
  budgetRefusalText,
  budgetStatusText,
  budgetStoppedText,
  resetText,
  usd,
} from "../src/budget/budget-text.ts";

const NOW = Date.parse("2026-12-14T20:47:30Z");

const base: BudgetTextInput = {
  spentUsd: 4.87,
  reservedUsd: 0,
  budgetUsd: 5,
  now: NOW,
  platform: "slack",
  dm: false,
  dmPolicy: "user",
};

describe("budgetRefusalText", () => {
  it("says the spend, the budget, when it resets and who can raise it (Slack)", () => {
    expect(budgetRefusalText(base)).toBe(
      "⚠️ This channel's daily budget of $5.00 is used up: $4.87 spent today (UTC). It resets at 00:00 UTC, in 3 h 12 min. Workspace admins and owners can raise it with `/ask-settings daily_budget_usd=…`.",
    );
  });

  it("counts what running answers hold, and names Discord's permission and command", () => {
    const text = budgetRefusalText({ ...base, platform: "discord", spentUsd: 3, reservedUsd: 2 });
    expect(text).toContain("$3.00 spent today (UTC) and $2.00 held by answers still running");
    expect(text).toContain(
      "Members with the Manage Channels permission can raise it with `/settings set daily_budget_usd:…`.",
    );
  });

  it("for a budget of 0, says nothing may be spent, without a reset that would not help", () => {
    const text = budgetRefusalText({ ...base, budgetUsd: 0, spentUsd: 0 });
    expect(text).toBe(
      "⚠️ This channel's daily budget is $0, so nothing may be spent on answers here. Workspace admins and owners can set one with `/ask-settings daily_budget_usd=…`.",
    );
  });

  it("in a DM, follows DM_SETTINGS for who can raise it", () => {
    const dm = { ...base, dm: true };
    expect(budgetRefusalText(dm)).toMatch(
      /^⚠️ This direct message's daily budget.*You can raise it with `\/ask-settings daily_budget_usd=…`\.$/,
    );
    expect(budgetRefusalText({ ...dm, dmPolicy: "admins" })).toMatch(
      /Workspace admins and owners can raise it/,
    );
    for (const operatorOnly of [
      { ...dm, dmPolicy: "nobody" as const },
      { ...dm, dmPolicy: "admins" as const, platform: "discord" as const },
    ]) {
      expect(budgetRefusalText(operatorOnly)).toMatch(
        /Quarry's operator can raise it \(`DEFAULT_DAILY_BUDGET_USD`\)\.$/,
      );
    }
  });
});

describe("budgetStoppedText", () => {
  it("says the answer was stopped at the budget, with the spend and the reset", () => {
    expect(budgetStoppedText({ ...base, spentUsd: 4.1, reservedUsd: 0.9 })).toBe(
      "⏹️ Stopped here: this answer reached the channel's daily budget of $5.00 ($4.10 spent today (UTC) and $0.90 held by answers still running). The budget resets at 00:00 UTC, in 3 h 12 min. Workspace admins and owners can raise it with `/ask-settings daily_budget_usd=…`.",
    );
  });
});

describe("budgetStatusText", () => {
  it("shows what is left, never below zero", () => {
    const day = { spentUsd: 5.4, reservedUsd: 0, answers: 3 };
    expect(budgetStatusText(day, 5, NOW)).toBe(
      "**Today** (UTC): $5.40 spent on 3 answers; $0 left of $5.00. Resets at 00:00 UTC, in 3 h 12 min.",
    );
  });
});

describe("resetText and usd", () => {
  it("counts down to the next UTC midnight", () => {
    expect(resetText(Date.parse("2026-12-14T00:00:00Z"))).toBe("00:00 UTC, in 24 h");
    expect(resetText(Date.parse("2026-12-14T23:15:00Z"))).toBe("00:00 UTC, in 45 min");
    expect(resetText(Date.parse("2026-12-14T23:59:30Z"))).toBe("00:00 UTC, in under a minute");
    expect(resetText(Date.parse("2026-12-31T22:00:00Z"))).toBe("00:00 UTC, in 2 h");
  });

  it("shows cents, and amounts under a cent with four decimals", () => {
    expect([usd(0), usd(0.0042), usd(0.01), usd(12.345)]).toEqual([
      "$0",
      "$0.0042",
      "$0.01",
      "$12.35",
    ]);
  });
});
