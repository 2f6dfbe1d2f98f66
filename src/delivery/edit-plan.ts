import type { MessageControls } from "../chat/adapter.ts";
import type { Tailed } from "../chat/growing-text.ts";
import { openFenceAt } from "../chat/markdown.ts";
import { MarkdownSplitter, renderableTail } from "../chat/split-markdown.ts";
import type { SentMessage } from "../chat/types.ts";
import { safeEnd } from "./safe-tail.ts";
import { bodyBlank, bodySafeEnd } from "./view-body.ts";

/** Room kept free in each message for the progress line shown under a growing answer. */
export const STATUS_ROOM = 200;

/** What the thread should show, already rendered for the platform. */
export interface View {
  /** The answer so far, rendered. */
  body: string;
  /** The same, as a growing text, when the writer has it: the plans then read only its end. */
  grown?: Tailed;
  /** The progress line, rendered ("" for none). */
  status: string;
  /** The answer is complete: show all of it, hold nothing back. */
  final: boolean;
  /** While the answer runs: the message with the progress line carries a Stop for this question. */
  stop?: string;
}

/** What the thread shows now: the answer's messages and their text. */
export interface Shown {
  readonly messages: readonly (SentMessage | undefined)[];
  readonly shown: readonly string[];
  /** Messages the platform lost (deleted): the next call posts their text anew. */
  readonly lost: ReadonlySet<number>;
}

/** One platform call that brings the thread closer to the view. */
export type EditAction =
  | { op: "post"; index: number; text: string; controls?: MessageControls }
  | { op: "edit"; index: number; text: string; controls?: MessageControls; closes?: boolean };

/**
 * Where post-and-edit starts: message `index` shows the body from `offset` on. Both are 0
 * unless native streaming gave up mid-answer and its messages keep the start.
 */
export interface EditBase {
  offset: number;
  index: number;
}

/**
 * The splitter for one answer's messages of at most `maxChars`: kept from edit to edit, it
 * splits again only the end of a growing answer.
 */
export function editSplitter(maxChars: number): MarkdownSplitter {
  return new MarkdownSplitter(maxChars - STATUS_ROOM);
}

/**
 * The messages an answer takes in post-and-edit mode: the safe part of the body split to fit,
 * an open code block closed at the end of each message and reopened at the top of the next,
 * and the progress line under the last one (or alone, before any text). `splitter`, from
 * `editSplitter(maxChars)`, carries the split over from the answer's previous edit.
 */
export function desiredMessages(
  view: View,
  base: EditBase,
  maxChars: number,
  splitter = editSplitter(maxChars),
): string[] {
  // Below a status header (native streaming gave up mid-answer), the header shows the status.
  const status = base.index === 0 ? view.status : "";
  const grown = view.grown;
  const end = grown && !base.offset ? bodySafeEnd(view, view.final) : -1;
  let chunks: string[];
  if (grown && end >= grown.settled.length) {
    // The growing body: split reading only its end.
    if (bodyBlank(view, end)) return [status || "…"];
    const tail = grown.tail.slice(0, end - grown.settled.length);
    chunks = splitter.splitTailed({ settled: grown.settled, tail });
  } else {
    const visible = view.body.slice(0, safeEnd(view.body, view.final));
    // After natively streamed messages, a code block they left open is reopened here.
    const open = base.offset ? openFenceAt(visible.slice(0, base.offset)) : undefined;
    const rest = (open ? `${open.reopen}\n` : "") + visible.slice(base.offset);
    if (!rest.trim()) return [status || "…"];
    chunks = splitter.split(rest);
  }
  const last = chunks.length - 1;
  if (!view.final) chunks[last] = renderableTail(chunks[last] ?? "");
  if (status) chunks[last] = `${chunks[last]}\n\n${status}`.slice(0, maxChars);
  return chunks;
}

/** The next call post-and-edit needs: the first message that differs from the view. */
export function planEdit(
  view: View,
  now: Shown,
  base: EditBase,
  maxChars: number,
  splitter?: MarkdownSplitter,
): EditAction | undefined {
  const desired = desiredMessages(view, base, maxChars, splitter);
  // The Stop goes with the progress line: under the last message, unless a header shows it.
  const stopAt = view.stop && base.index === 0 ? desired.length - 1 : -1;
  for (let i = 0; i < desired.length; i++) {
    const index = base.index + i;
    const text = desired[i] as string;
    const controls =
      i === stopAt ? { controls: { stop: { questionId: view.stop as string } } } : {};
    if (index >= now.messages.length || now.lost.has(index))
      return { op: "post", index, text, ...controls };
    if (now.shown[index] === text) continue;
    // The last edit of a message that filled up: its successor is still to be posted.
    const closes = i < desired.length - 1 && index + 1 >= now.messages.length;
    return { op: "edit", index, text, ...controls, ...(closes ? { closes } : {}) };
  }
  return undefined;
}

/** The status message above a natively streamed answer: its next edit, if it needs one. */
export function planHeader(line: string, now: Shown, stop?: string): EditAction | undefined {
  if (!line || now.messages.length === 0) return undefined;
  const controls = stop ? { controls: { stop: { questionId: stop } } } : {};
  if (now.lost.has(0)) return { op: "post", index: 0, text: line, ...controls };
  return now.shown[0] === line ? undefined : { op: "edit", index: 0, text: line, ...controls };
}
