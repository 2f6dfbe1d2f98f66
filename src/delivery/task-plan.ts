/**
 * The model's steps as task cards inside a native stream (Slack `task_update` chunks): one
 * card per step, the newest in progress while the model works, all complete once the
 * answer is final. The progress line keeps showing the newest step as well, so a workspace
 * that rejects task cards loses nothing.
 */

import type { TaskStep } from "../chat/types.ts";

export type { TaskStep };

/** Most cards one stream shows: the newest steps. */
const MAX_CARDS = 12;

/** The cards for `steps` (oldest first). */
export function taskCards(steps: readonly string[], final: boolean): TaskStep[] {
  const from = Math.max(0, steps.length - MAX_CARDS);
  return steps.slice(from).map((title, i) => ({
    id: `step-${from + i + 1}`,
    title,
    status: final || from + i < steps.length - 1 ? "complete" : "in_progress",
  }));
}

/** A fingerprint of the cards, to tell whether the stream shows them already. */
export function cardsKey(cards: readonly TaskStep[]): string {
  return cards.map((c) => `${c.id}:${c.status}:${c.title}`).join("\n");
}
