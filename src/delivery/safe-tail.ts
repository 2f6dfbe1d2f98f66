/**
 * How much of a growing answer may be shown now. Text streams word by word, so only a tail
 * that could still turn into something else is held back:
 * - a line that opens or closes a code fence, until the line ends (its info string is
 *   not known yet, and a half-typed fence renders as text);
 * - a partial mention, channel or special token (`<@U1`, `<!chan`, `&lt;!`), or a
 *   trailing `@word` that could grow into `@everyone` / `@here`: pieces appended to a
 *   native stream are neutralised one at a time, so a mention must arrive whole;
 * - a partial entity (`&am`);
 * - a link or image whose `[text](url)` is not closed, and a bare URL still being typed;
 * - a run of emphasis markers (`*`, `_`, `~`, `` ` ``) at the very end.
 * Everything before that is final and safe to show, even mid-line.
 */
import { mayBeFenceLine } from "../chat/markdown.ts";

/** A construct that stays open for longer than this is not one: show it as text. */
const MAX_HELD = 400;

const TRAILING_MARKERS = /[*_~`]+$/;
const TRAILING_AT = /(^|[^\w@])@[\w.-]*$/;
const TRAILING_ENTITY = /&#?\w*$/;
const TRAILING_URL = /(^|\s|\()(https?:\/\/|www\.)\S*$/i;

/** The end of what may be shown of `text` now (all of it when `final`). */
export function safeEnd(text: string, final = false): number {
  if (final) return text.length;
  const lineStart = text.lastIndexOf("\n") + 1;
  const line = text.slice(lineStart);
  if (!line) return text.length;
  if (mayBeFenceLine(line)) return lineStart;
  const held = heldFrom(line);
  if (held === undefined || line.length - held > MAX_HELD) return text.length;
  return lineStart + held;
}

/** Where in `line` (the unfinished last line) the unsafe tail starts, if it has one. */
function heldFrom(line: string): number | undefined {
  const starts: number[] = [];
  const angle = line.lastIndexOf("<");
  if (angle >= 0 && !line.includes(">", angle)) starts.push(angle);
  const encoded = line.lastIndexOf("&lt;");
  if (encoded >= 0 && !line.includes("&gt;", encoded)) starts.push(encoded);
  const link = openLinkStart(line);
  if (link !== undefined) starts.push(link);
  for (const re of [TRAILING_AT, TRAILING_ENTITY, TRAILING_URL, TRAILING_MARKERS]) {
    const m = re.exec(line);
    if (m) starts.push(m.index + (m[1]?.length ?? 0));
  }
  return starts.length ? Math.min(...starts) : undefined;
}

/**
 * The start of a `[text](url)` (or `![alt](url)`) the line has not finished: an unmatched
 * `[`, or a `](` whose `)` has not come.
 */
function openLinkStart(line: string): number | undefined {
  const open = line.lastIndexOf("[");
  if (open < 0) return undefined;
  const start = open > 0 && line[open - 1] === "!" ? open - 1 : open;
  const close = line.indexOf("]", open);
  if (close < 0) return start;
  if (line[close + 1] !== "(") return undefined;
  return line.includes(")", close) ? undefined : start;
}
