import { scanFences, TEXT } from "../chat/markdown.ts";
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
  const byKey = new Map<string, Source>();
  const add = (url: string, title: string) => {
    const key = sourceKey(url);
    let source = byKey.get(key);
    if (!source) {
      source = { n: byKey.size + 1, url, title: clean(title) || hostOf(url) };
      byKey.set(key, source);
    }
    return source;
  };
  const cited = new Map(citations.map((c) => [sourceKey(c.url), c]));
  const lines = text.split("\n");
  const { role } = scanFences(text);
  for (let i = 0; i < lines.length; i++) {
    if (role[i] !== TEXT) continue;
    lines[i] = outsideCode(lines[i] as string, (part) =>
      part.replace(LINK, (whole, bang: string, label: string, url: string) => {
        if (bang) return whole;
        const source = add(url, cited.get(sourceKey(url))?.title ?? label);
        return `${whole} [${source.n}]`;
      }),
    );
  }
  for (const c of citations) add(c.url, c.title ?? "");
  return { text: lines.join("\n"), sources: [...byKey.values()] };
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
