import { Lexer, type MarkedToken, type Token } from "marked";

/** A fenced code block, located by line. */
interface Fence {
  /** Line of the opening fence. */
  open: number;
  /** Last line of the block: the closing fence when `closed`, else its last content line. */
  last: number;
  closed: boolean;
  /** The fence characters (```` ``` ````, `~~~~`, …). */
  marker: string;
  /** Line that closes the block at the end of a message (keeps a list/quote prefix). */
  close: string;
  /** Line that reopens the block at the top of the next message, with its info string. */
  reopen: string;
  /** Blockquote markers that must start the rest of a line split inside the block. */
  quote: string;
}

interface Layout {
  text: string;
  lineStarts: number[];
  /** Per line: index into `fences` when the line is inside a fence (after its opener), else -1. */
  fenceOf: Int32Array;
  fences: Fence[];
  /** Position of the last character that is not whitespace. */
  lastNonBlank: number;
}

interface Cut {
  at: number;
  /** Appended to the message to close a fence left open at `at`. */
  close: string;
  /** The fence the next message must reopen, or -1. */
  fence: number;
  /** The cut splits a line. */
  midLine: boolean;
}

/** Below this a reopened fence plus its closer would leave no room for text. */
const MIN_MAX_CHARS = 32;

/**
 * Splits a markdown answer (possibly still growing) into messages of at most `maxChars`
 * characters (UTF-16 units, which never undercount what Slack and Discord count).
 * Greedy from the start: each message ends at a paragraph break when one leaves it at
 * least half full, else at a line break, else (one over-long line) at a space, else at a
 * hard cut. A code block split across messages is closed at the end of one and reopened
 * with its info string at the top of the next, counted inside `maxChars`.
 *
 * Stable as text grows: a message followed by another depends only on text that is
 * already there, so it never changes when more is appended.
 */
export function splitMarkdown(text: string, maxChars: number): string[] {
  if (!(maxChars >= MIN_MAX_CHARS))
    throw new RangeError(`maxChars must be at least ${MIN_MAX_CHARS}`);
  const src = normalize(text);
  if (src.length <= maxChars) return src ? [src] : [];
  const layout = analyse(src, maxChars);
  const chunks: string[] = [];
  let start = 0;
  let cut: Cut | undefined;
  for (;;) {
    const fence = cut && cut.fence >= 0 ? layout.fences[cut.fence] : undefined;
    const reopen = fence ? `${fence.reopen}\n${cut?.midLine ? fence.quote : ""}` : "";
    const room = maxChars - reopen.length;
    if (src.length - start <= room) {
      chunks.push(reopen + src.slice(start));
      return chunks;
    }
    cut = chooseCut(layout, start, room);
    chunks.push(reopen + src.slice(start, cut.at) + cut.close);
    start = cut.at;
  }
}

/**
 * Makes an in-progress message render: closes a code fence the text leaves open (and
 * touches nothing else), completing a half-typed closing fence rather than adding one.
 */
export function renderableTail(text: string): string {
  const src = normalize(text);
  if (!src.includes("```") && !src.includes("~~~")) return src;
  const { fences, lineStarts } = analyse(src, Number.POSITIVE_INFINITY);
  const lastLine = lineStarts.length - 1;
  const fence = fences.at(-1);
  if (!fence || fence.closed || fence.last < lastLine) return src;
  const tail = src.slice(lineStarts[lastLine]);
  const prefixLength = fence.close.length - fence.marker.length;
  const typed = tail.slice(prefixLength);
  const partialCloser =
    lastLine > fence.open &&
    tail.startsWith(fence.close.slice(0, prefixLength)) &&
    typed.length > 0 &&
    fence.marker.startsWith(typed);
  if (partialCloser) return src + fence.marker.slice(typed.length);
  return `${src}${src.endsWith("\n") ? "" : "\n"}${fence.close}`;
}

// marked itself turns CR and CRLF into LF before lexing; doing it first keeps offsets aligned.
function normalize(text: string): string {
  return text.includes("\r") ? text.replace(/\r\n?/g, "\n") : text;
}

function chooseCut(layout: Layout, start: number, room: number): Cut {
  const { text, lineStarts, fenceOf, fences } = layout;
  const end = start + room;
  let bestParagraph: Cut | undefined;
  let bestLine: Cut | undefined;
  let poorLine: Cut | undefined;
  let p = text.lastIndexOf("\n", end - 1);
  let line = p >= start ? lineOf(lineStarts, p + 1) : -1;
  while (p >= start) {
    const at = p + 1;
    const f = fenceOf[line] ?? -1;
    const fence = fences[f];
    const close = fence ? fence.close : "";
    if (at - start + close.length <= room) {
      const cut = { at, close, fence: f, midLine: false };
      // Cutting right after an opener or right before a closer leaves an empty code block,
      // and right after a heading leaves it apart from what it heads (a Sources list).
      const poor =
        (fence !== undefined &&
          (line === fence.open + 1 || (fence.closed && line === fence.last))) ||
        (fence === undefined && isHeading(text, lineStarts[line - 1] ?? 0, p));
      if (poor) poorLine ??= cut;
      else {
        bestLine ??= cut;
        if (!bestParagraph && isBlank(text, lineStarts[line - 1] ?? at, p)) bestParagraph = cut;
      }
    }
    if (at - start < room / 2 && bestLine) break;
    p = p > start ? text.lastIndexOf("\n", p - 1) : -1;
    line -= 1;
  }
  if (bestParagraph && bestParagraph.at - start >= room / 2) return bestParagraph;
  return bestLine ?? poorLine ?? cutInsideLine(layout, start, end);
}

/** One line longer than the room: cut after its last space that fits, else anywhere. */
function cutInsideLine(layout: Layout, start: number, end: number): Cut {
  const { text, lineStarts } = layout;
  let line = lineOf(lineStarts, end - 1);
  let lineEnd = end;
  const lineStart = lineStarts[line] ?? start;
  // That line began too close to the end to fit a closer: cut inside the one before it.
  if (lineStart > start) {
    lineEnd = lineStart - 1;
    line -= 1;
  }
  const { close, fence } = closerFor(layout, line);
  const limit = Math.max(start + 1, Math.min(lineEnd, end - close.length));
  const from = Math.max(start, lineStarts[line] ?? start);
  for (let i = limit; i > from + 1; i--) {
    const code = text.charCodeAt(i - 1);
    if (code === 32 || code === 9) return { at: i, close, fence, midLine: true };
  }
  let at = limit;
  // Never leave half of a surrogate pair (an emoji) at the end of a message.
  if (at - 1 > start && isHighSurrogate(text.charCodeAt(at - 1))) at -= 1;
  return { at, close, fence, midLine: true };
}

/** What closes a message cut in the middle of `line`. */
function closerFor(layout: Layout, line: number): { close: string; fence: number } {
  const f = layout.fenceOf[line] ?? -1;
  const fence = layout.fences[f];
  if (!fence || (fence.closed && line === fence.last)) return { close: "", fence: -1 };
  return { close: `\n${fence.close}`, fence: f };
}

/** A heading line: `# …` or a line that is all bold (`**Sources**`), as answers use them. */
function isHeading(text: string, from: number, to: number): boolean {
  const line = text.slice(from, to);
  return /^\s{0,3}#{1,6}\s/.test(line) || /^\s{0,3}\*\*[^*\n]+\*\*:?\s*$/.test(line);
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isBlank(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const code = text.charCodeAt(i);
    if (code !== 32 && code !== 9) return false;
  }
  return true;
}

/** Index of the line holding `pos`: the last line start at or before it. */
function lineOf(lineStarts: number[], pos: number): number {
  let lo = 0;
  let hi = lineStarts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((lineStarts[mid] ?? 0) <= pos) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Lexes once and records which lines sit inside which fenced code block. */
function analyse(text: string, maxChars: number): Layout {
  const lineStarts = [0];
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) lineStarts.push(i + 1);
  let lastNonBlank = text.length - 1;
  while (lastNonBlank >= 0 && /\s/.test(text.charAt(lastNonBlank))) lastNonBlank--;
  const fenceOf = new Int32Array(lineStarts.length).fill(-1);
  const layout: Layout = { text, lineStarts, fenceOf, fences: [], lastNonBlank };
  // Block tokens only: inline parsing would cost time and says nothing about where to cut.
  const tokens = new Lexer({ gfm: true, silent: true }).blockTokens(text, []);
  let offset = 0;
  for (const token of tokens) {
    // Top-level raws tile the text; resync if marked ever reshapes one.
    if (!text.startsWith(token.raw, offset)) {
      const found = text.indexOf(token.raw, offset);
      if (found >= 0) offset = found;
    }
    visit(layout, token, lineOf(lineStarts, offset), maxChars);
    offset += token.raw.length;
  }
  return layout;
}

/**
 * Lists and quotes are lexed by marked from their de-indented content, whose lines map
 * one to one onto the original lines, so nested blocks are located by counting lines.
 */
function visit(layout: Layout, token: Token, line: number, maxChars: number): void {
  const t = token as MarkedToken;
  if (t.type === "code" && t.codeBlockStyle !== "indented") addFence(layout, t.raw, line, maxChars);
  else if (t.type === "blockquote") visitAll(layout, t.tokens, line, maxChars);
  else if (t.type === "list") {
    let itemLine = line;
    for (const item of t.items) {
      visitAll(layout, item.tokens, itemLine, maxChars);
      itemLine += countLines(item.raw);
    }
  }
}

function visitAll(layout: Layout, tokens: Token[], line: number, maxChars: number): void {
  let at = line;
  for (const token of tokens) {
    visit(layout, token, at, maxChars);
    at += countLines(token.raw);
  }
}

function countLines(raw: string): number {
  let n = 0;
  for (let i = raw.indexOf("\n"); i >= 0; i = raw.indexOf("\n", i + 1)) n++;
  return n;
}

function addFence(layout: Layout, raw: string, open: number, maxChars: number): void {
  const { text, lineStarts, fenceOf, fences } = layout;
  const marker = /^[ \t]*(`{3,}|~{3,})/.exec(raw)?.[1];
  if (!marker || open >= lineStarts.length) return;
  const opener = text.slice(lineStarts[open], (lineStarts[open + 1] ?? text.length + 1) - 1);
  const at = opener.indexOf(marker);
  if (at < 0) return;
  const body = raw.endsWith("\n") ? raw.slice(0, -1) : raw;
  const lastLine = body.slice(body.lastIndexOf("\n") + 1).trim();
  const closed =
    body.includes("\n") &&
    lastLine.length >= marker.length &&
    lastLine === (marker[0] as string).repeat(lastLine.length);
  let last = Math.min(lineStarts.length - 1, open + countLines(closed ? body : raw));
  // marked trims trailing blank lines off a list item, but an open fence owns them until
  // the next line says otherwise (keeps a split at them stable as the text grows).
  if (!closed && (lineStarts[last + 1] ?? 0) > layout.lastNonBlank) last = lineStarts.length - 1;
  // Keep blockquote markers, blank out list bullets; a reopened fence indented four or
  // more spaces would read as an indented code block, so cap the indent at three.
  const prefix = opener.slice(0, at).replace(/[^>\s]/g, " ");
  const reopenPrefix = prefix.includes(">") ? prefix : prefix.slice(0, 3);
  let close = prefix + marker;
  let reopen = reopenPrefix + marker + opener.slice(at + marker.length).trimEnd();
  if (reopen.length + close.length + 2 > maxChars / 2) {
    close = marker;
    reopen = marker;
  }
  const quote = prefix.includes(">") ? prefix : "";
  const index = fences.push({ open, last, closed, marker, close, reopen, quote }) - 1;
  for (let line = open + 1; line <= last; line++) fenceOf[line] = index;
}
