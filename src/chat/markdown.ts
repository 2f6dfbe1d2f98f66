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

import {
  at,
  closes,
  fenceRun,
  isBlankFrom,
  isHeading,
  isThematicBreak,
  listMarkerLength,
  skipIndent,
  skipQuotes,
  startsBlock,
} from "./markdown-lines.ts";

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

/**
 * Finds every fenced code block of `text`. `maxChars` bounds a message: a reopen and close
 * line that would take more than half of one fall back to the bare marker.
 */
export function scanFences(text: string, maxChars = Number.POSITIVE_INFINITY): FenceMap {
  return new FenceScanner(maxChars).scan(text);
}

/** The scan's state at the start of a line. */
interface ScanState {
  /** Content columns of the open list items, innermost last, and the quote depth they are in. */
  lists: number[];
  listQuote: number;
  open: OpenBlock | undefined;
  /** The last line was paragraph text, which a less indented line may continue. */
  paragraph: boolean;
}

/** Where a longer text resumes: the last line's start, and the state there. */
interface Resume extends ScanState {
  line: number;
  fences: number;
  /** The open block's `last` and `closed`, which the last line may have changed. */
  openLast: number;
}

/**
 * `scanFences` for a growing text: a text that extends the one scanned before is scanned
 * from the start of that one's last line (the only line whose reading may change), so
 * scanning an answer at every edit costs the new lines, not the whole answer again. Any
 * other text is scanned from the start. The map returned is valid until the next `scan`.
 */
export class FenceScanner {
  private text = "";
  /** Where `text` starts in the text scanned. */
  private base = 0;
  private readonly lineStarts: number[] = [0];
  private fenceOf = new Int32Array(0);
  private role = new Uint8Array(0);
  private readonly fences: Fence[] = [];
  private resume?: Resume;

  constructor(private readonly maxChars = Number.POSITIVE_INFINITY) {}

  /**
   * Scans `text`; or, with `base`, the end of a longer text that `text` is from `base` on,
   * where `grew` says that longer text extends the one scanned before (the caller knows:
   * see `TailReader`). `base` must then be at most the start of the last line scanned
   * before, where the scan resumes; the map's offsets are in the longer text.
   */
  scan(text: string, base = 0, grew = false): FenceMap {
    const last = this.resume && (this.lineStarts[this.resume.line] as number);
    const resume =
      this.resume &&
      (grew
        ? base <= (last as number)
        : base === 0 &&
          this.base === 0 &&
          text.length >= this.text.length &&
          text.slice(0, this.text.length) === this.text)
        ? this.resume
        : undefined;
    if (!resume && base > 0) throw new RangeError("a partial text must extend the last scan");
    this.base = base;
    const from = resume?.line ?? 0;
    const { lineStarts, fences } = this;
    lineStarts.length = from + 1;
    for (
      let i = text.indexOf("\n", (lineStarts[from] as number) - base);
      i >= 0;
      i = text.indexOf("\n", i + 1)
    )
      lineStarts.push(base + i + 1);
    const lines = lineStarts.length;
    this.reserve(lines, from);
    const { fenceOf, role } = this;
    fenceOf.fill(-1, from, lines);
    role.fill(TEXT, from, lines);
    fences.length = resume?.fences ?? 0;
    const open = resume?.open && { ...resume.open };
    if (open && resume) {
      const fence = fences[open.index] as Fence;
      fence.last = resume.openLast;
      fence.closed = false;
    }
    this.text = text;
    this.read(from, {
      lists: [...(resume?.lists ?? [])],
      listQuote: resume?.listQuote ?? 0,
      open,
      paragraph: resume?.paragraph ?? false,
    });
    return {
      lineStarts,
      fenceOf: fenceOf.subarray(0, lines),
      role: role.subarray(0, lines),
      fences,
    };
  }

  /** Room for `lines` lines, keeping what the lines before `keep` hold. */
  private reserve(lines: number, keep: number): void {
    if (this.role.length >= lines) return;
    const size = keep ? Math.max(lines, this.role.length * 2) : lines;
    const fenceOf = new Int32Array(size);
    const role = new Uint8Array(size);
    fenceOf.set(this.fenceOf.subarray(0, keep));
    role.set(this.role.subarray(0, keep));
    this.fenceOf = fenceOf;
    this.role = role;
  }

  private saveResume(line: number, state: ScanState): void {
    const open = state.open;
    this.resume = {
      line,
      lists: [...state.lists],
      listQuote: state.listQuote,
      open: open && { ...open },
      paragraph: state.paragraph,
      fences: this.fences.length,
      openLast: open ? (this.fences[open.index] as Fence).last : -1,
    };
  }

  /** Reads the lines from `from` on, starting in `state`. */
  private read(from: number, state: ScanState): void {
    const { text, lineStarts, fenceOf, role, fences, maxChars } = this;
    const offset = this.base;
    const lines = lineStarts.length;
    const { lists } = state;
    let { listQuote, open, paragraph } = state;
    for (let line = from; line < lines; line++) {
      // The last line may still grow: a longer text resumes from its start.
      if (line === lines - 1) this.saveResume(line, { lists, listQuote, open, paragraph });
      const start = (lineStarts[line] as number) - offset;
      const end = line + 1 < lines ? (lineStarts[line + 1] as number) - 1 - offset : text.length;
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
            if (
              !blank &&
              at.col - open.base <= 3 &&
              closes(text, at.pos, end, open.char, open.length)
            ) {
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
  }
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
