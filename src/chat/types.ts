/** The chat platforms Quarry speaks to. */
export type Platform = "slack" | "discord";

/**
 * Where one conversation lives. Serializable: the conversation object stores it.
 * One conversation = one Durable Object = one thread (Slack) or reply chain/thread (Discord).
 */
export interface ThreadRef {
  platform: Platform;
  /** Slack team id; Discord guild id ("" in a DM). */
  workspaceId: string;
  /** The channel whose settings apply (Discord: the parent channel of a thread). */
  channelId: string;
  /** Slack: the thread's root ts. Discord: the thread channel id, or the root message id of a reply chain. */
  threadId: string;
}

/** Someone on the platform. */
export interface ChatUser {
  id: string;
  /** Display name when the platform gave one. */
  name?: string;
}

/**
 * Why the bot is asked: `mention` (named the bot, or replied to its answer), `dm`,
 * `command` (`/ask`), or `followup` (a message in a thread the bot answered, without a
 * mention: answered only if the thread was answered before and `followups` is on).
 */
export type Trigger = "mention" | "dm" | "command" | "followup";

/** One question to answer; the unit the conversation object queues and dedupes. */
export interface Question {
  /**
   * Dedupe key, unique per asking message on its platform (Slack: channel + message ts,
   * so an `app_mention` and a `message` event of one message collide; Discord: message
   * or interaction id). The same id never gets a second answer.
   */
  id: string;
  thread: ThreadRef;
  /** The question as typed, platform markup already turned into plain text. */
  text: string;
  trigger: Trigger;
  user: ChatUser;
  /** Platform id of the asking message (Slack ts, Discord message id), if it is a message. */
  messageId?: string;
  /** Epoch ms when the platform delivered it. */
  receivedAt: number;
  /** How the adapter delivers the answer (Discord interaction token, Slack team of the asker, …). */
  delivery?: AdapterDetails<"delivery">;
  /**
   * Files on the asking message as the platform's event listed them, for adapters whose
   * history does not read that message back (Slack: a question that opens its thread).
   */
  attachments?: Attachment[];
}

/**
 * A file attached to a message, as the platform's own file object describes it (Slack
 * `files[]`, Discord `attachments[]`). Never built from a URL in message text: the core
 * fetches it only through `ChatAdapter.fetchAttachment`, which checks the host again.
 */
export interface Attachment {
  /** Where the platform serves the file (Slack `url_private`, Discord attachment `url`). */
  url: string;
  /** File name as uploaded, for notes and PDF parts. */
  name?: string;
  /** MIME type the platform reports (Slack `mimetype`, Discord `content_type`). */
  mimeType?: string;
  /** Bytes, when the platform says: a file known to be too large is never downloaded. */
  size?: number;
}

/** The bytes of a downloaded attachment and the type its host served them as. */
export interface FetchedAttachment {
  data: Uint8Array;
  mimeType: string;
}

/** One earlier message of the conversation, as history for the model. */
export interface HistoryEntry {
  /** Platform id of the message (Slack ts, Discord message id). */
  id: string;
  author: ChatUser;
  /** True when this bot wrote it: it becomes an `assistant` turn. */
  fromBot: boolean;
  text: string;
  /** Files attached to the message (images, PDFs, anything): the core decides what the model gets. */
  attachments?: Attachment[];
  /** Epoch ms the message was posted (Slack `ts`, Discord snowflake), when known. */
  at?: number;
}

/** A message this bot posted; enough to edit it later. Serializable. */
export interface SentMessage {
  id: string;
  /** What the adapter needs to edit it (Discord: posted through the interaction webhook). */
  meta?: AdapterDetails<"meta">;
}

declare const adapterOwned: unique symbol;

/**
 * What an adapter keeps with a question (`delivery`) or with a message it posted (`meta`)
 * for its own later calls. The core stores it as JSON and hands it back unread: the brand
 * keeps the core from reading or building one, and each adapter declares its own shape and
 * converts at its edge (adapters/slack/delivery.ts, adapters/discord/delivery.ts), so a
 * misspelt key is a type error there.
 */
export interface AdapterDetails<Use extends "delivery" | "meta"> {
  readonly [adapterOwned]: Use;
}

/** One of the model's steps as a task card in a native stream; `id` is stable per step. */
export interface TaskStep {
  id: string;
  title: string;
  status: "in_progress" | "complete";
}
