import { ConfigError } from "./errors.ts";

/** Bindings, secrets and vars of the Worker (names from the design contract). */
export interface Env {
  SETTINGS: KVNamespace;
  CONVERSATIONS: DurableObjectNamespace;
  DISCORD_GATEWAY: DurableObjectNamespace;
  CHANNEL_LEDGERS: DurableObjectNamespace;
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
  const missing = (["SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"] as const).filter((k) => !present(env[k]));
  if (missing.length) return { off: `Slack is off: ${missing.join(" and ")} ${missing.length > 1 ? "are" : "is"} not set` };
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
  if (missing.length) return { off: `Discord is off: ${missing.join(", ")} ${missing.length > 1 ? "are" : "is"} not set` };
  if (!/^[0-9a-f]{64}$/i.test((env.DISCORD_PUBLIC_KEY as string).trim())) {
    return { off: "Discord is off: DISCORD_PUBLIC_KEY must be the 64 hex characters shown in the Developer Portal" };
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
    defaultModel: env.DEFAULT_MODEL || DEFAULTS.DEFAULT_MODEL,
  };
}

export function isOff<T extends object>(config: T | { off: string }): config is { off: string } {
  return "off" in config;
}
