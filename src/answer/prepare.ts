import { ledgerFor, utcDay } from "../budget/channel-ledger.ts";
import type { ChatAdapter } from "../chat/adapter.ts";
import type { Question } from "../chat/types.ts";
import { type Env, openRouterConfig } from "../config.ts";
import { hashUser } from "../openrouter/hash-user.ts";
import { createModelCatalog } from "../openrouter/model-catalog.ts";
import { chooseModel, DEFAULT_FALLBACK_MODELS } from "../openrouter/model-choice.ts";
import { isDeepResearchModel } from "../openrouter/model-rules.ts";
import type { ChatRequest, ModelCatalog, ModelInfo } from "../openrouter/types.ts";
import type { ChannelSettings, StreamingMode } from "../settings/settings.ts";
import { SettingsStore } from "../settings/settings-store.ts";
import { timedKv } from "../storage/timed-kv.ts";
import type { AnswerJob, AnswerOutcome } from "./answer-job.ts";
import { describeFailure } from "./failure-text.ts";
import { formatUsd } from "./progress.ts";

/** What an answer needs before it asks the model. */
export interface Setup {
  settings: ChannelSettings;
  /** The model asked: the channel's, or the first fallback the catalog has. */
  model: ModelInfo;
  /** The channel's model, when a fallback answers in its place. */
  requested?: string;
  /** Further models OpenRouter may fall back to (its `models` array), in order. */
  fallbacks: ModelInfo[];
}

/**
 * Reads the channel's settings and the model, checks the budget, and opens the writer in
 * the channel's streaming mode. A problem ends the question here with a plain message.
 */
export async function prepare(job: AnswerJob): Promise<Setup | { ended: Promise<AnswerOutcome> }> {
  const { env } = job.deps;
  const q = job.q;
  let settings: ChannelSettings | undefined;
  try {
    const or = openRouterConfig(env);
    const kv = timedKv(env.SETTINGS);
    settings = await new SettingsStore(kv, or.defaultModel).get(
      q.thread.platform,
      q.thread.channelId,
    );
    job.writer(streamsNatively(job.adapter, q, settings.streaming));
    const catalog = createModelCatalog({ baseUrl: or.baseUrl, apiKey: or.apiKey, kv });
    const fallbacks = fallbackModels(env);
    const choice = await chooseModel({ requested: settings.model, fallbacks, catalog });
    if ("missing" in choice) {
      return end(
        job,
        `⚠️ The model \`${settings.model}\` is not in OpenRouter's catalog (renamed or withdrawn), and neither is any fallback (${choice.tried.map((m) => `\`${m}\``).join(", ")}). Choose another with the settings command (\`model=…\`).`,
      );
    }
    const over = await overBudget(job, settings);
    if (over) return end(job, over);
    const model = choice.model;
    // Research models fall back to research models only; the rest keep to what was chosen.
    const others = isDeepResearchModel(model.id)
      ? await listed(
          catalog,
          fallbacks.filter((id) => id !== model.id),
        )
      : [];
    return {
      settings,
      model,
      ...(choice.fallbackFrom ? { requested: choice.fallbackFrom } : {}),
      fallbacks: others,
    };
  } catch (err) {
    // e.g. the model catalog refused the API key, a var is malformed, KV timed out.
    return end(job, `⚠️ ${describeFailure(err)}`);
  }
}

/** The chat-completion request for this question and its history. */
export async function chatRequest(
  job: AnswerJob,
  setup: Setup,
  messages: ChatRequest["messages"],
): Promise<ChatRequest> {
  const { settings } = setup;
  return {
    model: setup.model.id,
    ...(setup.fallbacks.length ? { fallbacks: setup.fallbacks.map((m) => m.id) } : {}),
    messages,
    maxTokens: settings.max_tokens,
    temperature: settings.temperature,
    effort: settings.effort,
    user: await hashUser(job.q.thread.platform, job.q.user.id),
  };
}

/** `streaming=auto` streams natively where the adapter prefers it (Slack: DMs). */
function streamsNatively(adapter: ChatAdapter, q: Question, mode: StreamingMode): boolean {
  if (!adapter.stream || mode === "edit") return false;
  if (mode === "native") return true;
  return adapter.stream.preferredFor?.(q) ?? true;
}

/** The fallbacks the catalog lists, in order. */
async function listed(catalog: ModelCatalog, ids: string[]): Promise<ModelInfo[]> {
  const found = await Promise.all(ids.map((id) => catalog.get(id).catch(() => undefined)));
  return found.filter((m): m is ModelInfo => !!m);
}

/** `FALLBACK_MODELS` (comma-separated), else current deep-research models. */
function fallbackModels(env: Env): string[] {
  const raw = (env as { FALLBACK_MODELS?: string }).FALLBACK_MODELS;
  const ids = raw
    ?.split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  return ids?.length ? ids : [...DEFAULT_FALLBACK_MODELS];
}

function end(job: AnswerJob, text: string): { ended: Promise<AnswerOutcome> } {
  return { ended: job.deliver(text, "failed", job.ended("failed")) };
}

/** A refusal text when the channel's daily budget is used up, else undefined. */
async function overBudget(job: AnswerJob, settings: ChannelSettings): Promise<string | undefined> {
  const budget = settings.daily_budget_usd;
  if (budget === undefined || budget <= 0) return undefined;
  const { platform, channelId } = job.q.thread;
  const spent = await ledgerFor(job.deps.env, platform, channelId).spent(utcDay(job.now()));
  if (spent < budget) return undefined;
  return `⚠️ This channel's daily budget of ${formatUsd(budget)} is used up (${formatUsd(spent)} spent today, UTC). It resets at 00:00 UTC; someone allowed to change settings can raise it with \`daily_budget_usd=…\`.`;
}
