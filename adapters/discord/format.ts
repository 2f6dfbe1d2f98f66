/**
 * Discord renders most markdown natively; what it lacks (tables, headings below `###`)
 * is rewritten, and mention syntax is broken with a zero-width space so that neither a
 * ping nor a mention pill can come out of a model's text.
 */

import { GrowingText, type Tailed, TailReader } from "../../src/chat/growing-text.ts";
import { CODE, type FenceMap, FenceScanner, scanFences, TEXT } from "../../src/chat/markdown.ts";

const ZWSP = "\u200b";
const TABLE_SEPARATOR = /^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$/;

/** The model's markdown as Discord message content. */
export function renderDiscord(markdown: string): string {
  return renderLines(markdown.split("\n"), scanFences(markdown), 0).join("\n");
}

/**
 * `renderDiscord` for one growing answer, called at every edit: the lines up to the last
 * blank line of prose are rendered once and kept (a table or any other rewrite never
 * reaches past a blank line, and what is code is settled for complete lines), so each
 * call renders only the block still being written. A text that does not extend the last
 * one starts over. Returns exactly what `renderDiscord` returns.
 */
export function discordRenderer(): (markdown: string) => string {
  const scanner = new FenceScanner();
  let done = "";
  let rendered = "";
  let doneLines = 0;
  return (markdown) => {
    if (markdown.length < done.length || markdown.slice(0, done.length) !== done) {
      done = "";
      rendered = "";
      doneLines = 0;
    }
    const map = scanner.scan(markdown);
    const { role, lineStarts } = map;
    const lines = markdown.slice(lineStarts[doneLines]).split("\n");
    let blank = -1;
    for (let i = lines.length - 2; i >= 0; i--) {
      if (role[doneLines + i] === TEXT && !(lines[i] as string).trim()) {
        blank = i;
        break;
      }
    }
    if (blank >= 0) {
      rendered += `${renderLines(lines.slice(0, blank + 1), map, doneLines).join("\n")}\n`;
      doneLines += blank + 1;
      done = markdown.slice(0, lineStarts[doneLines]);
    }
    return rendered + renderLines(lines.slice(blank + 1), map, doneLines).join("\n");
  };
}

/**
 * `discordRenderer` for an answer handed on as a `Tailed` text: the rendered blocks kept
 * are the settled part it returns, and only the text after them is read at each call.
 */
export function growingDiscordRenderer(): (markdown: Tailed) => Tailed {
  const scanner = new FenceScanner();
  const input = new TailReader();
  let rendered = new GrowingText();
  let done = 0;
  let doneLines = 0;
  return (markdown) => {
    const read = input.read(markdown);
    if (!read.grew) {
      rendered = new GrowingText();
      done = 0;
      doneLines = 0;
    }
    const { base, text } = read;
    const map = scanner.scan(text, base, read.grew);
    const { role, lineStarts } = map;
    const lines = text.slice(done - base).split("\n");
    let blank = -1;
    for (let i = lines.length - 2; i >= 0; i--) {
      if (role[doneLines + i] === TEXT && !(lines[i] as string).trim()) {
        blank = i;
        break;
      }
    }
    if (blank >= 0) {
      rendered.append(`${renderLines(lines.slice(0, blank + 1), map, doneLines).join("\n")}\n`);
      doneLines += blank + 1;
      done = lineStarts[doneLines] as number;
    }
    // The scan resumes at the last line, at or after `done`.
    input.keep(markdown, base, text, done);
    return {
      settled: rendered,
      tail: renderLines(lines.slice(blank + 1), map, doneLines).join("\n"),
    };
  };
}

/** Renders `lines`, whose first is line `offset` of the text `map` reads. */
function renderLines(lines: string[], map: FenceMap, offset: number): string[] {
  const { role, fenceOf, fences } = map;
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const at = offset + i;
    if (role[at] !== TEXT) {
      // Code renders literally, so it is left byte-exact, but only where Discord reads code
      // too: a closed ``` block (it has no ~~~ fences, and a longer fence or an unclosed one
      // is text to it). Fence lines hold only a marker and an info string: made inert. A
      // block that can still close is never among the settled lines a renderer keeps.
      const fence = fences[fenceOf[at] ?? -1];
      const literal =
        role[at] === CODE && fence?.closed && fence.marker === "```" && !line.includes("```");
      out.push(literal ? line : neutralizeDiscordMentions(line));
      continue;
    }
    const end = tableEnd(lines, i, role, offset);
    if (end > i) {
      out.push(...tableAsCode(lines.slice(i, end)));
      i = end - 1;
      continue;
    }
    out.push(neutralizeOutsideCode(smallHeading(line)));
  }
  return out;
}

/** Inserts a zero-width space after `@` in `@everyone`, `@here`, `<@id>`, `<@!id>` and `<@&id>`. */
export function neutralizeDiscordMentions(text: string): string {
  return text
    .replace(/@(everyone|here)\b/g, `@${ZWSP}$1`)
    .replace(/<@([!&]?\d+)>/g, `<@${ZWSP}$1>`);
}

/** What incoming text needs: a mentioned user, as in `mentions[]` of a message. */
export interface MentionedUser {
  id: string;
  username: string;
  global_name?: string | null;
  member?: { nick?: string | null };
}

/** The name people see for a user: server nickname, display name, else username. */
export function displayName(user: MentionedUser): string {
  return user.member?.nick || user.global_name || user.username;
}

/** Message content with Discord's markup (`<@id>`, `<#id>`, `<:emoji:id>`, `<t:…>`) as plain text. */
export function discordTextToPlain(
  content: string,
  mentions: readonly MentionedUser[] = [],
): string {
  const names = new Map(mentions.map((u) => [u.id, displayName(u)]));
  return content
    .replace(/<@!?(\d+)>/g, (_, id: string) => `@${names.get(id) ?? "user"}`)
    .replace(/<@&\d+>/g, "@role")
    .replace(/<#\d+>/g, "#channel")
    .replace(/<\/([\w -]+):\d+>/g, "/$1")
    .replace(/<a?:(\w+):\d+>/g, ":$1:")
    .replace(/<t:(-?\d+)(?::[tTdDfFsSR])?>/g, (_, s: string) =>
      new Date(Number(s) * 1000).toISOString(),
    );
}

function neutralizeOutsideCode(line: string): string {
  // Inline code never renders mentions; leave it byte-exact so it copies cleanly. A
  // backslash-escaped backtick opens no code: Discord shows it, and what follows is text.
  return line
    .split(/((?<!\\)`[^`\n]*`)/)
    .map((part, i) => (i % 2 === 1 ? part : neutralizeDiscordMentions(part)))
    .join("");
}

/** Discord renders `#` to `###` only; deeper headings would show their hashes. */
function smallHeading(line: string): string {
  const m = /^\s{0,3}#{4,6}\s+(.+?)\s*#*\s*$/.exec(line);
  return m ? `**${m[1]}**` : line;
}

/** Index after the markdown table starting at `start`, or `start` when there is none. */
function tableEnd(lines: string[], start: number, role: Uint8Array, offset: number): number {
  const header = lines[start] as string;
  const separator = lines[start + 1];
  if (!header.includes("|") || separator === undefined || !separator.includes("|")) return start;
  if (!TABLE_SEPARATOR.test(separator)) return start;
  if (cells(header).length !== cells(separator).length) return start;
  let end = start + 2;
  while (
    end < lines.length &&
    role[offset + end] === TEXT &&
    (lines[end] as string).includes("|") &&
    (lines[end] as string).trim()
  )
    end++;
  return end;
}

/** Discord does not render markdown tables: show them as an aligned code block instead. */
function tableAsCode(rows: string[]): string[] {
  const [header = "", , ...body] = rows;
  const table = [header, ...body].map((row) => cells(row).map(plainCell));
  const columns = Math.max(...table.map((r) => r.length));
  const widths = Array.from({ length: columns }, (_, c) =>
    Math.max(1, ...table.map((r) => [...(r[c] ?? "")].length)),
  );
  const line = (r: string[]) =>
    widths
      .map((w, c) => (r[c] ?? "").padEnd(w + (r[c] ?? "").length - [...(r[c] ?? "")].length))
      .join(" | ")
      .trimEnd();
  const rule = widths.map((w) => "-".repeat(w)).join("-+-");
  const [head = [], ...rest] = table;
  return ["```", line(head), rule, ...rest.map(line), "```"];
}

function cells(row: string): string[] {
  let s = row.trim();
  if (s.startsWith("|")) s = s.slice(1);
  if (s.endsWith("|") && !s.endsWith("\\|")) s = s.slice(0, -1);
  return s.split(/(?<!\\)\|/).map((c) => c.trim().replace(/\\\|/g, "|"));
}

/** Inside a code block markup shows literally: keep the words (and link targets). */
function plainCell(cell: string): string {
  return cell
    .replace(/\[([^\]]*)\]\(([^)\s]+)\)/g, "$1 ($2)")
    .replace(/(\*\*|__|~~)(.+?)\1/g, "$2")
    .replace(/`([^`]*)`/g, "$1")
    .replace(/<br\s*\/?>/gi, " ");
}
