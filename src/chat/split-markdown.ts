import { type Tailed, TailReader, whole } from "./growing-text.ts";
import { type FenceMap, FenceScanner, scanFences } from "./markdown.ts";

/** The text read (from `base` on) and its fences; offsets are in the whole text. */
type Layout = FenceMap & { text: string; base: number };

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
  return new MarkdownSplitter(maxChars).split(text);
}

/** Where a message starts, and the cut that ended the one before it. */
interface Start {
  at: number;
  cut?: Cut;
}

/**
 * `splitMarkdown` for a growing answer, split again at every edit: when the text extends
 * the one split before, the messages whose every choice looked only at lines that text had
 * complete are kept (they cannot change, see above) and only the rest is split again, on a
 * scan that also resumes (`FenceScanner`). Any other text is split from the start. The
 * result equals `splitMarkdown(text, maxChars)` every time.
 */
export class MarkdownSplitter {
  private readonly scanner: FenceScanner;
  private readonly input = new TailReader();
  private src = "";
  /** Where the last text split ended, and where its last line started. */
  private length = 0;
  private lastLine = 0;
  private chunks: string[] = [];
  private starts: Start[] = [];
  private lineStarts: number[] = [0];

  constructor(private readonly maxChars: number) {
    if (!(maxChars >= MIN_MAX_CHARS))
      throw new RangeError(`maxChars must be at least ${MIN_MAX_CHARS}`);
    this.scanner = new FenceScanner(maxChars);
  }

  split(text: string): string[] {
    const src = normalize(text);
    const prev = this.src;
    const grew = !!prev && src.length >= prev.length && src.slice(0, prev.length) === prev;
    this.src = src;
    // The next `splitTailed` starts over.
    this.input.reset();
    return this.splitFrom(src, 0, grew && this.length === prev.length);
  }

  /**
   * `split(whole(text))` for an answer handed on as a `Tailed` text: reads only the text
   * from the first message that may change on.
   */
  splitTailed(text: Tailed): string[] {
    if (text.settled.hasCR || text.tail.includes("\r")) return this.split(whole(text));
    const read = this.input.read(text);
    this.src = "";
    const chunks = this.splitFrom(read.text, read.base, read.grew);
    this.input.keep(text, read.base, read.text, this.resumeAt());
    return chunks;
  }

  /** Where the next split of a longer text starts reading (see `splitFrom`). */
  private resumeAt(): number {
    const { starts, maxChars } = this;
    let keep = 0;
    while (keep < starts.length - 1 && (starts[keep] as Start).at + maxChars < this.lastLine)
      keep++;
    const at = Math.min(starts[keep]?.at ?? 0, this.lastLine);
    // A cut looks at the line before the one it ends.
    const { lineStarts } = this;
    const line = lineOf(lineStarts, at);
    return lineStarts[Math.max(0, line - 1)] ?? 0;
  }

  /** Splits the text that is `text` from `base` on; `grew` when it extends the last one. */
  private splitFrom(text: string, base: number, grew: boolean): string[] {
    const { maxChars } = this;
    const total = base + text.length;
    if (total <= maxChars) {
      this.length = 0;
      this.lastLine = 0;
      this.chunks = [];
      this.starts = [];
      this.lineStarts = [0];
      return text ? [text] : [];
    }
    const layout: Layout = {
      text,
      base,
      ...this.scanner.scan(text, base, grew && this.length > 0),
    };
    let keep = 0;
    if (grew && this.length) {
      // A message's choice looks at most `maxChars` on from its start.
      while (
        keep < this.starts.length - 1 &&
        (this.starts[keep] as Start).at + maxChars < this.lastLine
      )
        keep++;
    }
    const chunks = this.chunks.slice(0, keep);
    const starts = this.starts.slice(0, keep + 1);
    if (!starts.length) starts.push({ at: 0 });
    let { at: start, cut } = starts[keep] as Start;
    for (;;) {
      const fence = cut && cut.fence >= 0 ? layout.fences[cut.fence] : undefined;
      const reopen = fence ? `${fence.reopen}\n${cut?.midLine ? fence.quote : ""}` : "";
      const room = maxChars - reopen.length;
      if (total - start <= room) {
        chunks.push(reopen + text.slice(start - base));
        break;
      }
      cut = chooseCut(layout, start, room);
      chunks.push(reopen + text.slice(start - base, cut.at - base) + cut.close);
      start = cut.at;
      starts.push({ at: start, cut });
    }
    this.length = total;
    this.lineStarts = layout.lineStarts;
    this.lastLine = layout.lineStarts.at(-1) ?? 0;
    this.chunks = chunks;
    this.starts = starts;
    return [...chunks];
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

// Markdown reads CR and CRLF as line breaks; the scanner splits at LF only, so convert first.
function normalize(text: string): string {
  return text.includes("\r") ? text.replace(/\r\n?/g, "\n") : text;
}

function chooseCut(layout: Layout, start: number, room: number): Cut {
  const { text, base, lineStarts, fenceOf, fences } = layout;
  const end = start + room;
  const newlineBefore = (pos: number) => {
    const i = text.lastIndexOf("\n", pos - base);
    return i < 0 ? -1 : base + i;
  };
  let bestParagraph: Cut | undefined;
  let bestLine: Cut | undefined;
  let poorLine: Cut | undefined;
  let p = newlineBefore(end - 1);
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
        (fence === undefined && isHeading(text, (lineStarts[line - 1] ?? 0) - base, p - base));
      if (poor) poorLine ??= cut;
      else {
        bestLine ??= cut;
        if (!bestParagraph && isBlank(text, (lineStarts[line - 1] ?? at) - base, p - base))
          bestParagraph = cut;
      }
    }
    if (at - start < room / 2 && bestLine) break;
    p = p > start ? newlineBefore(p - 1) : -1;
    line -= 1;
  }
  if (bestParagraph && bestParagraph.at - start >= room / 2) return bestParagraph;
  return bestLine ?? poorLine ?? cutInsideLine(layout, start, end);
}

/** One line longer than the room: cut after its last space that fits, else anywhere. */
function cutInsideLine(layout: Layout, start: number, end: number): Cut {
  const { text, base, lineStarts } = layout;
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
    const code = text.charCodeAt(i - 1 - base);
    if (code === 32 || code === 9) return { at: i, close, fence, midLine: true };
  }
  let at = limit;
  // Never leave half of a surrogate pair (an emoji) at the end of a message.
  if (at - 1 > start && isHighSurrogate(text.charCodeAt(at - 1 - base))) at -= 1;
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

/** Scans once: which lines sit inside which fenced code block. */
function analyse(text: string, maxChars: number): Layout {
  return { text, base: 0, ...scanFences(text, maxChars) };
}
