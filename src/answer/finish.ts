import { openRouterConfig } from "../config.ts";
import { QuarryError } from "../errors.ts";
import { knownSecrets } from "../log.ts";
import { fetchGenerationCost } from "../openrouter/generation-cost.ts";
import { abortStopsBilling, isSameModel } from "../openrouter/model-rules.ts";
import { OpenRouterError } from "../openrouter/openrouter-error.ts";
import { BudgetReached } from "./answer-budget.ts";
import { type AnswerJob, type AnswerOutcome, PlatformRefusal } from "./answer-job.ts";
import { describeFailure } from "./failure-text.ts";
import type { Setup } from "./prepare.ts";
import { answerFooter, type CostLine, summaryLine } from "./progress.ts";
import { numberSources } from "./sources.ts";
import type { Streamed } from "./stream-answer.ts";

/** Finish reasons that mean the answer is not whole, and what to tell the asker. */
const CUT_OFF: Record<string, (setup: Setup) => string> = {
  length: (s) =>
    `_The answer was cut off: \`${s.model.id}\` reached its output limit${s.settings.max_tokens ? ` (\`max_tokens=${s.settings.max_tokens}\`)` : ""}. Ask for less, or raise \`max_tokens\`._`,
  content_filter: () =>
    "_The answer was cut off by the provider's content filter; what is above is all it let through._",
};

/** The model finished: books the cost and shows the answer with its sources and cost. */
export async function finishAnswered(
  job: AnswerJob,
  setup: Setup,
  streamed: Streamed,
): Promise<AnswerOutcome> {
  await setup.budget.settle(streamed.usage?.cost, streamed.streaming);
  const cost = costLine(job, setup, streamed);
  const { text, sources } = numberSources(job.text, streamed.citations);
  const cut = CUT_OFF[streamed.finishReason ?? ""];
  const footer = answerFooter({ ...cost, sources, notes: streamed.notes });
  const body = text.trim() ? text : "_The model finished without writing an answer._";
  const ending = cut ? `\n\n⚠️ ${cut(setup)}` : "";
  // A cut-off answer gets no ✅: the header says it is not whole.
  const summary = `${cut ? "⚠️ _Cut off_ ·" : "✅"} ${summaryLine(cost)}`;
  const outcome = await job.deliver(`${body}${ending}\n\n${footer}`, "answered", summary);
  await clearWorking(job);
  return outcome;
}

/**
 * The stream failed, was stopped, or the platform refused the answer: books what is known
 * and ends the question with the partial text (and its sources) kept and a plain message.
 */
export async function finishFailed(
  job: AnswerJob,
  err: unknown,
  streamed: Streamed,
  setup?: Setup,
): Promise<AnswerOutcome> {
  // A stopped or failed answer has no usage chunk: ask OpenRouter what it cost.
  if (streamed.usage?.cost === undefined && streamed.generationId) {
    const { baseUrl, apiKey } = openRouterConfig(job.deps.env);
    const found = await fetchGenerationCost({ baseUrl, apiKey, id: streamed.generationId });
    if (found?.cost !== undefined) {
      streamed.usage = {
        promptTokens: found.promptTokens ?? streamed.usage?.promptTokens ?? 0,
        completionTokens: found.completionTokens ?? streamed.usage?.completionTokens ?? 0,
        ...(found.reasoningTokens !== undefined ? { reasoningTokens: found.reasoningTokens } : {}),
        cost: found.cost,
      };
    }
  }
  if (setup) {
    if (!streamed.asked) await setup.budget.release();
    // OpenRouter refused the request with an HTTP status (401, 402, 429, 503…): no generation
    // ran and nothing is billed, so the running estimate (the prompt) is not spent either.
    else if (err instanceof OpenRouterError && err.status > 0)
      await setup.budget.settle(0, streamed.streaming);
    else await setup.budget.settle(streamed.usage?.cost, streamed.streaming);
  }
  const reason = job.controller.signal.reason;
  if (reason instanceof PlatformRefusal) return job.refused(reason.refusal);
  const overBudget = reason instanceof BudgetReached;
  const stalled = reason instanceof QuarryError && reason.code === "stalled";
  const cancelled =
    job.controller.signal.aborted &&
    !stalled &&
    !overBudget &&
    !(err instanceof OpenRouterError && err.code === "stall");
  const model = streamed.model ?? setup?.model.id ?? "";
  const keepsBilling = cancelled && abortStopsBilling(model) === false;
  const message = overBudget
    ? reason.text
    : cancelled
      ? keepsBilling
        ? `⏹️ Stopped. \`${model}\` cannot be cancelled at its provider, so it may still finish the research in the background and be billed for it.`
        : "⏹️ Stopped."
      : stalled
        ? "⚠️ This answer stopped making progress (no word from OpenRouter or the chat platform for minutes), so I ended it. Ask again to retry."
        : `⚠️ ${describeFailure(err, knownSecrets(job.deps.env))}`;
  const { text, sources } = numberSources(job.text, streamed.citations);
  const parts = [
    text.trim() ? `${text}\n\n${message}\n_The answer above is incomplete._` : message,
  ];
  if (setup && (sources.length || streamed.usage)) {
    parts.push(answerFooter({ ...costLine(job, setup, streamed), sources, notes: streamed.notes }));
  }
  const outcome = cancelled || overBudget ? "cancelled" : "failed";
  const ended = await job.deliver(parts.join("\n\n"), outcome, job.ended(outcome));
  await clearWorking(job);
  return ended;
}

/** Who answered (a fallback, if one did), what it cost, how long it took. */
function costLine(job: AnswerJob, setup: Setup, streamed: Streamed): CostLine {
  const asked = setup.model.id;
  const answered = streamed.model && !isSameModel(asked, streamed.model) ? streamed.model : asked;
  const requested = setup.requested ?? (answered !== asked ? asked : undefined);
  return {
    usage: streamed.usage,
    model: answered,
    ...(requested ? { requested } : {}),
    ...(setup.requestedWhy ? { requestedWhy: setup.requestedWhy } : {}),
    elapsedMs: job.now() - job.startedAt,
  };
}

/** Clears the platform's "working" indicator; cosmetic, so a failure is ignored. */
async function clearWorking(job: AnswerJob): Promise<void> {
  await job.adapter.showWorking?.(job.q, "")?.catch(() => {});
}
