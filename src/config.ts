import type { RateLimiterObject } from "./delivery/rate-limiter-object.ts";
import { ConfigError } from "./errors.ts";

/** Bindings, secrets and vars of the Worker (names from the design contract). */
export interface Env {
  SETTINGS: KVNamespace;
  CONVERSATIONS: DurableObjectNamespace;
  DISCORD_GATEWAY: DurableObjectNamespace;
  CHANNEL_LEDGERS: DurableObjectNamespace;
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
}

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
  return {
    apiKey: env.OPENROUTER_API_KEY.trim(),
    baseUrl: trimSlash(env.OPENROUTER_BASE_URL || DEFAULTS.OPENROUTER_BASE_URL),
    defaultModel: defaultModel(env),
    firstOutputTimeoutMs: seconds(env, "FIRST_OUTPUT_TIMEOUT_SECONDS", 1200) * 1000,
    idleTimeoutMs: seconds(env, "IDLE_TIMEOUT_SECONDS", 180) * 1000,
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

export function isOff<T extends object>(config: T | { off: string }): config is { off: string } {
  return "off" in config;
}
