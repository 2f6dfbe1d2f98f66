/**
 * The Slack `ChatAdapter`: answers go into the question's thread as a `markdown` block
 * (standard markdown, 12,000 characters per message), streamed natively where the
 * workspace allows it.
 */
import type { ChatAdapter, NativeStream } from "../../src/chat/adapter.ts";
import type { HistoryEntry, Question, SentMessage } from "../../src/chat/types.ts";
import { ChatApiError } from "../../src/errors.ts";
import { ASK_EVENT_TYPE, compareTs, type SlackApi, type SlackMessage } from "./api.ts";
import {
  neutralizeSlackMentions,
  renderSlack,
  slackBlocksToPlain,
  slackTextToPlain,
  toPlainFallback,
} from "./format.ts";

export interface SlackAdapterOptions {
  api: SlackApi;
  /** Our bot's user id (the events' `authorizations[0].user_id`); looked up with `auth.test` when absent. */
  botUserId?: string;
}

/** A `markdown` block holds 12,000 characters per message; the rest is headroom for the closing of split fences. */
export const SLACK_MAX_MESSAGE_CHARS = 11_000;
/** `chat.update` is Tier 3 (~50/min); about one edit a second per message is what Slack's maintainers advise. */
export const SLACK_EDIT_INTERVAL_MS = 1_100;
/** Native streams expire about five minutes after `chat.startStream`. */
export const SLACK_STREAM_MAX_AGE_MS = 4 * 60_000;

/** Message subtypes that are conversation; joins, topic changes, edits and the like are not. */
const HISTORY_SUBTYPES = new Set([undefined, "file_share", "thread_broadcast", "bot_message"]);
/** Distinct people whose names one history fetch looks up (one `users.info` each, cached). */
const MAX_NAME_LOOKUPS = 50;

/** Text and a `markdown` block; the text is the notification / fallback line. */
function messageBody(text: string): {
  text: string;
  blocks?: { type: "markdown"; text: string }[];
} {
  const markdown = neutralizeSlackMentions(text);
  // An empty markdown block is `invalid_blocks`: post a placeholder the next edit replaces.
  if (!markdown.trim()) return { text: "…" };
  return { text: toPlainFallback(markdown) || "…", blocks: [{ type: "markdown", text: markdown }] };
}

/**
 * Files as words: Slack file URLs (`url_private`) need our bot token, so the model could
 * not fetch them; it is told an attachment exists instead.
 */
function fileNotes(message: SlackMessage | undefined): string {
  return (message?.files ?? [])
    .map(
      (f) =>
        `[${f.mimetype?.startsWith("image/") ? "image" : "file"} attached${f.name ? `: ${f.name}` : ""}]`,
    )
    .join("\n");
}

/** The person whose `/ask` this bot post carries (see `SlackApi.postQuestion`), if it is one. */
function askerOf(m: SlackMessage): string | undefined {
  const userId =
    m.metadata?.event_type === ASK_EVENT_TYPE ? m.metadata.event_payload?.user_id : undefined;
  return typeof userId === "string" ? userId : undefined;
}

const joinText = (...parts: string[]) => parts.filter((p) => p.trim() !== "").join("\n");

export function createSlackAdapter(opts: SlackAdapterOptions): ChatAdapter {
  const { api } = opts;

  async function ourIdentity(): Promise<{ userId?: string; botId?: string }> {
    if (opts.botUserId) return { userId: opts.botUserId };
    return api.botIdentity().catch(() => ({}));
  }

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

  async function fetchHistory(question: Question): Promise<HistoryEntry[]> {
    const asked = question.messageId;
    const questionEntry = (m?: SlackMessage, name?: string): HistoryEntry => ({
      id: asked ?? question.id,
      author: { ...question.user, name: question.user.name ?? name },
      fromBot: false,
      text: joinText(question.text, fileNotes(m)),
    });
    // The question opens its thread (top-level mention, DM, /ask post): nothing came before it.
    if (!asked || asked === question.thread.threadId) return [questionEntry()];

    const { channelId, threadId } = question.thread;
    const [all, me] = await Promise.all([
      api.replies(channelId, threadId, { latest: asked }),
      ourIdentity(),
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
      const asker = askerOf(m);
      if (asker) {
        const text = slackTextToPlain((m.text ?? "").replace(/^<@[^>]+> asked:\s*/, ""), names);
        history.push({
          id: m.ts,
          author: { id: asker, name: names.get(asker) },
          fromBot: false,
          text,
        });
        continue;
      }
      const fromBot = me.userId
        ? m.user === me.userId || (!!me.botId && m.bot_id === me.botId)
        : !!m.bot_id;
      const raw = ownMention ? (m.text ?? "").replace(ownMention, "") : (m.text ?? "");
      // Our answers' `text` is only the notification line; the answer itself is in the blocks.
      const body = (fromBot && slackBlocksToPlain(m.blocks, names)) || slackTextToPlain(raw, names);
      const text = joinText(body, fileNotes(m));
      if (!text) continue;
      const author = m.user
        ? { id: m.user, name: names.get(m.user) }
        : { id: m.bot_id ?? "unknown", name: m.bot_profile?.name ?? m.username };
      history.push({ id: m.ts, author, fromBot, text });
    }
    // Slack may not list a message posted a moment ago yet: the question still ends the history.
    if (history.at(-1)?.id !== asked) history.push(questionEntry());
    return history;
  }

  const thread = (q: Question) => ({ channel: q.thread.channelId, thread_ts: q.thread.threadId });
  const channelOf = (q: Question, m: SentMessage) => m.meta?.channel ?? q.thread.channelId;

  const stream: NativeStream = {
    maxAgeMs: SLACK_STREAM_MAX_AGE_MS,
    maxChars: SLACK_MAX_MESSAGE_CHARS,
    async start(question, text) {
      const delivery = question.delivery ?? {};
      const markdown = neutralizeSlackMentions(text);
      const res = await api.startStream({
        ...thread(question),
        // Required outside DMs: Slack streams to one person's client.
        recipient_user_id: delivery.recipientUserId,
        recipient_team_id: delivery.recipientTeamId,
        markdown_text: markdown || undefined,
      });
      return { id: res.ts, meta: { channel: res.channel ?? question.thread.channelId } };
    },
    async append(question, message, text) {
      if (!text) return;
      await api.appendStream({
        channel: channelOf(question, message),
        ts: message.id,
        markdown_text: neutralizeSlackMentions(text),
      });
    },
    async stop(question, message, finalText) {
      await api.stopStream({
        channel: channelOf(question, message),
        ts: message.id,
        markdown_text: finalText ? neutralizeSlackMentions(finalText) : undefined,
      });
    },
  };

  return {
    platform: "slack",
    maxMessageChars: SLACK_MAX_MESSAGE_CHARS,
    editIntervalMs: SLACK_EDIT_INTERVAL_MS,
    fetchHistory,
    render: renderSlack,
    stream,
    async post(question, text) {
      const res = await api.postMessage({
        ...thread(question),
        ...messageBody(text),
        unfurl_links: false,
        unfurl_media: false,
      });
      return { id: res.ts, meta: { channel: res.channel ?? question.thread.channelId } };
    },
    async edit(question, message, text) {
      await api.update({
        channel: channelOf(question, message),
        ts: message.id,
        ...messageBody(text),
      });
      return undefined;
    },
    async showWorking(question, status) {
      try {
        await api.setStatus({
          channel_id: question.thread.channelId,
          thread_ts: question.thread.threadId,
          status,
        });
      } catch (err) {
        // Cosmetic: a missing scope, a rate limit or an old workspace must not stop the answer.
        if (!(err instanceof ChatApiError)) throw err;
      }
    },
  };
}
