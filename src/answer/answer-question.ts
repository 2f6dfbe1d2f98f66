import type { QuestionRow } from "../conversation/question-store.ts";
import { type AnswerDeps, AnswerJob, type AnswerOutcome } from "./answer-job.ts";
import { mergeHistory, platformHistory } from "./conversation-history.ts";
import { finishAnswered, finishFailed } from "./finish.ts";
import { buildChatMessages, reserveFor } from "./history.ts";
import { chatRequest, prepare, type Setup } from "./prepare.ts";
import { resume } from "./resume.ts";
import { type Streamed, streamAnswer } from "./stream-answer.ts";

export type { AnswerDeps, AnswerOutcome } from "./answer-job.ts";

/**
 * Answers one question, in four phases: resume (a run cut off before, or an answer still
 * to show), prepare (settings, model, budget, writer), stream (history, the request, the
 * OpenRouter stream into the thread), finish (cost, sources, the last edit). Every failure
 * ends as a plain message in the thread; partial text is kept and marked.
 */
export async function answerQuestion(row: QuestionRow, deps: AnswerDeps): Promise<AnswerOutcome> {
  const job = new AnswerJob(row, deps);
  const resumed = await resume(job);
  if (resumed) return resumed;

  const setup = await prepare(job);
  if ("ended" in setup) return setup.ended;

  const request = async () => {
    const history = mergeHistory(
      await platformHistory(job.adapter, job.q, job.log),
      deps.earlier ?? [],
      {
        question: job.q,
        posted: [...(row.checkpoint?.messages ?? []), ...(row.checkpoint?.retired ?? [])].map(
          (m) => m.id,
        ),
      },
    );
    const { messages } = buildChatMessages({
      history,
      system: setup.settings.system,
      contextTokens: setup.model.contextLength,
      reserveTokens: reserveFor(setup.model, setup.settings.max_tokens),
      supportsImages: setup.model.inputModalities.includes("image"),
    });
    return chatRequest(job, setup, messages);
  };
  const streamed: Streamed = { citations: [] };
  job.log.info("answer.started", { model: setup.settings.model, attempt: row.attempts });
  let outcome: AnswerOutcome;
  try {
    await streamAnswer(job, setup, request, streamed);
    // A platform refusing the final post is not an answer failure: outside this try.
  } catch (err) {
    outcome = await finishFailed(job, err, streamed);
    job.log.warn("answer.finished", { ...summary(job, setup, streamed), outcome, error: err });
    return outcome;
  }
  outcome = await finishAnswered(job, setup, streamed);
  job.log.info("answer.finished", { ...summary(job, setup, streamed), outcome });
  return outcome;
}

function summary(job: AnswerJob, setup: Setup, streamed: Streamed) {
  return {
    model: setup.settings.model,
    generation: streamed.generationId,
    cost_usd: streamed.usage?.cost,
    elapsed_ms: job.now() - job.startedAt,
    finish_reason: streamed.finishReason,
  };
}
