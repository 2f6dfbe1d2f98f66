import type { QuestionRow } from "../conversation/question-store.ts";
import { type AnswerDeps, AnswerJob, type AnswerOutcome } from "./answer-job.ts";
import { mergeHistory, platformHistory } from "./conversation-history.ts";
import { finishAnswered, finishFailed } from "./finish.ts";
import { buildChatMessages, reserveFor } from "./history.ts";
import { chatRequest, prepare } from "./prepare.ts";
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
    const history = mergeHistory(await platformHistory(job.adapter, job.q), deps.earlier ?? [], {
      question: job.q,
      posted: [...(row.checkpoint?.messages ?? []), ...(row.checkpoint?.retired ?? [])].map(
        (m) => m.id,
      ),
    });
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
  try {
    await streamAnswer(job, setup, request, streamed);
  } catch (err) {
    return finishFailed(job, err, streamed);
  }
  // Outside the try: a platform refusing the final post is not an answer failure.
  return finishAnswered(job, setup, streamed);
}
