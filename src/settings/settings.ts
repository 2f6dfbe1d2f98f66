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
  /** Spend cap per channel per UTC day in USD; unset = no cap. */
  daily_budget_usd?: number;
  /**
   * How answers stream where the platform can stream natively (Slack): `native` streams,
   * `edit` posts and edits, `auto` streams natively in DMs and posts and edits in channels
   * (a native stream in a channel thread shows live only to the asker).
   */
  streaming: StreamingMode;
}

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
] as const satisfies readonly SettingKey[];

export const EFFORTS = ["minimal", "low", "medium", "high"] as const satisfies readonly Effort[];

/** Longest system prompt a channel may set. */
export const SYSTEM_MAX_CHARS = 4_000;

/** One line per key, for help texts and the settings listing. */
export const SETTING_DESCRIPTIONS: Record<SettingKey, string> = {
  model: "OpenRouter model id that answers (e.g. `openai/o4-mini-deep-research`)",
  system: `system prompt given to the model (up to ${SYSTEM_MAX_CHARS.toLocaleString("en-US")} characters)`,
  effort: `reasoning effort: ${EFFORTS.join(", ")}, as far as the model supports it`,
  max_tokens: "most tokens one answer may use, thinking included",
  temperature: "sampling temperature from 0 to 2, for models that take one",
  followups: "`on` / `off`: answer follow-ups in an answered thread without a new mention",
  daily_budget_usd: "most USD this channel may spend per UTC day, as OpenRouter reports cost",
  streaming:
    "`auto` / `native` / `edit` (Slack): stream natively, or post and edit; `auto` streams natively in DMs only",
};

export const DEFAULT_SYSTEM_PROMPT = [
  "You are a research assistant answering questions in a chat thread.",
  "Cite your sources with links next to the claims they support.",
  "Say so when you are unsure or the sources disagree, rather than guessing.",
  "Write markdown; the chat platform renders it.",
].join(" ");

/** The settings of a channel nobody has configured. */
export function defaultSettings(defaultModel: string): ChannelSettings {
  return { model: defaultModel, system: DEFAULT_SYSTEM_PROMPT, followups: true, streaming: "auto" };
}

export function isSettingKey(key: string): key is SettingKey {
  return (SETTING_KEYS as readonly string[]).includes(key);
}
