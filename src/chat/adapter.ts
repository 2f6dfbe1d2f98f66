import type { Tailed } from "./growing-text.ts";
import type {
  Attachment,
  FetchedAttachment,
  HistoryEntry,
  Platform,
  Question,
  SentMessage,
  TaskStep,
} from "./types.ts";

/**
 * Controls a message carries while its answer runs. The core passes them on the message
 * that shows the progress line, and passes none once the answer is final, which removes
 * them (Slack: no `actions` block; Discord: `components: []`).
 */
export interface MessageControls {
  /** A Stop button for this question; pressing it reaches the route as an interaction. */
  stop?: { questionId: string };
}

/** The kinds of platform call that change what a thread shows; `pace` is asked before each. */
export type WriteOp = "post" | "edit" | "stream.start" | "stream.append" | "stream.stop";

/**
 * What the platform-neutral core needs from a chat platform. Adapters implement it in
 * `adapters/<platform>/`; `src/` only sees this interface. Every method that talks to
 * the platform throws `ChatApiError` (see `src/errors.ts`) on failure, with
 * `retryAfterMs` set on a rate limit.
 */
export interface ChatAdapter {
  /** Which platform this adapter speaks to. */
  readonly platform: Platform;
  /** Most characters one rendered message may hold; the core splits longer answers. */
  readonly maxMessageChars: number;
  /** Least gap between two edits of one message that stays inside the platform's limits. */
  readonly editIntervalMs: number;
  /**
   * The conversation's messages up to the question, oldest first, ending with the question
   * itself. The bot's own messages may be included (flagged `fromBot`) or not: the core
   * replaces every message it knows it posted with the answers it stored, so cutting them
   * off at the question's time loses nothing.
   */
  fetchHistory(question: Question): Promise<HistoryEntry[]>;
  /**
   * Posts a new message into the question's conversation (as a reply or in its thread).
   * `previous` is the answer's message this one continues, if any (from the core's
   * checkpoint, so it survives restarts): Discord replies to it to keep the chain.
   * `key` is unique per question and part: where the platform dedupes sends (Discord's
   * `nonce` + `enforce_nonce`) it goes there, and `findPost` finds the message by it.
   */
  post(
    question: Question,
    text: string,
    previous?: SentMessage,
    key?: string,
    controls?: MessageControls,
  ): Promise<SentMessage>;
  /**
   * Optional: the message an earlier `post(…, key)` made, if the platform has it. The core
   * asks before sending a post again whose first attempt may have gone through (a timeout,
   * a dropped connection, a restart between the call and its checkpoint).
   */
  findPost?(question: Question, key: string): Promise<SentMessage | undefined>;
  /**
   * Optional: resolves once one call of kind `op` for this question may go out without
   * exceeding the platform's limits, which all answers of a workspace or channel share
   * (Slack counts per workspace and method, Discord per channel). The core asks right
   * before each call and builds the call's body after, so what goes out is current.
   */
  pace?(question: Question, op: WriteOp): Promise<void>;
  /**
   * Replaces the text of a message this bot posted. When the platform refuses the edit
   * and the adapter posts a replacement instead, it returns the replacement: the core
   * records it in place of `message` (and checkpoints it), so later edits, even after a
   * restart, go to the replacement and never post a second one.
   */
  edit(
    question: Question,
    message: SentMessage,
    text: string,
    controls?: MessageControls,
  ): Promise<SentMessage | undefined>;
  /** Turns the model's markdown into text the platform renders, with every mass or user mention neutralised. */
  render(markdown: string): string;
  /**
   * Optional: a `render` for one growing answer, which the core calls at every edit with
   * text that mostly extends the last; it returns exactly what `render` returns, at the
   * cost of what changed. Absent, the core calls `render`.
   */
  renderer?(): (markdown: string) => string;
  /**
   * Optional: `renderer` for an answer the core hands on as a `Tailed` text (settled part
   * plus tail): returns the rendered text the same way, reading only what follows what it
   * rendered before. Absent, the core renders the whole text.
   */
  growingRenderer?(): (markdown: Tailed) => Tailed;
  /** Optional: shows that the bot is working (Slack thread status, Discord typing); the core renews it while it waits and calls it with "" when done, which clears it where the platform can. */
  showWorking?(question: Question, status: string): Promise<void>;
  /** Optional: the platform's native streaming; absent, the core posts and then edits. */
  readonly stream?: NativeStream;
  /** Optional: records that `message` answers `question`, so replies to it reach the same conversation. */
  rememberAnswer?(question: Question, message: SentMessage): Promise<void>;
  /**
   * Optional: downloads an attachment of the question's conversation (Slack with the bot
   * token, Discord from its CDN), at most `ATTACHMENT_MAX_BYTES`, within a timeout, never
   * leaving the platform's own file hosts (redirects included). Resolves undefined, having
   * requested nothing, when the URL is not https on one of those hosts; rejects with an
   * `AttachmentError` saying why when the download fails. Absent, the model gets no files.
   */
  fetchAttachment?(
    question: Question,
    attachment: Attachment,
  ): Promise<FetchedAttachment | undefined>;
}

/**
 * Native streaming of one message (Slack `chat.startStream` / `appendStream` / `stopStream`).
 * Text appended is final; the core rotates to a new message before `maxAgeMs` or `maxChars`.
 * `start` throws `ChatApiError` with code `stream_unsupported` when the workspace lacks it;
 * the core then falls back to post + edit for the rest of the answer.
 */
export interface NativeStream {
  /** Longest a stream may stay open before the platform expires it. */
  readonly maxAgeMs: number;
  /** Most characters one streamed message may hold in total. */
  readonly maxChars: number;
  /**
   * Whether the channel setting `streaming=auto` streams this question natively (Slack: in
   * DMs, where every reader sees the stream live) or posts and edits.
   */
  preferredFor?(question: Question): boolean;
  start(question: Question, text: string): Promise<SentMessage>;
  /**
   * Optional: shows the model's steps as task cards in the stream (Slack `task_update`
   * chunks), in the open `message`, or in a new stream when `message` is undefined (the new
   * message is returned). Throws `ChatApiError` with code `tasks_unsupported` when the
   * workspace rejects them; the core then shows steps in the progress line only.
   */
  tasks?(
    question: Question,
    message: SentMessage | undefined,
    steps: readonly TaskStep[],
  ): Promise<SentMessage | undefined>;
  append(question: Question, message: SentMessage, text: string): Promise<void>;
  stop(question: Question, message: SentMessage, finalText?: string): Promise<void>;
}
