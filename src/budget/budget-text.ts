/**
 * What people read about a channel's budget: the refusal before an answer, the note when an
 * answer is stopped at the budget, and the line the settings listing shows. Pure markdown.
 */
import type { Platform } from "../chat/types.ts";
import type { DmSettingsPolicy } from "../config.ts";
import { changerOf } from "../settings/settings-access.ts";
import type { LedgerDay } from "./ledger-types.ts";

export interface BudgetTextInput {
  /** Settled spend today (the ledger's `spentUsd`). */
  spentUsd: number;
  /** Held by answers still running (the ledger's `reservedUsd`). */
  reservedUsd: number;
  budgetUsd: number;
  /** Epoch ms, for when the budget resets. */
  now: number;
  platform: Platform;
  /** A direct message with the bot: who may raise the budget follows `DM_SETTINGS`. */
  dm: boolean;
  dmPolicy: DmSettingsPolicy;
}

/** Before an answer: the budget is used up (or 0), with the spend, the reset and who can raise it. */
export function budgetRefusalText(t: BudgetTextInput): string {
  const whose = t.dm ? "This direct message's" : "This channel's";
  if (t.budgetUsd <= 0) {
    return `⚠️ ${whose} daily budget is $0, so nothing may be spent on answers here. ${raise(t, "set one")}`;
  }
  return `⚠️ ${whose} daily budget of ${usd(t.budgetUsd)} is used up: ${spending(t)}. It resets at ${resetText(t.now)}. ${raise(t, "raise it")}`;
}

/** After an answer was stopped mid-stream because its running cost reached the budget. */
export function budgetStoppedText(t: BudgetTextInput): string {
  const whose = t.dm ? "this direct message's" : "the channel's";
  return `⏹️ Stopped here: this answer reached ${whose} daily budget of ${usd(t.budgetUsd)} (${spending(t)}). The budget resets at ${resetText(t.now)}. ${raise(t, "raise it")}`;
}

/** The settings listing's line about today: spend, what running answers hold, what is left. */
export function budgetStatusText(
  day: LedgerDay,
  budgetUsd: number | undefined,
  now: number,
): string {
  const spent = `${usd(day.spentUsd)} spent on ${day.answers} answer${day.answers === 1 ? "" : "s"}`;
  const held = day.reservedUsd > 0 ? `, ${usd(day.reservedUsd)} held by answers running now` : "";
  if (budgetUsd === undefined) return `**Today** (UTC): ${spent}${held}; no daily budget.`;
  if (budgetUsd <= 0)
    return `**Today** (UTC): ${spent}${held}; the budget is $0, so nothing may be spent.`;
  const left = Math.max(0, budgetUsd - day.spentUsd - day.reservedUsd);
  return `**Today** (UTC): ${spent}${held}; ${usd(left)} left of ${usd(budgetUsd)}. Resets at ${resetText(now)}.`;
}

/** `00:00 UTC, in 3 h 12 min`: the next UTC midnight and how far off it is. */
export function resetText(now: number): string {
  const d = new Date(now);
  const midnight = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
  const minutes = Math.floor((midnight - now) / 60_000);
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  const span = minutes < 1 ? "under a minute" : h ? (m ? `${h} h ${m} min` : `${h} h`) : `${m} min`;
  return `00:00 UTC, in ${span}`;
}

/** USD for people: cents, or four decimals for amounts under a cent. */
export function usd(amount: number): string {
  if (amount === 0) return "$0";
  return amount < 0.01 ? `$${amount.toFixed(4)}` : `$${amount.toFixed(2)}`;
}

function spending(t: BudgetTextInput): string {
  const spent = `${usd(t.spentUsd)} spent today (UTC)`;
  return t.reservedUsd > 0
    ? `${spent} and ${usd(t.reservedUsd)} held by answers still running`
    : spent;
}

function raise(t: BudgetTextInput, verb: string): string {
  const command =
    t.platform === "slack"
      ? "`/ask-settings daily_budget_usd=…`"
      : "`/settings set daily_budget_usd:…`";
  const changer = changerOf(t.platform, t.dm, t.dmPolicy);
  if (changer.kind === "self") return `You can ${verb} with ${command}.`;
  if (changer.kind === "operator")
    return `Quarry's operator can ${verb} (\`DEFAULT_DAILY_BUDGET_USD\`).`;
  return `${changer.who.charAt(0).toUpperCase()}${changer.who.slice(1)} can ${verb} with ${command}.`;
}
