import type { ChatAdapter } from "../chat/adapter.ts";
import type { Question } from "../chat/types.ts";
import { openRouterConfig } from "../config.ts";
import { knownSecrets } from "../log.ts";
import { hashUser } from "../openrouter/hash-user.ts";
import { createModelCatalog } from "../openrouter/model-catalog.ts";
import { chooseModel } from "../openrouter/model-choice.ts";
import { isDeepResearchModel } from "../openrouter/model-rules.ts";
import type { ChatRequest, ModelCatalog, ModelInfo } from "../openrouter/types.ts";
import type { ChannelSettings, StreamingMode } from "../settings/settings.ts";
import { settingsStoreFor } from "../settings/settings-store.ts";
import { timedKv } from "../storage/timed-kv.ts";
import { AnswerBudget } from "./answer-budget.ts";
import type { AnswerJob, AnswerOutcome } from "./answer-job.ts";
import { describeFailure } from "./failure-text.ts";

/** What an answer needs before it asks the model. */
export interface Setup {
  settings: ChannelSettings;
  /** The model asked: the channel's, or the first fallback the catalog has. */
  model: ModelInfo;
  /** The channel's model, when a fallback answers in its place, and why it could not. */
  requested?: string;
  requestedWhy?: "not_in_catalog" | "not_allowed";
  /** Further models OpenRouter may fall back to (its `models` array), in order. */
  fallbacks: ModelInfo[];
  /** This answer's share of the channel's daily budget. */
  budget: AnswerBudget;
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
    settings = await settingsStoreFor(env, kv).get(q.thread.platform, q.thread.channelId);
    job.writer(streamsNatively(job.adapter, q, settings.streaming));
    const catalog = createModelCatalog({ baseUrl: or.baseUrl, apiKey: or.apiKey, kv });
    const choice = await chooseModel({
      requested: settings.model,
      fallbacks: or.fallbackModels,
      catalog,
      allowed: or.allowedModels,
    });
    if ("missing" in choice) {
      return end(
        job,
        `⚠️ The model \`${settings.model}\` is not in OpenRouter's catalog (renamed or withdrawn) or not allowed here, and neither is any fallback (${choice.tried.map((m) => `\`${m}\``).join(", ")}). Choose another with the settings command (\`model=…\`).`,
      );
    }
    const model = choice.model;
    const budget = await AnswerBudget.open(job, settings, model);
    if ("refusal" in budget) return end(job, budget.refusal);
    // Research models fall back to research models only; the rest keep to what was chosen.
    const others = isDeepResearchModel(model.id)
      ? await listed(
          catalog,
          or.fallbackModels.filter((id) => id !== model.id),
        )
      : [];
    return {
      settings,
      model,
      ...(choice.fallbackFrom ? { requested: choice.fallbackFrom, requestedWhy: choice.why } : {}),
      fallbacks: others,
      budget,
    };
  } catch (err) {
    // e.g. the model catalog refused the API key, a var is malformed, KV timed out.
    return end(job, `⚠️ ${describeFailure(err, knownSecrets(job.deps.env))}`);
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
    webSearch: settings.web_search,
    user: await hashUser(
      openRouterConfig(job.deps.env).apiKey,
      job.q.thread.platform,
      job.q.user.id,
    ),
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

function end(job: AnswerJob, text: string): { ended: Promise<AnswerOutcome> } {
  return { ended: job.deliver(text, "failed", job.ended("failed")) };
}
