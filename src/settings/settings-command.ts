import { budgetStatusText } from "../budget/budget-text.ts";
import { type LedgerDay, ledgerFor, utcDay } from "../budget/channel-ledger.ts";
import type { Platform } from "../chat/types.ts";
import {
  defaultModel,
  type Env,
  type OperatorConfig,
  openRouterConfig,
  operatorConfig,
} from "../config.ts";
import { ConfigError } from "../errors.ts";
import { createModelCatalog } from "../openrouter/model-catalog.ts";
import type { ModelCatalog } from "../openrouter/types.ts";
import { timedKv } from "../storage/timed-kv.ts";
import {
  type ChannelSettings,
  SETTING_DESCRIPTIONS,
  SETTING_KEYS,
  type SettingKey,
  type StoredSettings,
} from "./settings.ts";
import {
  changeRefusal,
  inDm,
  mayChange,
  type SettingsAccess,
  whoMayChange,
} from "./settings-access.ts";
import { SettingsStore } from "./settings-store.ts";
import { validateSettings } from "./settings-validate.ts";

export type SettingsAction =
  | { kind: "show" }
  | { kind: "reset" }
  | { kind: "set"; values: Record<string, string> };

export interface SettingsCommandDeps {
  env: Env;
  platform: Platform;
  channelId: string;
  /**
   * Whether the person may change settings, as the adapter found out from the platform's
   * permissions; in a DM with the bot `{ dm: true, admin }`, decided by `DM_SETTINGS`.
   */
  canChange: SettingsAccess;
  /** Defaults to OpenRouter's catalog, cached in `env.SETTINGS`. */
  catalog?: ModelCatalog;
  /** Defaults to the store over `env.SETTINGS` with the operator's defaults. */
  store?: SettingsStore;
  /** Defaults to the channel's `ChannelLedgerObject`: today's spend for the listing. */
  ledger?: { today(day: string): Promise<LedgerDay> };
  now?: () => number;
}

const HOW_TO_CHANGE: Record<Platform, string> = {
  slack:
    'Change them with `/ask-settings key=value …` (quote values with spaces: `/ask-settings system="Answer in French" effort=high`); `key=default` restores one, `/ask-settings reset` restores all.',
  discord:
    "Change them with `/settings set`; the value `default` restores one, `/settings reset` restores all.",
};

// Slack turns typed quotes into curly ones on many keyboards.
const CLOSING_QUOTE: Record<string, string> = { '"': '"', "“": "”", "”": "”" };

/**
 * Reads the text of Slack's `/ask-settings`: empty, `show` or `help` shows, `reset`
 * resets, otherwise space-separated `key=value` pairs whose values may be double-quoted
 * (`system="Answer in French" effort=high`).
 */
export function parseSettingsText(text: string): SettingsAction | { error: string } {
  const input = text.trim();
  const word = input.toLowerCase();
  if (word === "" || word === "show" || word === "help") return { kind: "show" };
  if (word === "reset") return { kind: "reset" };
  const values: Record<string, string> = {};
  let i = 0;
  while (i < input.length) {
    while (/\s/.test(input.charAt(i))) i++;
    if (i >= input.length) break;
    const keyStart = i;
    while (i < input.length && input[i] !== "=" && !/\s/.test(input.charAt(i))) i++;
    const key = input.slice(keyStart, i);
    if (input[i] !== "=" || !key) {
      return {
        error: `Expected \`key=value\` but got \`${key || input.slice(keyStart).split(/\s/)[0]}\`. Use \`/ask-settings\` alone to see the keys.`,
      };
    }
    i++;
    let value = "";
    const closer = CLOSING_QUOTE[input.charAt(i)];
    if (closer) {
      i++;
      for (;;) {
        if (i >= input.length)
          return { error: `The value of \`${key}\` opens a quote that is never closed.` };
        const ch = input.charAt(i);
        if (ch === "\\" && closer === '"' && (input[i + 1] === '"' || input[i + 1] === "\\")) {
          value += input.charAt(i + 1);
          i += 2;
        } else if (ch === closer) {
          i++;
          break;
        } else {
          value += ch;
          i++;
        }
      }
      if (i < input.length && !/\s/.test(input.charAt(i))) {
        return { error: `Put a space after the closing quote of \`${key}\`.` };
      }
    } else {
      while (i < input.length && !/\s/.test(input.charAt(i))) value += input.charAt(i++);
    }
    if (Object.hasOwn(values, key)) return { error: `\`${key}\` is given twice.` };
    values[key] = value;
  }
  return { kind: "set", values };
}

/** Runs a settings command for one channel; `text` is markdown for the person who asked. */
export async function runSettingsCommand(
  deps: SettingsCommandDeps,
  action: SettingsAction,
): Promise<{ ok: boolean; text: string }> {
  const { env, platform, channelId } = deps;
  let operator: OperatorConfig;
  try {
    operator = operatorConfig(env);
  } catch (err) {
    // A malformed operator var: say which, rather than failing the command silently.
    if (!(err instanceof ConfigError)) throw err;
    return { ok: false, text: `Quarry is misconfigured: ${err.message}. Nothing was changed.` };
  }
  const defaultModelId = defaultModel(env);
  const store =
    deps.store ??
    new SettingsStore(timedKv(env.SETTINGS), {
      model: defaultModelId,
      dailyBudgetUsd: operator.defaultDailyBudgetUsd,
    });
  const dm = inDm(deps.canChange, platform, channelId);
  const who = whoMayChange(platform, dm, operator.dmSettings);
  if (action.kind === "show") {
    const now = deps.now?.() ?? Date.now();
    const [current, stored, today] = await Promise.all([
      store.get(platform, channelId),
      store.getStored(platform, channelId),
      readToday(deps, now),
    ]);
    const lines = listing(current, stored, platform, who, dm);
    lines.splice(-1, 0, budgetLine(today, current.daily_budget_usd, now));
    return { ok: true, text: lines.join("\n") };
  }
  if (!mayChange(deps.canChange, operator.dmSettings)) {
    return { ok: false, text: changeRefusal(platform, dm, operator.dmSettings) };
  }
  const whose = dm ? "This direct message's" : "This channel's";
  if (action.kind === "reset") {
    await store.reset(platform, channelId);
    return { ok: true, text: `${whose} settings are back to their defaults.` };
  }
  if (!Object.keys(action.values).length) {
    return { ok: false, text: `Nothing to change. ${HOW_TO_CHANGE[platform]}` };
  }
  const current = await store.get(platform, channelId);
  const catalog = deps.catalog ?? lazyCatalog(env);
  const result = await validateSettings(action.values, {
    catalog,
    current,
    defaultModel: defaultModelId,
    allowedModels: operator.allowedModels,
  });
  if (!result.ok) {
    return {
      ok: false,
      text: `Nothing was changed:\n${result.errors.map((e) => `- ${e}`).join("\n")}`,
    };
  }
  await store.update(platform, channelId, result.patch);
  const after = await store.get(platform, channelId);
  const changed = SETTING_KEYS.filter((key) => key in result.patch).map((key) => {
    const backToDefault = result.patch[key] === undefined && after[key] !== undefined;
    return `- \`${key}\`: ${show(key, after[key])}${backToDefault ? " (default)" : ""}`;
  });
  // KV is eventually consistent: another location may serve the old value for about a minute.
  return {
    ok: true,
    text: `Updated ${whose.toLowerCase()} settings:\n${changed.join("\n")}\nIt can take up to a minute to apply everywhere.`,
  };
}

function listing(
  current: ChannelSettings,
  stored: StoredSettings,
  platform: Platform,
  who: string,
  dm: boolean,
): string[] {
  const lines = SETTING_KEYS.map((key) => {
    const mark = key in stored ? "" : " (default)";
    return `- \`${key}\`: ${show(key, current[key])}${mark} — ${SETTING_DESCRIPTIONS[key]}`;
  });
  return [
    `**Settings for this ${dm ? "direct message" : "channel"}**`,
    ...lines,
    `${HOW_TO_CHANGE[platform]} Only ${who} can change them.`,
  ];
}

/** Today's spend from the channel's ledger, or why it could not be read. */
async function readToday(
  deps: SettingsCommandDeps,
  now: number,
): Promise<LedgerDay | { error: string }> {
  try {
    const ledger = deps.ledger ?? ledgerFor(deps.env, deps.platform, deps.channelId);
    return await ledger.today(utcDay(now));
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
}

function budgetLine(
  today: LedgerDay | { error: string },
  budgetUsd: number | undefined,
  now: number,
): string {
  if ("error" in today) return `**Today** (UTC): the spend could not be read (${today.error}).`;
  return budgetStatusText(today, budgetUsd, now);
}

function show(key: SettingKey, value: ChannelSettings[SettingKey]): string {
  if (value === undefined) return key === "daily_budget_usd" ? "no limit" : "the model's default";
  if (key === "followups" || key === "web_search") return value ? "on" : "off";
  if (key === "daily_budget_usd") {
    return value === 0 ? "$0.00 (nothing may be spent)" : `$${(value as number).toFixed(2)}`;
  }
  if (key === "system") {
    const flat = String(value).replace(/\s+/g, " ").trim();
    if (!flat) return "none";
    return flat.length > 200 ? `“${flat.slice(0, 200)}…” (${flat.length} characters)` : `“${flat}”`;
  }
  return `\`${value}\``;
}

/** The catalog is only built when a check needs it, so a missing API key does not block `followups=off`. */
function lazyCatalog(env: Env): ModelCatalog {
  let catalog: ModelCatalog | undefined;
  const get = () => {
    if (!catalog) {
      const { baseUrl, apiKey } = openRouterConfig(env);
      catalog = createModelCatalog({ baseUrl, apiKey, kv: timedKv(env.SETTINGS) });
    }
    return catalog;
  };
  return { get: (id) => get().get(id), search: (query, limit) => get().search(query, limit) };
}
