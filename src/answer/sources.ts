import { GrowingText, type Tailed, TailReader } from "../chat/growing-text.ts";
import { FenceScanner, scanFences, TEXT } from "../chat/markdown.ts";
import type { Citation } from "../openrouter/types.ts";

/** One numbered source of an answer. */
export interface Source {
  n: number;
  url: string;
  title: string;
}

/**
 * A markdown link to an http(s) URL (one level of parentheses inside the URL, as in
 * Wikipedia's `Foo_(bar)`), or an image, which is left alone.
 */
const LINK = /(!?)\[([^\]\n]*)\]\((https?:\/\/(?:[^()\s]|\([^()\s]*\))+)\)/g;

/** The same source whatever its trailing slash or fragment. */
export function sourceKey(url: string): string {
  return url.replace(/#.*$/, "").replace(/\/+$/, "");
}

/**
 * Numbers the answer's sources and marks each inline link with its number: `[RFC
 * 9000](https://…)` becomes `[RFC 9000](https://…) [1]`. Numbers go by first appearance
 * in the text, so they never change as the answer grows (a streamed prefix stays as it
 * was shown), then citations the text never linked follow in the order they came. Links
 * in code are left alone. Returns the marked text and the list, deduped by URL.
 */
export function numberSources(
  text: string,
  citations: readonly Citation[] = [],
): { text: string; sources: Source[] } {
  const numbering = new Numbering(citations);
  const lines = text.split("\n");
  const { role } = scanFences(text);
  for (let i = 0; i < lines.length; i++) {
    if (role[i] === TEXT) lines[i] = numbering.mark(lines[i] as string);
  }
  for (const c of citations) numbering.add(c.url, c.title ?? "");
  return { text: lines.join("\n"), sources: [...numbering.byKey.values()] };
}

/**
 * `numberSources(text).text` for an answer that grows, asked for at every edit: lines
 * already complete are marked once and kept (their numbers never change), so each call
 * marks only the new lines. A text that does not extend the last one starts over.
 */
export class StreamedSources {
  private readonly scanner = new FenceScanner();
  private numbering = new Numbering([]);
  /** The complete lines marked so far, as given and as marked. */
  private done = "";
  private marked = "";
  private lines = 0;

  text(text: string): string {
    if (text.length < this.done.length || text.slice(0, this.done.length) !== this.done) {
      this.numbering = new Numbering([]);
      this.done = "";
      this.marked = "";
      this.lines = 0;
    }
    const { role, lineStarts } = this.scanner.scan(text);
    const last = lineStarts.length - 1;
    for (; this.lines < last; this.lines++) {
      const from = lineStarts[this.lines] as number;
      const line = text.slice(from, (lineStarts[this.lines + 1] as number) - 1);
      this.marked += `${role[this.lines] === TEXT ? this.numbering.mark(line) : line}\n`;
    }
    this.done = text.slice(0, lineStarts[last]);
    // The last line may still change: marked on a copy, so its links get numbers only once whole.
    const tail = text.slice(lineStarts[last]);
    if (role[last] !== TEXT || !tail.includes("](")) return this.marked + tail;
    return this.marked + this.numbering.copy().mark(tail);
  }
}

/**
 * `StreamedSources` for an answer kept as a `GrowingText`: returns the marked text as its
 * marked complete lines (which only grow) and the marked last line, reading only the text
 * after the lines marked before, so an edit costs what the answer gained.
 */
export class GrowingSources {
  private readonly scanner = new FenceScanner();
  private readonly input = new TailReader();
  private numbering = new Numbering([]);
  private marked = new GrowingText();
  /** Where the lines not yet marked start, and their index. */
  private done = 0;
  private lines = 0;

  text(raw: GrowingText): Tailed {
    const input = { settled: raw, tail: "" };
    const read = this.input.read(input);
    if (!read.grew) {
      this.numbering = new Numbering([]);
      this.marked = new GrowingText();
      this.done = 0;
      this.lines = 0;
    }
    const { base, text } = read;
    const { role, lineStarts } = this.scanner.scan(text, base, read.grew);
    const last = lineStarts.length - 1;
    for (; this.lines < last; this.lines++) {
      const from = (lineStarts[this.lines] as number) - base;
      const line = text.slice(from, (lineStarts[this.lines + 1] as number) - 1 - base);
      this.marked.append(`${role[this.lines] === TEXT ? this.numbering.mark(line) : line}\n`);
    }
    this.done = lineStarts[last] as number;
    this.input.keep(input, base, text, this.done);
    const tail = text.slice(this.done - base);
    const marked =
      role[last] !== TEXT || !tail.includes("](") ? tail : this.numbering.copy().mark(tail);
    return { settled: this.marked, tail: marked };
  }
}

/** The numbers given so far, by source. */
class Numbering {
  readonly byKey: Map<string, Source>;
  private readonly cited: Map<string, Citation>;
  /** A copy reads through to the numbering it copies (which must not change meanwhile). */
  private readonly base?: Numbering;

  constructor(citations: readonly Citation[], base?: Numbering) {
    this.cited = base ? base.cited : new Map(citations.map((c) => [sourceKey(c.url), c]));
    this.byKey = new Map();
    this.base = base;
  }

  /** A numbering to mark a line on that may still change: costs what it adds, not a copy. */
  copy(): Numbering {
    return new Numbering([], this);
  }

  add(url: string, title: string): Source {
    const key = sourceKey(url);
    let source = this.find(key);
    if (!source) {
      const n = this.size() + 1;
      source = { n, url, title: clean(title) || hostOf(url) };
      this.byKey.set(key, source);
    }
    return source;
  }

  private find(key: string): Source | undefined {
    return this.byKey.get(key) ?? this.base?.find(key);
  }

  private size(): number {
    return this.byKey.size + (this.base?.size() ?? 0);
  }

  /** A line of text with each inline link followed by its source's number. */
  mark(line: string): string {
    return outsideCode(line, (part) =>
      part.replace(LINK, (whole, bang: string, label: string, url: string) => {
        if (bang) return whole;
        const source = this.add(url, this.cited.get(sourceKey(url))?.title ?? label);
        return `${whole} [${source.n}]`;
      }),
    );
  }
}

/** The sources as a numbered markdown list under a heading (empty when there are none). */
export function sourcesBlock(sources: readonly Source[]): string {
  if (!sources.length) return "";
  return ["**Sources**", ...sources.map((s) => `${s.n}. [${s.title}](${s.url})`)].join("\n");
}

/** Applies `fn` to the parts of `line` outside inline code spans. */
function outsideCode(line: string, fn: (part: string) => string): string {
  if (!line.includes("`")) return fn(line);
  return line
    .split(/(`+[^`]*`+)/)
    .map((part, i) => (i % 2 ? part : fn(part)))
    .join("");
}

/** A title safe inside `[…]`: one line, no brackets, not too long. */
function clean(title: string): string {
  const flat = title.replace(/[[\]]/g, "").replace(/\s+/g, " ").trim();
  return flat.length > 120 ? `${flat.slice(0, 117)}…` : flat;
}

function hostOf(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return url;
  }
}
