import { ledgerFor, utcDay } from "../budget/channel-ledger.ts";
import { QuarryError } from "../errors.ts";
import { OpenRouterError } from "../openrouter/openrouter-error.ts";
import type { Usage } from "../openrouter/types.ts";
import { type AnswerJob, type AnswerOutcome, PlatformRefusal } from "./answer-job.ts";
import { describeFailure } from "./failure-text.ts";
import type { Setup } from "./prepare.ts";
import { answerFooter, summaryLine } from "./progress.ts";
import type { Streamed } from "./stream-answer.ts";

/** The model finished: books the cost and shows the answer with its sources and cost. */
export async function finishAnswered(
  job: AnswerJob,
  setup: Setup,
  streamed: Streamed,
): Promise<AnswerOutcome> {
  const elapsedMs = job.now() - job.startedAt;
  await book(job, streamed.usage);
  const model = setup.settings.model;
  const footer = answerFooter({
    citations: streamed.citations,
    usage: streamed.usage,
    model,
    elapsedMs,
  });
  const body = job.text.trim() ? job.text : "_The model finished without writing an answer._";
  const summary = `✅ ${summaryLine({ usage: streamed.usage, model, elapsedMs })}`;
  const outcome = await job.deliver(`${body}\n\n${footer}`, "answered", summary);
  await clearWorking(job);
  return outcome;
}

/**
 * The stream failed, was stopped, or the platform refused the answer: books what is known
 * and ends the question with the partial text kept and a plain message under it.
 */
export async function finishFailed(
  job: AnswerJob,
  err: unknown,
  streamed: Streamed,
): Promise<AnswerOutcome> {
  await book(job, streamed.usage);
  const reason = job.controller.signal.reason;
  if (reason instanceof PlatformRefusal) return job.refused(reason.refusal);
  const stalled = reason instanceof QuarryError && reason.code === "stalled";
  const cancelled =
    job.controller.signal.aborted &&
    !stalled &&
    !(err instanceof OpenRouterError && err.code === "stall");
  const message = cancelled
    ? "⏹️ Stopped."
    : stalled
      ? "⚠️ This answer stopped making progress (no word from OpenRouter or the chat platform for minutes), so I ended it. Ask again to retry."
      : `⚠️ ${describeFailure(err)}`;
  const partial = job.text.trim()
    ? `${job.text}\n\n${message}\n_The answer above is incomplete._`
    : message;
  const outcome = cancelled ? "cancelled" : "failed";
  const ended = await job.deliver(partial, outcome, job.ended(outcome));
  await clearWorking(job);
  return ended;
}

/** Clears the platform's "working" indicator; cosmetic, so a failure is ignored. */
async function clearWorking(job: AnswerJob): Promise<void> {
  await job.adapter.showWorking?.(job.q, "")?.catch(() => {});
}

/** Books what OpenRouter reported; a lost booking must not lose the answer. */
async function book(job: AnswerJob, usage: Usage | undefined): Promise<void> {
  if (!usage?.cost) return;
  const { platform, channelId } = job.q.thread;
  try {
    await ledgerFor(job.deps.env, platform, channelId).add(utcDay(job.startedAt), usage.cost);
  } catch (err) {
    job.log.error("answer.booking_failed", { cost_usd: usage.cost, error: err });
  }
}
