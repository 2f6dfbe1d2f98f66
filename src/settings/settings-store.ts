import { z } from "zod";
import type { Platform } from "../chat/types.ts";
import {
  type ChannelSettings,
  defaultSettings,
  EFFORTS,
  SETTING_KEYS,
  STREAMING_MODES,
  SYSTEM_MAX_CHARS,
} from "./settings.ts";

// Each key is checked on its own, so one bad value (an older format, a hand edit) loses
// only that key; unknown keys are dropped.
const storedSchema = z.object({
  model: z.string().min(1).optional().catch(undefined),
  system: z.string().max(SYSTEM_MAX_CHARS).optional().catch(undefined),
  effort: z.enum(EFFORTS).optional().catch(undefined),
  max_tokens: z.number().int().positive().optional().catch(undefined),
  temperature: z.number().min(0).max(2).optional().catch(undefined),
  followups: z.boolean().optional().catch(undefined),
  daily_budget_usd: z.number().nonnegative().optional().catch(undefined),
  streaming: z.enum(STREAMING_MODES).optional().catch(undefined),
});

/**
 * Channel settings in Workers KV, one JSON value per channel under
 * `settings:{platform}:{channelId}` holding only what differs from the defaults.
 * KV is eventually consistent (about 60 s across locations) and takes one write per
 * second per key, which suits settings that people change by hand.
 */
export class SettingsStore {
  readonly #kv: KVNamespace;
  readonly #defaultModel: string;

  constructor(kv: KVNamespace, defaultModel: string) {
    this.#kv = kv;
    this.#defaultModel = defaultModel;
  }

  /** The channel's settings, defaults filled in. */
  async get(platform: Platform, channelId: string): Promise<ChannelSettings> {
    return {
      ...defaultSettings(this.#defaultModel),
      ...(await this.getStored(platform, channelId)),
    };
  }

  /** Only what the channel set; a corrupt value reads as nothing set. */
  async getStored(platform: Platform, channelId: string): Promise<Partial<ChannelSettings>> {
    const raw = await this.#kv.get(settingsKey(platform, channelId));
    if (raw === null) return {};
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      return {};
    }
    const parsed = storedSchema.safeParse(json);
    return parsed.success ? compact(parsed.data) : {};
  }

  /** Applies `patch`; a key present with the value `undefined` goes back to its default. */
  async update(
    platform: Platform,
    channelId: string,
    patch: Partial<ChannelSettings>,
  ): Promise<void> {
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

export function settingsKey(platform: Platform, channelId: string): string {
  return `settings:${platform}:${channelId}`;
}

function compact(values: Partial<ChannelSettings>): Partial<ChannelSettings> {
  return Object.fromEntries(
    Object.entries(values).filter(([, v]) => v !== undefined),
  ) as Partial<ChannelSettings>;
}
