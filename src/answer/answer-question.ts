import type { QuestionRow } from "../conversation/question-store.ts";
import { QuarryError } from "../errors.ts";
import { type AnswerDeps, AnswerJob, type AnswerOutcome } from "./answer-job.ts";
import { prepareAttachments } from "./attachments.ts";
import { mergeHistory, platformHistory } from "./conversation-history.ts";
import { finishAnswered, finishFailed } from "./finish.ts";
import { buildChatMessages, estimateTokens, reserveFor } from "./history.ts";
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
  const streamed: Streamed = {
    citations: [],
    notes: [],
    streaming: { completionChars: 0, reasoningChars: 0, webSearches: 0 },
  };
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
    const reserveTokens = reserveFor(setup.model, setup.settings.max_tokens);
    tooLongAlone(job, setup, reserveTokens);
    const attachments = await prepareAttachments(history, job.adapter, job.q, setup.model);
    streamed.notes.push(...attachments.notes);
    const { messages, droppedTurns } = buildChatMessages({
      history,
      attachments,
      system: setup.settings.system,
      contextTokens: setup.model.contextLength,
      reserveTokens,
    });
    const earlier = history.length - 1;
    if (droppedTurns > 0) {
      streamed.notes.push(
        `Used the last ${earlier - droppedTurns} of ${earlier} earlier messages of this thread: the rest did not fit \`${setup.model.id}\`'s context.`,
      );
    }
    return chatRequest(job, setup, messages);
  };
  job.log.info("answer.started", { model: setup.model.id, attempt: row.attempts });
  let outcome: AnswerOutcome;
  try {
    await streamAnswer(job, setup, request, streamed);
    // A platform refusing the final post is not an answer failure: outside this try.
  } catch (err) {
    outcome = await finishFailed(job, err, streamed, setup);
    job.log.warn("answer.finished", { ...summary(job, setup, streamed), outcome, error: err });
    return outcome;
  }
  outcome = await finishAnswered(job, setup, streamed);
  job.log.info("answer.finished", { ...summary(job, setup, streamed), outcome });
  return outcome;
}

/** A question that cannot fit the model's context even with no history is refused plainly. */
function tooLongAlone(job: AnswerJob, setup: Setup, reserveTokens: number): void {
  const room =
    setup.model.contextLength - reserveTokens - estimateTokens(setup.settings.system) - 50;
  const need = estimateTokens(job.q.text);
  if (need <= room) return;
  throw new QuarryError(
    "question_too_long",
    `Your question is too long for \`${setup.model.id}\`: it is about ${need.toLocaleString("en-US")} tokens, and the model has room for about ${Math.max(0, room).toLocaleString("en-US")} once its answer is set aside. Shorten it, or choose a model with a larger context (\`model=…\`).`,
  );
}

function summary(job: AnswerJob, setup: Setup, streamed: Streamed) {
  return {
    model: streamed.model ?? setup.model.id,
    ...(setup.requested ? { requested_model: setup.requested } : {}),
    generation: streamed.generationId,
    cost_usd: streamed.usage?.cost,
    elapsed_ms: job.now() - job.startedAt,
    finish_reason: streamed.finishReason,
  };
}
