import type { Effort } from "../openrouter/types.ts";

/** A channel's settings; keys are the public contract (DESIGN.md). Never holds secrets. */
export interface ChannelSettings {
  /** OpenRouter model id. */
  model: string;
  /** System prompt. */
  system: string;
  /** Reasoning effort; unset = the model's default. */
  effort?: Effort;
  /** Output token cap; unset = the model's default. */
  max_tokens?: number;
  /** Sampling temperature; unset = the model's default. */
  temperature?: number;
  /** Answer follow-ups in an answered thread without a new mention. */
  followups: boolean;
  /**
   * Spend cap per channel per UTC day in USD: the channel's own, else the operator's
   * `DEFAULT_DAILY_BUDGET_USD`; unset = no cap, `0` = nothing may be spent.
   */
  daily_budget_usd?: number;
  /**
   * How answers stream where the platform can stream natively (Slack): `native` streams,
   * `edit` posts and edits, `auto` streams natively in DMs and posts and edits in channels
   * (a native stream in a channel thread shows live only to the asker).
   */
  streaming: StreamingMode;
  /**
   * Give a model that does not search on its own OpenRouter's web search (its server tool
   * or web plugin). Deep-research models always search.
   */
  web_search: boolean;
}

/** `daily_budget_usd=off`: no cap for this channel, whatever the operator's default. */
export const BUDGET_OFF = "off";

/**
 * What a channel stored: only what differs from the defaults. `daily_budget_usd` may be
 * `"off"`, which a resolved `ChannelSettings` reads as no cap.
 */
export type StoredSettings = Omit<Partial<ChannelSettings>, "daily_budget_usd"> & {
  daily_budget_usd?: number | typeof BUDGET_OFF;
};

/** A change: a key present with `undefined` goes back to its default. */
export type SettingsPatch = StoredSettings;

export const STREAMING_MODES = ["auto", "native", "edit"] as const;
export type StreamingMode = (typeof STREAMING_MODES)[number];

export type SettingKey = keyof ChannelSettings;

export const SETTING_KEYS = [
  "model",
  "system",
  "effort",
  "max_tokens",
  "temperature",
  "followups",
  "daily_budget_usd",
  "streaming",
  "web_search",
] as const satisfies readonly SettingKey[];

export const EFFORTS = ["minimal", "low", "medium", "high"] as const satisfies readonly Effort[];

/** Longest system prompt a channel may set. */
export const SYSTEM_MAX_CHARS = 4_000;

/** One line per key, for help texts and the settings listing. */
export const SETTING_DESCRIPTIONS: Record<SettingKey, string> = {
  model: "OpenRouter model id that answers (e.g. `openai/o4-mini-deep-research`)",
  // Grouped by hand: toLocaleString here would load Intl's number data while the Worker
  // starts, about 14 ms of its startup.
  system: `system prompt given to the model (up to ${String(SYSTEM_MAX_CHARS).replace(/\B(?=(\d{3})+$)/g, ",")} characters)`,
  effort: `reasoning effort: ${EFFORTS.join(", ")}, as far as the model supports it`,
  max_tokens: "most tokens one answer may use, thinking included",
  temperature: "sampling temperature from 0 to 2, for models that take one",
  followups: "`on` / `off`: answer follow-ups in an answered thread without a new mention",
  daily_budget_usd:
    "most USD this channel may spend per UTC day, as OpenRouter reports cost (`0`: nothing; `off`: no cap)",
  streaming:
    "`auto` / `native` / `edit` (Slack): stream natively, or post and edit; `auto` streams natively in DMs only",
  web_search:
    "`on` / `off`: let a model that does not search on its own use OpenRouter's web search",
};

export const DEFAULT_SYSTEM_PROMPT = [
  "You are a research assistant answering questions in a chat thread.",
  "Cite your sources with links next to the claims they support.",
  "Say so when you are unsure or the sources disagree, rather than guessing.",
  "Write markdown; the chat platform renders it.",
].join(" ");

/** The settings of a channel nobody has configured, under the operator's default budget. */
export function defaultSettings(defaultModel: string, dailyBudgetUsd?: number): ChannelSettings {
  return {
    model: defaultModel,
    system: DEFAULT_SYSTEM_PROMPT,
    followups: true,
    streaming: "auto",
    web_search: false,
    ...(dailyBudgetUsd === undefined ? {} : { daily_budget_usd: dailyBudgetUsd }),
  };
}

export function isSettingKey(key: string): key is SettingKey {
  return (SETTING_KEYS as readonly string[]).includes(key);
}
