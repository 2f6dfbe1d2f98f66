/**
 * What Slack keeps with a question and with each message it posts, in the core's opaque
 * `delivery` / `meta` (src/chat/types.ts). Stored as JSON in the conversation's checkpoints:
 * these keys and their string values are the stored form, so rows written before keep
 * reading.
 */
import type { AdapterDetails, Question, SentMessage } from "../../src/chat/types.ts";

/** Who a native stream is for: Slack requires them outside DMs (`chat.startStream`). */
export interface SlackDelivery {
  /** The asker: in a channel thread the stream renders live only for them. */
  recipientUserId: string;
  /** The asker's own team (another workspace's in a Slack Connect channel). */
  recipientTeamId: string;
  /** `im`, `mpim`, `channel` or `group`, as Slack's events name it. */
  channelType: string;
}

/** Where a posted message is: what `chat.update` and the stream calls address. */
export interface SlackMessageMeta {
  channel: string;
}

export function slackDelivery(delivery: SlackDelivery): AdapterDetails<"delivery"> {
  return delivery as unknown as AdapterDetails<"delivery">;
}

/** A Slack question's delivery; empty for any other platform's (each key may be missing). */
export function slackDeliveryOf(question: Question): Partial<SlackDelivery> {
  if (question.thread.platform !== "slack" || !question.delivery) return {};
  return question.delivery as unknown as Partial<SlackDelivery>;
}

export function slackSent(id: string, meta: SlackMessageMeta): SentMessage {
  return { id, meta: meta as unknown as AdapterDetails<"meta"> };
}

export function slackMetaOf(message: SentMessage): Partial<SlackMessageMeta> {
  return (message.meta ?? {}) as unknown as Partial<SlackMessageMeta>;
}
