/**
 * Line-level tests the fence scanner (`markdown.ts`) applies, on `text` between `pos` and
 * `end` (a line without its `\n`), with no allocation: where a line's block quote markers,
 * indentation, list markers and fence runs end, and what kind of line it is.
 */

export const SPACE = 32;
export const TAB = 9;
export const CR = 13;
export const GT = 62;
export const BACKTICK = 96;
export const TILDE = 126;
export const HASH = 35;

/** Where the scan stands on a line: an offset, and the column it sits at. */
export const at = { pos: 0, col: 0 };

/**
 * Skips up to `max` block quote markers (`>`, each after at most three spaces, with one
 * optional space after it) from `pos`; returns how many, and leaves `at` after them.
 */
export function skipQuotes(text: string, pos: number, end: number, max: number): number {
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
export function skipIndent(text: string, pos: number, end: number, col = 0): void {
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

export function isBlankFrom(text: string, pos: number, end: number): boolean {
  for (let p = pos; p < end; p++) {
    const code = text.charCodeAt(p);
    if (code !== SPACE && code !== TAB && code !== CR) return false;
  }
  return true;
}

/** Length of a list marker (`-`, `+`, `*`, `1.`, `1)`) at `pos` followed by a space or the end; else 0. */
export function listMarkerLength(text: string, pos: number, end: number): number {
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

export function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/** Length of the fence run opening a block at `pos` (three or more backticks or tildes), else 0. */
export function fenceRun(text: string, pos: number, end: number): number {
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
export function startsBlock(text: string, pos: number, end: number): boolean {
  return (
    text.charCodeAt(pos) === GT ||
    fenceRun(text, pos, end) > 0 ||
    listMarkerLength(text, pos, end) > 0 ||
    isHeading(text, pos, end) ||
    isThematicBreak(text, pos, end)
  );
}

/** An ATX heading: one to six `#`, then a space or the end of the line. */
export function isHeading(text: string, pos: number, end: number): boolean {
  let p = pos;
  while (p < end && p - pos < 7 && text.charCodeAt(p) === HASH) p++;
  const hashes = p - pos;
  const next = text.charCodeAt(p);
  return hashes >= 1 && hashes <= 6 && (p >= end || next === SPACE || next === TAB);
}

/** `---`, `***`, `___` (spaces allowed between): a rule, not a list item. */
export function isThematicBreak(text: string, pos: number, end: number): boolean {
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
export function closes(
  text: string,
  pos: number,
  end: number,
  char: number,
  length: number,
): boolean {
  let p = pos;
  while (p < end && text.charCodeAt(p) === char) p++;
  return p - pos >= length && isBlankFrom(text, p, end);
}
