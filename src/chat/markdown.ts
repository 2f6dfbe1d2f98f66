/**
 * The one reader of markdown structure: where fenced code blocks open and close, inside
 * list items and block quotes too. The splitter, the delivery plans, the source numbering
 * and both platforms' formatting all ask this module, so they never disagree about what
 * is code.
 *
 * A line scanner, not a CommonMark parser (https://spec.commonmark.org/0.31.2/#fenced-code-blocks):
 * it follows the rules that decide fences (an opener indented at most three columns past
 * its container, a closer of the same character at least as long, a block quote or list
 * item that ends ends the block) and ignores the rest of markdown, which no caller needs.
 * Each line's role depends only on the lines before it and itself, so what is code never
 * changes as an answer grows; blank lines inside an open block stay in it.
 */

/** A line of prose (or anything outside fenced code). */
export const TEXT = 0;
/** A line inside a fenced code block. */
export const CODE = 1;
/** A line that opens or closes a fenced code block. */
export const FENCE = 2;

/** A fenced code block, located by line. */
export interface Fence {
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

export interface FenceMap {
  /** Offset where each line starts (lines end at `\n`). */
  lineStarts: number[];
  /** Per line: index into `fences` when the line is in a block after its opener, else -1. */
  fenceOf: Int32Array;
  /** Per line: `TEXT`, `CODE` or `FENCE`. */
  role: Uint8Array;
  fences: Fence[];
}

/** The block being read: where its container starts, and what closes it. */
interface OpenBlock {
  index: number;
  /** Block quote depth of the opener; a line with fewer `>` ends the block. */
  quote: number;
  /** Content column of the list item holding it (0 outside lists); a line left of it ends the block. */
  base: number;
  char: number;
  length: number;
  /** The line before was the opener or blank: a less indented line now ends the list item. */
  strict: boolean;
}

const SPACE = 32;
const TAB = 9;
const CR = 13;
const GT = 62;
const BACKTICK = 96;
const TILDE = 126;
const HASH = 35;

/** Where the scan stands on a line: an offset, and the column it sits at. */
const at = { pos: 0, col: 0 };

/**
 * Finds every fenced code block of `text`. `maxChars` bounds a message: a reopen and close
 * line that would take more than half of one fall back to the bare marker.
 */
export function scanFences(text: string, maxChars = Number.POSITIVE_INFINITY): FenceMap {
  const lineStarts = [0];
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) lineStarts.push(i + 1);
  const lines = lineStarts.length;
  const fenceOf = new Int32Array(lines).fill(-1);
  const role = new Uint8Array(lines);
  const fences: Fence[] = [];
  /** Content columns of the open list items, innermost last, and the quote depth they are in. */
  const lists: number[] = [];
  let listQuote = 0;
  let open: OpenBlock | undefined;
  /** The last line was paragraph text, which a less indented line may continue. */
  let paragraph = false;

  for (let line = 0; line < lines; line++) {
    const start = lineStarts[line] as number;
    const end = line + 1 < lines ? (lineStarts[line + 1] as number) - 1 : text.length;
    if (open) {
      const fence = fences[open.index] as Fence;
      const depth = skipQuotes(text, start, end, open.quote);
      // The empty line after a final newline is where the next line will be typed.
      const ends = depth < open.quote && (start < end || line < lines - 1);
      if (!ends) {
        skipIndent(text, at.pos, end);
        const blank = isBlankFrom(text, at.pos, end);
        // A line left of the list item's content ends the item (CommonMark) when it follows
        // the opener or a blank line, or starts a block. Further into the block marked,
        // whose reading the splitter kept when it used marked, takes it as the item's (a
        // lazy line): models often write code under a list item less indented than its text.
        const inItem = at.col >= open.base || (!open.strict && !startsBlock(text, at.pos, end));
        open.strict = blank;
        if (blank || inItem) {
          fenceOf[line] = open.index;
          fence.last = line;
          if (!blank && at.col - open.base <= 3 && closes(text, at.pos, end, open)) {
            role[line] = FENCE;
            fence.closed = true;
            open = undefined;
            paragraph = false;
          } else role[line] = CODE;
          continue;
        }
      }
      // Its block quote or list item ended: so did the block (unclosed); read the line anew.
      open = undefined;
      paragraph = false;
    }

    const depth = skipQuotes(text, start, end, Number.POSITIVE_INFINITY);
    if (depth !== listQuote) {
      lists.length = 0;
      listQuote = depth;
    }
    skipIndent(text, at.pos, end);
    if (isBlankFrom(text, at.pos, end)) {
      paragraph = false;
      continue;
    }
    const item = lists.at(-1);
    // A paragraph line indented too little for its list item still belongs to the item (a
    // lazy continuation line) unless it starts a block of its own.
    if (paragraph && item !== undefined && at.col < item && !startsBlock(text, at.pos, end))
      continue;
    while (lists.length && at.col < (lists.at(-1) as number)) lists.pop();
    let base = lists.at(-1) ?? 0;
    if (at.col - base <= 3 && isThematicBreak(text, at.pos, end)) {
      paragraph = false;
      continue;
    }
    // List markers, several when items nest on one line (`- 1. ```sh`).
    let items = 0;
    for (;;) {
      if (at.col - base > 3) break;
      const marker = listMarkerLength(text, at.pos, end);
      if (!marker) break;
      const markerCol = at.col + marker;
      skipIndent(text, at.pos + marker, end, markerCol);
      const gap = at.col - markerCol;
      // A marker alone, or followed by five or more columns (indented code): content one column on.
      base = at.pos >= end || gap > 4 ? markerCol + 1 : at.col;
      lists.push(base);
      items++;
    }
    if (at.pos >= end) {
      paragraph = false;
      continue;
    }
    // Indented code, or the continuation of a paragraph.
    if (at.col - base > 3) {
      paragraph &&= items === 0;
      continue;
    }
    const length = fenceRun(text, at.pos, end);
    if (!length) {
      paragraph = !isHeading(text, at.pos, end);
      continue;
    }
    const opener = text.slice(start, end);
    const markerAt = at.pos - start;
    const index = fences.push(fenceAt(opener, markerAt, length, line, maxChars)) - 1;
    role[line] = FENCE;
    open = { index, quote: depth, base, char: text.charCodeAt(at.pos), length, strict: true };
    paragraph = false;
  }
  return { lineStarts, fenceOf, role, fences };
}

/** The block's close, reopen and quote lines, from its opening line. */
function fenceAt(
  opener: string,
  markerAt: number,
  length: number,
  line: number,
  maxChars: number,
): Fence {
  const marker = opener.slice(markerAt, markerAt + length);
  // Keep blockquote markers, blank out list bullets; a reopened fence indented four or
  // more spaces would read as an indented code block, so cap the indent at three.
  const prefix = opener.slice(0, markerAt).replace(/[^>\s]/g, " ");
  const quoted = prefix.includes(">");
  let close = prefix + marker;
  let reopen =
    (quoted ? prefix : prefix.slice(0, 3)) + marker + opener.slice(markerAt + length).trimEnd();
  if (reopen.length + close.length + 2 > maxChars / 2) {
    close = marker;
    reopen = marker;
  }
  return {
    open: line,
    last: line,
    closed: false,
    marker,
    close,
    reopen,
    quote: quoted ? prefix : "",
  };
}

/**
 * Skips up to `max` block quote markers (`>`, each after at most three spaces, with one
 * optional space after it) from `pos`; returns how many, and leaves `at` after them.
 */
function skipQuotes(text: string, pos: number, end: number, max: number): number {
  let depth = 0;
  let p = pos;
  while (depth < max) {
    let q = p;
    while (q < end && q - p < 3 && text.charCodeAt(q) === SPACE) q++;
    if (q >= end || text.charCodeAt(q) !== GT) break;
    q++;
    const next = text.charCodeAt(q);
    if (q < end && (next === SPACE || next === TAB)) q++;
    p = q;
    depth++;
  }
  at.pos = p;
  at.col = 0;
  return depth;
}

/** Skips spaces and tabs (tab stops every four columns) from `pos` at column `col`. */
function skipIndent(text: string, pos: number, end: number, col = 0): void {
  let p = pos;
  let c = col;
  for (; p < end; p++) {
    const code = text.charCodeAt(p);
    if (code === SPACE) c++;
    else if (code === TAB) c += 4 - (c % 4);
    else break;
  }
  at.pos = p;
  at.col = c;
}

function isBlankFrom(text: string, pos: number, end: number): boolean {
  for (let p = pos; p < end; p++) {
    const code = text.charCodeAt(p);
    if (code !== SPACE && code !== TAB && code !== CR) return false;
  }
  return true;
}

/** Length of a list marker (`-`, `+`, `*`, `1.`, `1)`) at `pos` followed by a space or the end; else 0. */
function listMarkerLength(text: string, pos: number, end: number): number {
  const code = text.charCodeAt(pos);
  let p = pos;
  if (code === 45 || code === 43 || code === 42) p++;
  else {
    while (p < end && p - pos < 9 && isDigit(text.charCodeAt(p))) p++;
    const delimiter = text.charCodeAt(p);
    if (p === pos || p >= end || (delimiter !== 46 && delimiter !== 41)) return 0;
    p++;
  }
  const next = text.charCodeAt(p);
  return p >= end || next === SPACE || next === TAB || next === CR ? p - pos : 0;
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/** Length of the fence run opening a block at `pos` (three or more backticks or tildes), else 0. */
function fenceRun(text: string, pos: number, end: number): number {
  const char = text.charCodeAt(pos);
  if (char !== BACKTICK && char !== TILDE) return 0;
  let run = pos;
  while (run < end && text.charCodeAt(run) === char) run++;
  if (run - pos < 3) return 0;
  // A backtick opener's info string has no backtick: "```a``` b" is inline code.
  if (char === BACKTICK) {
    const tick = text.indexOf("`", run);
    if (tick >= 0 && tick < end) return 0;
  }
  return run - pos;
}

/** Whether the line at `pos` starts a block, which no paragraph continues into. */
function startsBlock(text: string, pos: number, end: number): boolean {
  return (
    text.charCodeAt(pos) === GT ||
    fenceRun(text, pos, end) > 0 ||
    listMarkerLength(text, pos, end) > 0 ||
    isHeading(text, pos, end) ||
    isThematicBreak(text, pos, end)
  );
}

/** An ATX heading: one to six `#`, then a space or the end of the line. */
function isHeading(text: string, pos: number, end: number): boolean {
  let p = pos;
  while (p < end && p - pos < 7 && text.charCodeAt(p) === HASH) p++;
  const hashes = p - pos;
  const next = text.charCodeAt(p);
  return hashes >= 1 && hashes <= 6 && (p >= end || next === SPACE || next === TAB);
}

/** `---`, `***`, `___` (spaces allowed between): a rule, not a list item. */
function isThematicBreak(text: string, pos: number, end: number): boolean {
  const char = text.charCodeAt(pos);
  if (char !== 45 && char !== 42 && char !== 95) return false;
  let count = 0;
  for (let p = pos; p < end; p++) {
    const code = text.charCodeAt(p);
    if (code === char) count++;
    else if (code !== SPACE && code !== TAB && code !== CR) return false;
  }
  return count >= 3;
}

/** A closing fence: the block's character, at least as many, then only spaces. */
function closes(text: string, pos: number, end: number, open: OpenBlock): boolean {
  let p = pos;
  while (p < end && text.charCodeAt(p) === open.char) p++;
  return p - pos >= open.length && isBlankFrom(text, p, end);
}

/** The code block `text` leaves open at its end, if any. */
export function openFenceAt(text: string): Fence | undefined {
  if (!text.includes("```") && !text.includes("~~~")) return undefined;
  const { fences, lineStarts } = scanFences(text);
  const fence = fences.at(-1);
  return fence && !fence.closed && fence.last === lineStarts.length - 1 ? fence : undefined;
}

/**
 * Whether `line`, still being typed, may open or close a fence: anything after block quote
 * markers, list bullets and indentation that starts with three backticks or tildes. Wider
 * than `scanFences` on purpose: it only says what to hold back until the line ends.
 */
export function mayBeFenceLine(line: string): boolean {
  return /^[ \t>]*(?:(?:[-+*]|\d{1,9}[.)])[ \t]+)*(?:`{3,}|~{3,})/.test(line);
}

/** `text` without the lines that open or close its code blocks (the code stays). */
export function withoutFenceLines(text: string): string {
  if (!text.includes("```") && !text.includes("~~~")) return text;
  const { role } = scanFences(text);
  return text
    .split("\n")
    .filter((_, i) => role[i] !== FENCE)
    .join("\n");
}
