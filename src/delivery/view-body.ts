import type { ChatAdapter } from "../chat/adapter.ts";
import { type Tailed, whole } from "../chat/growing-text.ts";
import { safeEnd } from "./safe-tail.ts";

/**
 * The answer's rendered body as the plans read it: a string, or (where the text and the
 * adapter's renderer both grow) a `Tailed` text whose settled part the plans never read
 * whole, so an edit of a long answer costs its end.
 */
export interface Body {
  /** The body as one string (costs the whole body when `grown` is set: plans avoid it). */
  readonly body: string;
  readonly grown?: Tailed;
}

/** The body's length. */
export function bodyLength(view: Body): number {
  const g = view.grown;
  return g ? g.settled.length + g.tail.length : view.body.length;
}

/** The body from `from` to `to`, reading only that part. */
export function bodySlice(view: Body, from: number, to = bodyLength(view)): string {
  const g = view.grown;
  if (!g) return view.body.slice(from, to);
  const settled = g.settled.length;
  if (from >= settled) return g.tail.slice(from - settled, to - settled);
  return (g.settled.from(from) + g.tail).slice(0, to - from);
}

/** `safeEnd(view.body, final)`, reading only the body's last line. */
export function bodySafeEnd(view: Body, final: boolean): number {
  const g = view.grown;
  if (!g) return safeEnd(view.body, final);
  const length = bodyLength(view);
  if (final) return length;
  const nl = g.tail.lastIndexOf("\n");
  const lineStart = nl >= 0 ? g.settled.length + nl + 1 : g.settled.lastLineStart;
  return lineStart + safeEnd(bodySlice(view, lineStart, length));
}

/** The body's first `end` characters are all white space. */
export function bodyBlank(view: Body, end = bodyLength(view)): boolean {
  const g = view.grown;
  if (!g || end < g.settled.length) return !bodySlice(view, 0, end).trim();
  return g.settled.blank && !g.tail.slice(0, end - g.settled.length).trim();
}

/**
 * Renders the answer for the writer, once per text: a `Tailed` text goes through the
 * adapter's growing renderer where it has one, anything else through `renderer` or
 * `render`.
 */
export class BodyRenderer {
  private readonly renderString: (markdown: string) => string;
  private readonly renderGrown?: (markdown: Tailed) => Tailed;
  private last?: { text: string | Tailed; settled: number; body: Body };

  constructor(adapter: ChatAdapter) {
    this.renderString = adapter.renderer?.() ?? ((markdown) => adapter.render(markdown));
    this.renderGrown = adapter.growingRenderer?.();
  }

  render(text: string | Tailed): Body {
    const last = this.last;
    if (last && sameText(last.text, last.settled, text)) return last.body;
    let body: Body;
    if (typeof text === "string") body = { body: this.renderString(text) };
    else if (this.renderGrown) body = lazy(this.renderGrown(text));
    else body = { body: this.renderString(whole(text)) };
    this.last = { text, settled: typeof text === "string" ? 0 : text.settled.length, body };
    return body;
  }
}

function sameText(a: string | Tailed, settled: number, b: string | Tailed): boolean {
  if (typeof a === "string" || typeof b === "string") return a === b;
  return a.settled === b.settled && settled === b.settled.length && a.tail === b.tail;
}

/** A body whose whole string is built only if someone asks for it. */
function lazy(grown: Tailed): Body {
  let flat: string | undefined;
  return {
    grown,
    get body() {
      flat ??= whole(grown);
      return flat;
    },
  };
}
