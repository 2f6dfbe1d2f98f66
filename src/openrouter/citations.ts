import type { Citation } from "./types.ts";

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null;
const nonEmpty = (value: unknown): value is string =>
  typeof value === "string" && value.trim() !== "";

/**
 * The key two citation URLs share when they name the same page: scheme and host lowercased,
 * `#fragment` and a trailing slash dropped, the query string kept (it often picks the page).
 */
export function citationKey(url: string): string {
  const raw = url.trim();
  try {
    const u = new URL(raw);
    u.hash = "";
    const path = u.pathname.replace(/\/+$/, "");
    return `${u.protocol}//${u.host}${path}${u.search}`;
  } catch {
    return raw.replace(/#.*$/, "").replace(/\/+$/, "");
  }
}

/**
 * Every `url_citation` seen in one stream. Providers split annotations over chunks and repeat
 * them (often the whole list again on the last chunk), sometimes with a title the first lacked.
 */
export class CitationSet {
  private readonly byKey = new Map<string, Citation>();

  /** Adds annotations from any chunk location; returns the entries that are new or improved. */
  add(annotations: unknown[]): Citation[] {
    const changed = new Map<string, Citation>();
    for (const annotation of annotations) {
      const incoming = readCitation(annotation);
      if (!incoming) continue;
      const key = citationKey(incoming.url);
      const known = this.byKey.get(key);
      const merged = known ? merge(known, incoming) : incoming;
      if (!known || merged !== known) {
        this.byKey.set(key, merged);
        changed.set(key, merged);
      }
    }
    return [...changed.values()];
  }

  /** All citations so far, in the order their URLs first appeared. */
  all(): Citation[] {
    return [...this.byKey.values()];
  }
}

/** The earlier entry with what it lacked filled in, or the same object when nothing was new. */
function merge(known: Citation, incoming: Citation): Citation {
  const next: Citation = { ...known };
  let changed = false;
  if (incoming.title && (!known.title || known.title === known.url)) {
    if (incoming.title !== known.title) {
      next.title = incoming.title;
      changed = true;
    }
  }
  if (incoming.content && !known.content) {
    next.content = incoming.content;
    changed = true;
  }
  if (known.startIndex === undefined && incoming.startIndex !== undefined) {
    next.startIndex = incoming.startIndex;
    next.endIndex = incoming.endIndex;
    changed = true;
  }
  return changed ? next : known;
}

/** One annotation as a citation, or undefined for anything but a `url_citation` with a URL. */
export function readCitation(annotation: unknown): Citation | undefined {
  if (!isObject(annotation) || annotation.type !== "url_citation") return undefined;
  // Some providers put the fields on the annotation itself instead of under `url_citation`.
  const c = isObject(annotation.url_citation) ? annotation.url_citation : annotation;
  if (!nonEmpty(c.url)) return undefined;
  const citation: Citation = { url: c.url.trim() };
  if (nonEmpty(c.title)) citation.title = c.title.trim();
  if (nonEmpty(c.content)) citation.content = c.content;
  if (typeof c.start_index === "number") citation.startIndex = c.start_index;
  if (typeof c.end_index === "number") citation.endIndex = c.end_index;
  return citation;
}

/** Annotations wherever a chunk carries them: `delta`, `message` (some providers) or the choice. */
export function chunkAnnotations(choice: Json): unknown[] {
  const delta = isObject(choice.delta) ? choice.delta : {};
  const message = isObject(choice.message) ? choice.message : {};
  return [delta.annotations, message.annotations, choice.annotations].flatMap((a) =>
    Array.isArray(a) ? a : [],
  );
}
