import type { ChannelLedgerObject } from "./budget/channel-ledger.ts";
import type { ConversationObject } from "./conversation/conversation-object.ts";
import type { RateLimiterObject } from "./delivery/rate-limiter-object.ts";
import { ConfigError } from "./errors.ts";
import { DEFAULT_FALLBACK_MODELS } from "./openrouter/model-choice.ts";

/** Bindings, secrets and vars of the Worker (names from the design contract). */
export interface Env {
  SETTINGS: KVNamespace;
  /** One `ConversationObject` per thread. */
  CONVERSATIONS: DurableObjectNamespace<ConversationObject>;
  /** The one `DiscordGatewayObject` (typed where it is used: src/ knows no adapter). */
  DISCORD_GATEWAY: DurableObjectNamespace;
  /** One `ChannelLedgerObject` per platform and channel: its spend and reservations. */
  CHANNEL_LEDGERS: DurableObjectNamespace<ChannelLedgerObject>;
  /** One `RateLimiterObject` per Slack workspace / Discord channel: the pacing its answers share. */
  RATE_LIMITERS: DurableObjectNamespace<RateLimiterObject>;
  OPENROUTER_API_KEY?: string;
  SLACK_BOT_TOKEN?: string;
  SLACK_SIGNING_SECRET?: string;
  DISCORD_APPLICATION_ID?: string;
  DISCORD_PUBLIC_KEY?: string;
  DISCORD_BOT_TOKEN?: string;
  OPENROUTER_BASE_URL?: string;
  SLACK_API_URL?: string;
  DISCORD_API_URL?: string;
  DEFAULT_MODEL?: string;
  /** Seconds a model may think before anything but keep-alives arrives (default 1200). */
  FIRST_OUTPUT_TIMEOUT_SECONDS?: string;
  /** Seconds a started answer may go silent (default 180). */
  IDLE_TIMEOUT_SECONDS?: string;
  /** Comma-separated model ids (or `vendor/*`) channels may choose; empty = any. */
  ALLOWED_MODELS?: string;
  /** Comma-separated models to answer with when the channel's is gone; empty = Quarry's list. */
  FALLBACK_MODELS?: string;
  /** USD per UTC day for channels and DMs without their own `daily_budget_usd`; empty = no cap. */
  DEFAULT_DAILY_BUDGET_USD?: string;
  /** Who may change a DM's settings: `user` (default), `admins` or `nobody`. */
  DM_SETTINGS?: string;
}

export interface SlackConfig {
  botToken: string;
  signingSecret: string;
  apiUrl: string;
}

export interface DiscordConfig {
  applicationId: string;
  publicKey: string;
  botToken: string;
  apiUrl: string;
}

export interface OpenRouterConfig {
  apiKey: string;
  baseUrl: string;
  defaultModel: string;
  firstOutputTimeoutMs: number;
  idleTimeoutMs: number;
  /** `ALLOWED_MODELS`, parsed; empty = any model. */
  allowedModels: string[];
  /** `FALLBACK_MODELS`, parsed, or the default list; only allowed models. */
  fallbackModels: string[];
}

/** Who may change the settings of a DM with the bot (`DM_SETTINGS`). */
export const DM_SETTINGS_POLICIES = ["user", "admins", "nobody"] as const;
export type DmSettingsPolicy = (typeof DM_SETTINGS_POLICIES)[number];

/** What the operator decides for every channel (vars, validated as they are read). */
export interface OperatorConfig {
  /** Ids and `vendor/*` patterns a channel may choose; empty = any. */
  allowedModels: string[];
  /** Tried in order when the channel's model is gone; never outside `allowedModels`. */
  fallbackModels: string[];
  /** The budget of a channel or DM without its own; undefined = no cap, 0 = nothing. */
  defaultDailyBudgetUsd?: number;
  dmSettings: DmSettingsPolicy;
}

/** Fallback models when `FALLBACK_MODELS` is not set: deep-research models OpenRouter lists. */
export { DEFAULT_FALLBACK_MODELS };

const DEFAULTS = {
  OPENROUTER_BASE_URL: "https://openrouter.ai/api/v1",
  SLACK_API_URL: "https://slack.com/api",
  DISCORD_API_URL: "https://discord.com/api/v10",
  DEFAULT_MODEL: "openai/o4-mini-deep-research",
} as const;

const trimSlash = (url: string) => url.replace(/\/+$/, "");

function present(value: string | undefined): value is string {
  return typeof value === "string" && value.trim() !== "";
}

/** Slack is on only when both of its secrets are set; otherwise says which one is missing. */
export function slackConfig(env: Env): SlackConfig | { off: string } {
  const missing = (["SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"] as const).filter(
    (k) => !present(env[k]),
  );
  if (missing.length)
    return {
      off: `Slack is off: ${missing.join(" and ")} ${missing.length > 1 ? "are" : "is"} not set`,
    };
  return {
    botToken: env.SLACK_BOT_TOKEN as string,
    signingSecret: env.SLACK_SIGNING_SECRET as string,
    apiUrl: trimSlash(env.SLACK_API_URL || DEFAULTS.SLACK_API_URL),
  };
}

/** Discord is on only when all three of its secrets are set; otherwise says which are missing. */
export function discordConfig(env: Env): DiscordConfig | { off: string } {
  const keys = ["DISCORD_APPLICATION_ID", "DISCORD_PUBLIC_KEY", "DISCORD_BOT_TOKEN"] as const;
  const missing = keys.filter((k) => !present(env[k]));
  if (missing.length)
    return {
      off: `Discord is off: ${missing.join(", ")} ${missing.length > 1 ? "are" : "is"} not set`,
    };
  if (!/^[0-9a-f]{64}$/i.test((env.DISCORD_PUBLIC_KEY as string).trim())) {
    return {
      off: "Discord is off: DISCORD_PUBLIC_KEY must be the 64 hex characters shown in the Developer Portal",
    };
  }
  return {
    applicationId: (env.DISCORD_APPLICATION_ID as string).trim(),
    publicKey: (env.DISCORD_PUBLIC_KEY as string).trim(),
    botToken: (env.DISCORD_BOT_TOKEN as string).trim(),
    apiUrl: trimSlash(env.DISCORD_API_URL || DEFAULTS.DISCORD_API_URL),
  };
}

/** OpenRouter settings; throws `ConfigError` naming OPENROUTER_API_KEY when it is missing. */
export function openRouterConfig(env: Env): OpenRouterConfig {
  if (!present(env.OPENROUTER_API_KEY)) throw new ConfigError("OPENROUTER_API_KEY");
  const operator = operatorConfig(env);
  return {
    apiKey: env.OPENROUTER_API_KEY.trim(),
    baseUrl: trimSlash(env.OPENROUTER_BASE_URL || DEFAULTS.OPENROUTER_BASE_URL),
    defaultModel: defaultModel(env),
    firstOutputTimeoutMs: seconds(env, "FIRST_OUTPUT_TIMEOUT_SECONDS", 1200) * 1000,
    idleTimeoutMs: seconds(env, "IDLE_TIMEOUT_SECONDS", 180) * 1000,
    // Read with the key so a bad var fails every answer and /health, naming the variable.
    allowedModels: operator.allowedModels,
    fallbackModels: operator.fallbackModels,
  };
}

/** The model of a channel without a `model` setting (needs no API key). */
export function defaultModel(env: Env): string {
  return env.DEFAULT_MODEL?.trim() || DEFAULTS.DEFAULT_MODEL;
}

function seconds(
  env: Env,
  name: "FIRST_OUTPUT_TIMEOUT_SECONDS" | "IDLE_TIMEOUT_SECONDS",
  fallback: number,
): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0)
    throw new ConfigError(name, `must be a positive number of seconds, not "${raw}"`);
  return value;
}

/**
 * The operator's vars `ALLOWED_MODELS`, `FALLBACK_MODELS`, `DEFAULT_DAILY_BUDGET_USD` and
 * `DM_SETTINGS`; throws `ConfigError` naming the variable whose value is malformed.
 * `defaultFallbacks` is the list used when `FALLBACK_MODELS` is empty.
 */
export function operatorConfig(
  env: Env,
  defaultFallbacks: readonly string[] = DEFAULT_FALLBACK_MODELS,
): OperatorConfig {
  const allowedModels = modelList(env, "ALLOWED_MODELS", true);
  const allowed = (id: string) => isModelAllowed(id, allowedModels);
  const model = defaultModel(env);
  if (!allowed(model)) {
    throw new ConfigError(
      "ALLOWED_MODELS",
      `does not allow DEFAULT_MODEL "${model}", so channels without a model could not be answered; add it or change DEFAULT_MODEL`,
    );
  }
  const named = env.FALLBACK_MODELS?.trim().toLowerCase();
  let fallbackModels: string[];
  if (named === "none") fallbackModels = [];
  else if (named) {
    fallbackModels = modelList(env, "FALLBACK_MODELS", false);
    const refused = fallbackModels.filter((id) => !allowed(id));
    if (refused.length) {
      throw new ConfigError(
        "FALLBACK_MODELS",
        `names ${refused.map((id) => `"${id}"`).join(", ")}, which ALLOWED_MODELS does not allow`,
      );
    }
  } else {
    // The built-in list is only a suggestion: an allow-list the operator wrote wins over it.
    fallbackModels = defaultFallbacks.filter(allowed);
  }
  return {
    allowedModels,
    fallbackModels,
    defaultDailyBudgetUsd: budget(env),
    dmSettings: dmPolicy(env),
  };
}

/**
 * Whether `id` is on the allow-list: an exact id, or `vendor/*` for all of a vendor's
 * models. An empty list allows every model.
 */
export function isModelAllowed(id: string, allowedModels: readonly string[]): boolean {
  if (!allowedModels.length) return true;
  const wanted = id.trim().toLowerCase();
  return allowedModels.some((entry) =>
    entry.endsWith("/*") ? wanted.startsWith(entry.slice(0, -1)) : wanted === entry,
  );
}

// OpenRouter ids are `vendor/model`, optionally with a `:variant` (`:free`, `:online`).
const MODEL_ID = /^[a-z0-9][\w.-]*\/[\w.:-]+$/;
const VENDOR_WILDCARD = /^[a-z0-9][\w.-]*\/\*$/;

function modelList(
  env: Env,
  name: "ALLOWED_MODELS" | "FALLBACK_MODELS",
  wildcards: boolean,
): string[] {
  const entries = (env[name] ?? "")
    .split(",")
    .map((e) => e.trim().toLowerCase())
    .filter(Boolean);
  for (const entry of entries) {
    if (MODEL_ID.test(entry) || (wildcards && VENDOR_WILDCARD.test(entry))) continue;
    throw new ConfigError(
      name,
      `has "${entry}", which is not an OpenRouter model id like "openai/o4-mini"${wildcards ? ' or a vendor pattern like "openai/*"' : ""}`,
    );
  }
  return [...new Set(entries)];
}

function budget(env: Env): number | undefined {
  const raw = env.DEFAULT_DAILY_BUDGET_USD?.trim().toLowerCase().replace(/^\$/, "") ?? "";
  if (raw === "" || raw === "off" || raw === "none") return undefined;
  // The same amounts a channel may set (cents), so the two read alike in /ask-settings.
  if (/^\d+(\.\d{1,2})?$/.test(raw)) return Number(raw);
  throw new ConfigError(
    "DEFAULT_DAILY_BUDGET_USD",
    `must be an amount in USD with at most two decimals (e.g. "5" or "2.50"; "0" lets nothing be spent), or empty for no cap, not "${env.DEFAULT_DAILY_BUDGET_USD}"`,
  );
}

function dmPolicy(env: Env): DmSettingsPolicy {
  const raw = env.DM_SETTINGS?.trim().toLowerCase() ?? "";
  if (raw === "") return "user";
  const policy = DM_SETTINGS_POLICIES.find((p) => p === raw);
  if (policy) return policy;
  throw new ConfigError(
    "DM_SETTINGS",
    `must be ${DM_SETTINGS_POLICIES.map((p) => `"${p}"`).join(", ")} or empty, not "${env.DM_SETTINGS}"`,
  );
}

export function isOff<T extends object>(config: T | { off: string }): config is { off: string } {
  return "off" in config;
}
