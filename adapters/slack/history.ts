/**
 * A Slack thread as history for the model: `conversations.replies` up to the question,
 * with people's names, the bot's own answers read from their blocks, an `/ask` post
 * shown as its asker's turn, files as attachments, and every entry stamped with its time.
 */
import type { Attachment, HistoryEntry, Question } from "../../src/chat/types.ts";
import { ASK_EVENT_TYPE, compareTs, type SlackApi, type SlackMessage, slackTsToMs } from "./api.ts";
import { slackAttachments } from "./files.ts";
import { slackBlocksToPlain, slackTextToPlain } from "./format.ts";

/** Message subtypes that are conversation; joins, topic changes, edits and the like are not. */
const HISTORY_SUBTYPES = new Set([undefined, "file_share", "thread_broadcast", "bot_message"]);
/** Distinct people whose names one history fetch looks up (one `users.info` each, cached). */
const MAX_NAME_LOOKUPS = 50;

export interface SlackIdentity {
  userId?: string;
  botId?: string;
}

export interface SlackHistoryOptions {
  api: SlackApi;
  /** Our bot's user (and bot) id, if known. */
  identity: () => Promise<SlackIdentity>;
  /** Runs before each `conversations.replies` page (pacing). */
  beforePage?: (question: Question) => Promise<void>;
}

/** A message's files, as the entry's `attachments` (left out when there are none). */
function filesOf(files: readonly unknown[] | undefined): { attachments?: Attachment[] } {
  const attachments = slackAttachments(files);
  return attachments.length ? { attachments } : {};
}

/** The person whose `/ask` this bot post carries (see `SlackApi.postQuestion`), if it is one. */
function askerOf(m: SlackMessage): string | undefined {
  const userId =
    m.metadata?.event_type === ASK_EVENT_TYPE ? m.metadata.event_payload?.user_id : undefined;
  return typeof userId === "string" ? userId : undefined;
}

/** Whether `m` was posted by this bot; without our ids, any bot's message counts. */
export function isOwnMessage(m: SlackMessage, me: SlackIdentity): boolean {
  return me.userId ? m.user === me.userId || (!!me.botId && m.bot_id === me.botId) : !!m.bot_id;
}

/** `fetchHistory` of the Slack adapter (see `ChatAdapter.fetchHistory`). */
export function slackHistory(opts: SlackHistoryOptions): (q: Question) => Promise<HistoryEntry[]> {
  const { api, beforePage } = opts;

  async function resolveNames(
    messages: SlackMessage[],
    ourUserId?: string,
  ): Promise<Map<string, string>> {
    const ids = new Set<string>();
    for (const m of messages) {
      const person = askerOf(m) ?? m.user;
      if (person) ids.add(person);
      for (const [, id] of (m.text ?? "").matchAll(/<@([A-Z0-9]+)>/gi)) if (id) ids.add(id);
    }
    if (ourUserId) ids.delete(ourUserId);
    const names = new Map<string, string>();
    const wanted = [...ids].slice(0, MAX_NAME_LOOKUPS);
    const found = await Promise.all(wanted.map((id) => api.userName(id)));
    wanted.forEach((id, i) => {
      const name = found[i];
      if (name) names.set(id, name);
    });
    return names;
  }

  return async function fetchHistory(question: Question): Promise<HistoryEntry[]> {
    const asked = question.messageId;
    // The message's own files when it was read back, else those its event listed.
    const ownFiles = question.attachments?.length ? { attachments: question.attachments } : {};
    const questionEntry = (m?: SlackMessage, name?: string): HistoryEntry => ({
      id: asked ?? question.id,
      author: { ...question.user, name: question.user.name ?? name },
      fromBot: false,
      text: question.text,
      ...(m ? filesOf(m.files) : ownFiles),
      at: asked ? slackTsToMs(asked) : question.receivedAt,
    });
    // The question opens its thread (top-level mention, DM, /ask post): nothing came before it.
    if (!asked || asked === question.thread.threadId) return [questionEntry()];

    const { channelId, threadId } = question.thread;
    const [all, me] = await Promise.all([
      api.replies(channelId, threadId, {
        latest: asked,
        beforePage: beforePage && (() => beforePage(question)),
      }),
      opts.identity(),
    ]);
    const messages = all.filter(
      (m) => compareTs(m.ts, asked) <= 0 && HISTORY_SUBTYPES.has(m.subtype),
    );
    const names = await resolveNames(messages, me.userId);
    const ownMention = me.userId ? new RegExp(`<@${me.userId}(?:\\|[^>]*)?>\\s*`, "g") : undefined;

    const history: HistoryEntry[] = [];
    for (const m of messages) {
      if (m.ts === asked) {
        history.push(questionEntry(m, m.user ? names.get(m.user) : undefined));
        continue;
      }
      const at = slackTsToMs(m.ts);
      const asker = askerOf(m);
      if (asker) {
        const text = slackTextToPlain((m.text ?? "").replace(/^<@[^>]+> asked:\s*/, ""), names);
        history.push({
          id: m.ts,
          author: { id: asker, name: names.get(asker) },
          fromBot: false,
          text,
          at,
        });
        continue;
      }
      const fromBot = isOwnMessage(m, me);
      const raw = ownMention ? (m.text ?? "").replace(ownMention, "") : (m.text ?? "");
      // Our answers' `text` is only the notification line; the answer itself is in the blocks.
      const body = (fromBot && slackBlocksToPlain(m.blocks, names)) || slackTextToPlain(raw, names);
      const files = fromBot ? {} : filesOf(m.files);
      if (!body && !files.attachments) continue;
      const author = m.user
        ? { id: m.user, name: names.get(m.user) }
        : { id: m.bot_id ?? "unknown", name: m.bot_profile?.name ?? m.username };
      history.push({ id: m.ts, author, fromBot, text: body, ...files, at });
    }
    // Slack may not list a message posted a moment ago yet: the question still ends the history.
    if (history.at(-1)?.id !== asked) history.push(questionEntry());
    return history;
  };
}
