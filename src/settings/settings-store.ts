import * as v from "valibot";
import type { Platform } from "../chat/types.ts";
import { defaultModel, type Env, operatorConfig } from "../config.ts";
import { timedKv } from "../storage/timed-kv.ts";
import {
  BUDGET_OFF,
  type ChannelSettings,
  defaultSettings,
  EFFORTS,
  SETTING_KEYS,
  type SettingsPatch,
  STREAMING_MODES,
  type StoredSettings,
  SYSTEM_MAX_CHARS,
} from "./settings.ts";

/** What a channel without its own value gets. */
export interface SettingsDefaults {
  model: string;
  /** The operator's `DEFAULT_DAILY_BUDGET_USD`; undefined = no cap. */
  dailyBudgetUsd?: number;
}

// Each key is checked on its own, so one bad value (an older format, a hand edit) loses
// only that key; unknown keys are dropped.
/** A key that reads as unset (`undefined`) when its stored value does not fit `schema`. */
const orUnset = <T extends v.GenericSchema>(schema: T) => v.fallback(v.optional(schema), undefined);
// JSON numbers: never NaN, but `1e999` parses to Infinity, which no setting may be.
const num = v.pipe(v.number(), v.finite());

const storedSchema = v.object({
  model: orUnset(v.pipe(v.string(), v.minLength(1))),
  system: orUnset(v.pipe(v.string(), v.maxLength(SYSTEM_MAX_CHARS))),
  effort: orUnset(v.picklist(EFFORTS)),
  max_tokens: orUnset(v.pipe(v.number(), v.safeInteger(), v.minValue(1))),
  temperature: orUnset(v.pipe(num, v.minValue(0), v.maxValue(2))),
  followups: orUnset(v.boolean()),
  daily_budget_usd: orUnset(v.union([v.pipe(num, v.minValue(0)), v.literal(BUDGET_OFF)])),
  streaming: orUnset(v.picklist(STREAMING_MODES)),
  web_search: orUnset(v.boolean()),
});

/**
 * Channel settings in Workers KV, one JSON value per channel under
 * `settings:{platform}:{channelId}` holding only what differs from the defaults.
 * KV is eventually consistent (about 60 s across locations) and takes one write per
 * second per key, which suits settings that people change by hand.
 */
export class SettingsStore {
  readonly #kv: KVNamespace;
  readonly #defaults: SettingsDefaults;

  /** `defaults` as a string is the default model alone (no operator budget): prefer `settingsStoreFor`. */
  constructor(kv: KVNamespace, defaults: string | SettingsDefaults) {
    this.#kv = kv;
    this.#defaults = typeof defaults === "string" ? { model: defaults } : defaults;
  }

  /** The channel's settings, defaults (the operator's budget among them) filled in. */
  async get(platform: Platform, channelId: string): Promise<ChannelSettings> {
    return resolveSettings(await this.getStored(platform, channelId), this.#defaults);
  }

  /** Only what the channel set; a corrupt value reads as nothing set. */
  async getStored(platform: Platform, channelId: string): Promise<StoredSettings> {
    const raw = await this.#kv.get(settingsKey(platform, channelId));
    if (raw === null) return {};
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      return {};
    }
    const parsed = v.safeParse(storedSchema, json);
    return parsed.success ? compact(parsed.output) : {};
  }

  /** Applies `patch`; a key present with the value `undefined` goes back to its default. */
  async update(platform: Platform, channelId: string, patch: SettingsPatch): Promise<void> {
    const stored: Record<string, unknown> = { ...(await this.getStored(platform, channelId)) };
    for (const key of SETTING_KEYS) {
      if (!(key in patch)) continue;
      const value = patch[key];
      if (value === undefined) delete stored[key];
      else stored[key] = value;
    }
    const key = settingsKey(platform, channelId);
    if (Object.keys(stored).length === 0) await this.#kv.delete(key);
    else await this.#kv.put(key, JSON.stringify(stored));
  }

  /** Back to the defaults. */
  async reset(platform: Platform, channelId: string): Promise<void> {
    await this.#kv.delete(settingsKey(platform, channelId));
  }
}

/**
 * The store over `env.SETTINGS` with the operator's defaults (`DEFAULT_MODEL`,
 * `DEFAULT_DAILY_BUDGET_USD`); throws `ConfigError` when an operator var is malformed.
 */
export function settingsStoreFor(env: Env, kv: KVNamespace = timedKv(env.SETTINGS)): SettingsStore {
  return new SettingsStore(kv, {
    model: defaultModel(env),
    dailyBudgetUsd: operatorConfig(env).defaultDailyBudgetUsd,
  });
}

/** A channel's stored settings over the defaults; `daily_budget_usd: "off"` reads as no cap. */
export function resolveSettings(
  stored: StoredSettings,
  defaults: SettingsDefaults,
): ChannelSettings {
  const { daily_budget_usd: budget, ...rest } = stored;
  const settings: ChannelSettings = {
    ...defaultSettings(defaults.model, defaults.dailyBudgetUsd),
    ...rest,
  };
  if (budget === BUDGET_OFF) delete settings.daily_budget_usd;
  else if (budget !== undefined) settings.daily_budget_usd = budget;
  return settings;
}

export function settingsKey(platform: Platform, channelId: string): string {
  return `settings:${platform}:${channelId}`;
}

function compact(values: StoredSettings): StoredSettings {
  return Object.fromEntries(
    Object.entries(values).filter(([, v]) => v !== undefined),
  ) as StoredSettings;
}
