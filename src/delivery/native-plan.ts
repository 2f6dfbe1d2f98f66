import { openFenceAt } from "../chat/markdown.ts";
import type { View } from "./edit-plan.ts";
import { bodySafeEnd, bodySlice } from "./view-body.ts";

/** The natively streamed message still open, if any. */
export interface NativeSegment {
  /** Its index among the answer's messages. */
  index: number;
  openedAt: number;
  /** Offset in the rendered body where this message's text starts. */
  start: number;
  /** Characters of the body appended so far. */
  appended: number;
  /** A fence line re-opened at the top of this message. */
  prefix: string;
}

/** Where native streaming stands: `end` is where the closed segments' text ends in the body. */
export interface NativeProgress {
  open?: NativeSegment;
  end: number;
}

/** Limits of one streamed message. */
export interface StreamLimits {
  maxChars: number;
  maxAgeMs: number;
}

export type NativeAction =
  /** Opens a new streamed message with `text` (`prefix` + the body from `start`, `length` chars of it). */
  | { op: "stream.start"; start: number; length: number; prefix: string; text: string }
  /** Appends `text` (`length` chars of the body) to the open message. */
  | { op: "stream.append"; length: number; text: string }
  /** Stops the open message, closing a code block it leaves open with `closing`. */
  | { op: "stream.stop"; closing?: string; closes?: boolean };

/** Characters kept free in a streamed message for the line that closes a code block. */
const CLOSE_ROOM = 8;

/**
 * The next native-streaming call: text appended is final, so only the safe part of the body
 * goes out (word by word), a message is stopped before it is too old or too full, and a
 * code block left open at a stop is closed there and reopened in the next message.
 */
export function planNative(
  view: View,
  progress: NativeProgress,
  limits: StreamLimits,
  now: number,
): NativeAction | undefined {
  const end = bodySafeEnd(view, view.final);
  const seg = progress.open;
  if (!seg) {
    const start = progress.end;
    if (end <= start) return undefined;
    const open = openFenceAt(bodySlice(view, 0, start));
    const prefix = open ? `${open.reopen}\n` : "";
    const room = limits.maxChars - prefix.length - CLOSE_ROOM;
    const piece = fitPiece(bodySlice(view, start, end), room, true);
    return { op: "stream.start", start, length: piece.length, prefix, text: prefix + piece };
  }
  const from = seg.start + seg.appended;
  const room = limits.maxChars - seg.prefix.length - seg.appended - CLOSE_ROOM;
  const pending = bodySlice(view, from, end);
  const expired = now - seg.openedAt > limits.maxAgeMs;
  // A message that fills up ends at a line break: the rest of the line opens the next one.
  const piece = pending ? fitPiece(pending, room, false) : "";
  if (expired || (pending && !piece) || (!pending && view.final)) {
    // Text waits for the next message: it may start right after this stop.
    const more = pending ? { closes: true } : {};
    const open = openFenceAt(bodySlice(view, 0, from));
    if (!open) return { op: "stream.stop", ...more };
    // A closer indented for a nested list may not fit the room kept: the bare marker does.
    const closing = `\n${open.close}`.length <= CLOSE_ROOM ? `\n${open.close}` : `\n${open.marker}`;
    return { op: "stream.stop", closing, ...more };
  }
  return piece ? { op: "stream.append", length: piece.length, text: piece } : undefined;
}

/**
 * The longest prefix of `text` within `room`: all of it when it fits, else up to a line
 * break; for a message that is still empty (`fresh`: a line longer than a whole message)
 * up to a space, else a cut mid-word. "" when nothing fits.
 */
export function fitPiece(text: string, room: number, fresh: boolean): string {
  if (text.length <= room) return text;
  if (room <= 0) return "";
  const line = text.lastIndexOf("\n", room - 1);
  if (line > 0) return text.slice(0, line + 1);
  if (!fresh) return "";
  const space = text.lastIndexOf(" ", room - 1);
  if (space > 0) return text.slice(0, space + 1);
  let cut = room;
  // Never leave half of a surrogate pair (an emoji) at the end of a message.
  const code = text.charCodeAt(cut - 1);
  if (cut > 1 && code >= 0xd800 && code <= 0xdbff) cut -= 1;
  return text.slice(0, cut);
}
