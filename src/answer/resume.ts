import type { AnswerJob, AnswerOutcome } from "./answer-job.ts";
import { formatElapsed } from "./progress.ts";

/**
 * A question that ran before: finished but not yet shown (the platform was down), or cut
 * off by an eviction or deploy. Returns its outcome, or undefined for a fresh start.
 */
export async function resume(job: AnswerJob): Promise<AnswerOutcome | undefined> {
  const { final } = job;
  if (final) return job.deliver(final.text, final.outcome, final.header);
  // A row that was already running was cut off; a fresh start is tried once, when nothing
  // had been written yet.
  const { attempts } = job.row;
  if (attempts <= 1 || (!job.text.trim() && attempts <= 2)) return undefined;
  const note = `⚠️ This answer was interrupted after ${formatElapsed(job.now() - job.startedAt)}: Quarry's worker restarted (a deploy or a platform restart) and OpenRouter streams cannot be resumed. Ask again to run it anew.`;
  const shown = job.text.trim() ? `${job.text}\n\n${note}` : note;
  return job.deliver(shown, "interrupted", job.ended("interrupted"));
}
