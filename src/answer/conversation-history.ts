import type { ChatAdapter } from "../chat/adapter.ts";
import type { HistoryEntry, Question } from "../chat/types.ts";
import type { EarlierAnswer } from "../conversation/question-store.ts";
import type { Logger } from "../log.ts";

/**
 * The history of a question: the thread as the platform gives it, with every message
 * Quarry posted (answer chunks, status headers, queued notes, footers) replaced by what
 * the conversation object stored for each earlier question, right after that question.
 * The platform cannot be trusted for this: a follow-up asked while an answer streams is
 * older than most of that answer's messages, and a streamed message may still be short.
 */
export function mergeHistory(
  platform: HistoryEntry[],
  earlier: EarlierAnswer[],
  current: { question: Question; posted: string[] },
): HistoryEntry[] {
  const known = new Set(current.posted);
  for (const e of earlier) for (const id of e.posted) known.add(id);
  const askedId = current.question.messageId ?? current.question.id;
  const entries = platform.filter(
    (e) => !(e.fromBot && known.has(e.id)) && !(e.id === askedId && !e.fromBot),
  );
  const asked =
    platform.findLast((e) => e.id === askedId && !e.fromBot) ?? questionEntry(current.question);
  for (const e of earlier) {
    const answer: HistoryEntry = {
      id: `answer:${e.question.id}`,
      author: { id: "quarry" },
      fromBot: true,
      text: e.answer,
    };
    const at = entries.findIndex((x) => !x.fromBot && x.id === (e.question.messageId ?? ""));
    if (at >= 0) {
      // After the question and any answers inserted after it already.
      let after = at + 1;
      while (entries[after]?.id.startsWith("answer:")) after++;
      if (e.answer.trim()) entries.splice(after, 0, answer);
      continue;
    }
    // The question is not a message of the thread (a Discord `/ask`) or fell off the page:
    // put it and its answer where it belongs in time.
    const pair = [questionEntry(e.question)];
    if (e.answer.trim()) pair.push(answer);
    const later = entries.findIndex((x) => x.at !== undefined && x.at > e.question.receivedAt);
    entries.splice(later < 0 ? entries.length : later, 0, ...pair);
  }
  return [...entries, asked];
}

function questionEntry(q: Question): HistoryEntry {
  return {
    id: q.messageId ?? q.id,
    author: q.user,
    fromBot: false,
    text: q.text,
    at: q.receivedAt,
  };
}

/** The thread as history; if the platform will not give it, the question alone (and say so in logs). */
export async function platformHistory(
  adapter: ChatAdapter,
  q: Question,
  log: Logger,
): Promise<HistoryEntry[]> {
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
    if (history.length) return [...history, questionEntry(q)];
  } catch (err) {
    log.warn("answer.history_unavailable", { error: err });
  }
  return [questionEntry(q)];
}
