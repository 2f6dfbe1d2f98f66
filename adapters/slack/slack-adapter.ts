/**
 * The Slack `ChatAdapter`: answers go into the question's thread as a `markdown` block
 * (standard markdown, 12,000 characters per message), streamed natively where the
 * workspace allows it, every call paced through the shared limiter (see `pacing.ts`).
 */
import type { ChatAdapter, MessageControls, NativeStream } from "../../src/chat/adapter.ts";
import type { Question, SentMessage } from "../../src/chat/types.ts";
import type { RateLimiter } from "../../src/delivery/rate-limit.ts";
import { ChatApiError } from "../../src/errors.ts";
import { ANSWER_EVENT_TYPE, type SlackApi } from "./api.ts";
import { slackDeliveryOf, slackMetaOf, slackSent } from "./delivery.ts";
import {
  growingSlackRenderer,
  neutralizeSlackMentions,
  renderSlack,
  slackRenderer,
  toPlainFallback,
} from "./format.ts";
import { isOwnMessage, type SlackIdentity, slackHistory } from "./history.ts";
import { slackPacer } from "./pacing.ts";
import { type SlackActionsBlock, stopActions } from "./stop-control.ts";

export interface SlackAdapterOptions {
  api: SlackApi;
  /** Our bot's user id (the events' `authorizations[0].user_id`); looked up with `auth.test` when absent. */
  botUserId?: string;
  /** Shared pacing for the workspace's calls (`pace`, status, history); absent, nothing waits. */
  limiter?: RateLimiter;
}

/** A `markdown` block holds 12,000 characters per message; the rest is headroom for the closing of split fences. */
export const SLACK_MAX_MESSAGE_CHARS = 11_000;
/** `chat.update` is Tier 3 (~50/min); about one edit a second per message is what Slack's maintainers advise. */
export const SLACK_EDIT_INTERVAL_MS = 1_100;
/** Native streams expire about five minutes after `chat.startStream`. */
export const SLACK_STREAM_MAX_AGE_MS = 4 * 60_000;

type MessageBlock = { type: "markdown"; text: string } | SlackActionsBlock;

/**
 * Text and a `markdown` block, with the Stop button in an `actions` block below it while
 * the answer runs; the text is the notification / plain-text fallback line. An update
 * always sends its blocks, since Slack keeps the previous ones (Stop included) when an
 * update leaves `blocks` out.
 */
function messageBody(
  question: Question,
  text: string,
  controls: MessageControls | undefined,
  update: boolean,
): { text: string; blocks?: MessageBlock[] } {
  const markdown = neutralizeSlackMentions(text);
  const stop = controls?.stop && stopActions(question.thread, controls.stop.questionId);
  // An empty markdown block is `invalid_blocks`: a new message gets a placeholder the next
  // edit replaces; beside a button or in an update, the placeholder goes in the block.
  if (!markdown.trim() && !stop && !update) return { text: "…" };
  const shown = markdown.trim() ? markdown : "…";
  const blocks: MessageBlock[] = [{ type: "markdown", text: shown }];
  if (stop) blocks.push(stop);
  return { text: toPlainFallback(shown) || "…", blocks };
}

/** Whether the question was asked in a direct message with the bot. */
function isDirectMessage(question: Question): boolean {
  const type = slackDeliveryOf(question).channelType;
  return type ? type === "im" : question.thread.channelId.startsWith("D");
}

export function createSlackAdapter(opts: SlackAdapterOptions): ChatAdapter {
  const { api } = opts;
  const pacer = slackPacer(opts.limiter);

  async function ourIdentity(): Promise<SlackIdentity> {
    if (opts.botUserId) return { userId: opts.botUserId };
    return api.botIdentity().catch(() => ({}));
  }

  const thread = (q: Question) => ({ channel: q.thread.channelId, thread_ts: q.thread.threadId });
  const channelOf = (q: Question, m: SentMessage) => slackMetaOf(m).channel ?? q.thread.channelId;
  const readPage = (q: Question) => pacer.method(q, "conversations.replies");

  const stream: NativeStream = {
    maxAgeMs: SLACK_STREAM_MAX_AGE_MS,
    maxChars: SLACK_MAX_MESSAGE_CHARS,
    // In a channel Slack streams live only to `recipient_user_id`; everyone else sees the
    // message when it stops. In a DM the one reader is that person.
    preferredFor: isDirectMessage,
    async start(question, text) {
      const delivery = slackDeliveryOf(question);
      const markdown = neutralizeSlackMentions(text);
      const res = await api.startStream({
        ...thread(question),
        // Required outside DMs: Slack streams to one person's client.
        recipient_user_id: delivery.recipientUserId,
        recipient_team_id: delivery.recipientTeamId,
        markdown_text: markdown || undefined,
      });
      return slackSent(res.ts, { channel: res.channel ?? question.thread.channelId });
    },
    async append(question, message, text) {
      if (!text) return;
      await api.appendStream({
        channel: channelOf(question, message),
        ts: message.id,
        markdown_text: neutralizeSlackMentions(text),
      });
    },
    // The model's steps as task cards (`task_update` chunks) while it thinks.
    async tasks(question, message, steps) {
      const chunks = steps.map((s) => ({
        type: "task_update",
        id: s.id,
        title: neutralizeSlackMentions(s.title).slice(0, 256),
        status: s.status,
      }));
      try {
        if (message) {
          await api.appendStream({ channel: channelOf(question, message), ts: message.id, chunks });
          return undefined;
        }
        const delivery = slackDeliveryOf(question);
        const res = await api.startStream({
          ...thread(question),
          recipient_user_id: delivery.recipientUserId,
          recipient_team_id: delivery.recipientTeamId,
          chunks,
        });
        return slackSent(res.ts, { channel: res.channel ?? question.thread.channelId });
      } catch (err) {
        // A workspace whose streams take no task cards refuses the call as malformed.
        if (err instanceof ChatApiError && err.kind === "invalid" && err.code !== "stream_expired")
          throw new ChatApiError("tasks_unsupported", err.message, { kind: "invalid", cause: err });
        throw err;
      }
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
    fetchHistory: slackHistory({ api, identity: ourIdentity, beforePage: readPage }),
    render: renderSlack,
    renderer: slackRenderer,
    growingRenderer: growingSlackRenderer,
    stream,
    pace: pacer.pace,
    async post(question, text, _previous, key, controls) {
      const res = await api.postMessage({
        ...thread(question),
        ...messageBody(question, text, controls, false),
        // The key lets `findPost` tell whether a post whose answer was lost went through.
        ...(key ? { metadata: { event_type: ANSWER_EVENT_TYPE, event_payload: { key } } } : {}),
        unfurl_links: false,
        unfurl_media: false,
      });
      return slackSent(res.ts, { channel: res.channel ?? question.thread.channelId });
    },
    async findPost(question, key) {
      const { channelId, threadId } = question.thread;
      const asked = question.messageId;
      const [messages, me] = await Promise.all([
        // An answer comes after its question: only that part of the thread is read.
        api.replies(channelId, threadId, {
          oldest: asked && asked !== threadId ? asked : undefined,
          beforePage: () => readPage(question),
        }),
        ourIdentity(),
      ]);
      const found = messages.findLast(
        (m) =>
          m.metadata?.event_type === ANSWER_EVENT_TYPE &&
          m.metadata.event_payload?.key === key &&
          isOwnMessage(m, me),
      );
      return found && slackSent(found.ts, { channel: channelId });
    },
    async edit(question, message, text, controls) {
      await api.update({
        channel: channelOf(question, message),
        ts: message.id,
        ...messageBody(question, text, controls, true),
      });
      return undefined;
    },
    async showWorking(question, status) {
      try {
        await pacer.method(question, "assistant.threads.setStatus");
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
