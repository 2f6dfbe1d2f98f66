import { ledgerFor, utcDay } from "../budget/channel-ledger.ts";
import type { ChatAdapter } from "../chat/adapter.ts";
import type { HistoryEntry, Question } from "../chat/types.ts";
import { type Env, openRouterConfig } from "../config.ts";
import type { Checkpoint, QuestionRow } from "../conversation/question-store.ts";
import { streamChat } from "../openrouter/chat-stream.ts";
import { hashUser } from "../openrouter/hash-user.ts";
import { createModelCatalog } from "../openrouter/model-catalog.ts";
import { OpenRouterError, toUserMessage } from "../openrouter/openrouter-error.ts";
import type { Citation, ModelInfo, Usage } from "../openrouter/types.ts";
import type { ChannelSettings } from "../settings/settings.ts";
import { SettingsStore } from "../settings/settings-store.ts";
import { failureText } from "./failure-text.ts";
import { buildChatMessages, reserveFor } from "./history.ts";
import {
  answerFooter,
  formatElapsed,
  formatUsd,
  latestThought,
  progressLine,
  summaryLine,
} from "./progress.ts";
import { ReplyWriter } from "./reply-writer.ts";

export type AnswerOutcome = "answered" | "failed" | "interrupted" | "cancelled";

export interface AnswerDeps {
  env: Env;
  adapter: ChatAdapter;
  /** Aborted when someone stops the answer. */
  signal: AbortSignal;
  /** Saves what the thread shows and the text so far (the object's SQLite). */
  checkpoint(cp: Checkpoint): void;
  now?: () => number;
}

/** How often the progress line ticks while the model thinks. */
const TICK_MS = 5_000;
/** How often the platform's own "working" indicator is renewed while no text has come. */
const WORKING_MS = 8_000;

/**
 * Answers one question: settings, budget, history, the OpenRouter stream, the thread.
 * Every failure ends as a plain message in the thread; partial text is kept and marked.
 */
export async function answerQuestion(row: QuestionRow, deps: AnswerDeps): Promise<AnswerOutcome> {
  const { adapter, env } = deps;
  const now = deps.now ?? Date.now;
  const q = row.question;
  const startedAt = row.checkpoint?.startedAt ?? now();
  let text = row.checkpoint?.text ?? "";
  const writer = new ReplyWriter({
    adapter,
    question: q,
    state: row.checkpoint,
    now,
    onProgress: (s) => deps.checkpoint({ ...s, text, startedAt, final }),
  });
  let final = row.checkpoint?.final;
  /**
   * Records what the thread must end up showing, then shows it; the record survives a
   * failed post. `header` replaces the progress line where the answer streamed natively
   * under a status message; elsewhere the text says it all.
   */
  const deliver = async (finalText: string, outcome: AnswerOutcome, header: string) => {
    final = { text: finalText, header, outcome };
    deps.checkpoint({ ...writer.state, text, startedAt, final });
    await writer.finish(finalText, "", header);
    return outcome;
  };
  const ended = (outcome: Exclude<AnswerOutcome, "answered">) =>
    `${OUTCOME_MARK[outcome]} _${OUTCOME_WORD[outcome]} after ${formatElapsed(now() - startedAt)}, see below_`;

  // Finished before, but the platform would not take the last post: deliver it now.
  if (final) return deliver(final.text, final.outcome, final.header);

  // A row that was already running was cut off by an eviction or deploy.
  const resumed = row.attempts > 1;
  if (resumed && (text.trim() || row.attempts > 2)) {
    const note = `⚠️ This answer was interrupted after ${formatElapsed(now() - startedAt)}: Quarry's worker restarted (a deploy or a platform restart) and OpenRouter streams cannot be resumed. Ask again to run it anew.`;
    const shown = text.trim() ? `${text}\n\n${note}` : note;
    return deliver(shown, "interrupted", ended("interrupted"));
  }

  let settings: ChannelSettings;
  let model: ModelInfo | undefined;
  try {
    const or = openRouterConfig(env);
    settings = await new SettingsStore(env.SETTINGS, or.defaultModel).get(
      q.thread.platform,
      q.thread.channelId,
    );
    model = await createModelCatalog({
      baseUrl: or.baseUrl,
      apiKey: or.apiKey,
      kv: env.SETTINGS,
    }).get(settings.model);
    if (!model) {
      return deliver(
        `⚠️ The model \`${settings.model}\` is not in OpenRouter's catalog (renamed or withdrawn). Choose another with the settings command (\`model=…\`).`,
        "failed",
        ended("failed"),
      );
    }
    const over = await overBudget(env, q, settings, now());
    if (over) return deliver(over, "failed", ended("failed"));
  } catch (err) {
    // e.g. the model catalog refused the API key, or a var is malformed.
    return deliver(`⚠️ ${describeFailure(err)}`, "failed", ended("failed"));
  }

  const modelId = settings.model;
  let reasoning = "";
  let phase: "thinking" | "writing" = text ? "writing" : "thinking";
  const note = resumed ? "restarted after an interruption" : undefined;
  const status = () =>
    progressLine({
      phase,
      elapsedMs: now() - startedAt,
      model: modelId,
      thought: latestThought(reasoning),
      note,
    });
  writer.update(text, status());
  void adapter.showWorking?.(q, "is researching…")?.catch(() => {});
  const ticker = setInterval(() => writer.update(text, status()), TICK_MS);
  const working = setInterval(() => {
    if (!text) void adapter.showWorking?.(q, "is researching…")?.catch(() => {});
  }, WORKING_MS);

  let done: { text: string; summary: string };
  const citations = new Map<string, Citation>();
  let usage: Usage | undefined;
  try {
    const history = await historyOrQuestion(adapter, q);
    const { messages } = buildChatMessages({
      history,
      system: settings.system,
      contextTokens: model.contextLength,
      reserveTokens: reserveFor(model, settings.max_tokens),
      supportsImages: model.inputModalities.includes("image"),
    });
    const or = openRouterConfig(env);
    const stream = streamChat(
      {
        model: modelId,
        messages,
        maxTokens: settings.max_tokens,
        temperature: settings.temperature,
        effort: settings.effort,
        user: await hashUser(q.thread.platform, q.user.id),
      },
      {
        baseUrl: or.baseUrl,
        apiKey: or.apiKey,
        model,
        signal: deps.signal,
        firstOutputTimeoutMs: or.firstOutputTimeoutMs,
        idleTimeoutMs: or.idleTimeoutMs,
      },
    );
    text = "";
    for await (const ev of stream) {
      if (ev.type === "text") {
        text += ev.text;
        phase = "writing";
      } else if (ev.type === "reasoning") reasoning += ev.text;
      else if (ev.type === "citations") for (const c of ev.citations) citations.set(c.url, c);
      else if (ev.type === "usage") usage = ev.usage;
      if (ev.type !== "keepalive") writer.update(text, status());
    }
    clearTimers(ticker, working);
    const elapsedMs = now() - startedAt;
    await book(env, q, usage, now());
    const footer = answerFooter({
      citations: [...citations.values()],
      usage,
      model: modelId,
      elapsedMs,
    });
    const body = text.trim() ? text : "_The model finished without writing an answer._";
    done = {
      text: `${body}\n\n${footer}`,
      summary: `✅ ${summaryLine({ usage, model: modelId, elapsedMs })}`,
    };
  } catch (err) {
    clearTimers(ticker, working);
    await book(env, q, usage, now());
    const cancelled =
      deps.signal.aborted && !(err instanceof OpenRouterError && err.code === "stall");
    const message = cancelled ? "⏹️ Stopped." : `⚠️ ${describeFailure(err)}`;
    const partial = text.trim()
      ? `${text}\n\n${message}\n_The answer above is incomplete._`
      : message;
    const outcome = cancelled ? "cancelled" : "failed";
    await deliver(partial, outcome, ended(outcome));
    await clearWorking(adapter, q);
    return outcome;
  } finally {
    clearTimers(ticker, working);
  }
  // Outside the try: a platform refusing the final post is not an answer failure.
  await deliver(done.text, "answered", done.summary);
  await clearWorking(adapter, q);
  return "answered";
}

const OUTCOME_MARK = { failed: "⚠️", interrupted: "⚠️", cancelled: "⏹️" } as const;
const OUTCOME_WORD = {
  failed: "Failed",
  interrupted: "Interrupted",
  cancelled: "Stopped",
} as const;

function describeFailure(err: unknown): string {
  return err instanceof OpenRouterError ? toUserMessage(err) : failureText(err);
}

/** Clears the platform's "working" indicator; cosmetic, so a failure is ignored. */
async function clearWorking(adapter: ChatAdapter, q: Question): Promise<void> {
  await adapter.showWorking?.(q, "")?.catch(() => {});
}

function clearTimers(...timers: ReturnType<typeof setInterval>[]): void {
  for (const t of timers) clearInterval(t);
}

/** The thread as history; if the platform will not give it, the question alone (and say so in logs). */
async function historyOrQuestion(adapter: ChatAdapter, q: Question): Promise<HistoryEntry[]> {
  try {
    const history = await adapter.fetchHistory(q);
    // The question is always the asker's, even where the bot posted it for them (`/ask`).
    const own = (e: HistoryEntry) => e.id === q.messageId;
    if (history.some(own)) {
      return history.map((e) =>
        own(e)
          ? {
              ...e,
              fromBot: false,
              author: { ...q.user, name: q.user.name ?? e.author.name },
              text: e.fromBot ? q.text : e.text,
            }
          : e,
      );
    }
    if (history.length)
      return [
        ...history,
        { id: q.messageId ?? q.id, author: q.user, fromBot: false, text: q.text },
      ];
  } catch (err) {
    console.warn(
      `history unavailable for ${q.id}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  return [{ id: q.messageId ?? q.id, author: q.user, fromBot: false, text: q.text }];
}

/** A refusal text when the channel's daily budget is used up, else undefined. */
async function overBudget(
  env: Env,
  q: Question,
  settings: ChannelSettings,
  now: number,
): Promise<string | undefined> {
  const budget = settings.daily_budget_usd;
  if (budget === undefined || budget <= 0) return undefined;
  const spent = await ledgerFor(env, q.thread.platform, q.thread.channelId).spent(utcDay(now));
  if (spent < budget) return undefined;
  return `⚠️ This channel's daily budget of ${formatUsd(budget)} is used up (${formatUsd(spent)} spent today, UTC). It resets at 00:00 UTC; someone allowed to change settings can raise it with \`daily_budget_usd=…\`.`;
}

/** Books what OpenRouter reported; a lost booking must not lose the answer. */
async function book(env: Env, q: Question, usage: Usage | undefined, now: number): Promise<void> {
  if (!usage?.cost) return;
  try {
    await ledgerFor(env, q.thread.platform, q.thread.channelId).add(utcDay(now), usage.cost);
  } catch (err) {
    console.error(`could not book ${usage.cost} USD for ${q.id}: ${String(err)}`);
  }
}
