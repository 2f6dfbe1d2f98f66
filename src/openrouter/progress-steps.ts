/**
 * "What the model is doing" from the stream, read leniently: the shapes vary by provider and
 * are in beta at OpenRouter, so an entry we cannot read is skipped, never an error.
 *
 * - `reasoning_details` entries of type `reasoning.server_tool_call`. OpenRouter's OpenAPI
 *   spec (`ReasoningDetailServerToolCall`) has `tool_name` and `arguments` / `result` as JSON
 *   strings; streams in the wild also send `name`, `status` and `arguments` as an object, and
 *   OpenAI-style `action: { type: "search" | "open_page" | "find_in_page", query, url }`.
 * - Reasoning summaries: deep research starts each summary part with a bold heading
 *   (`**Searching for HTTP/3 adoption**`), which is the step; the text under it is not.
 */

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);
const text = (value: unknown): string | undefined =>
  typeof value === "string" && value.trim() ? value.trim() : undefined;

/** Longest step text; chat progress lines have little room. */
export const MAX_STEP_CHARS = 120;

/** One line of plain text, no markdown emphasis or code ticks, at most `MAX_STEP_CHARS`. */
export function plainStep(raw: string): string {
  const flat = raw
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this removes
    .replace(/[\u0000-\u001f\u007f]+/g, " ")
    .replace(/[*_`]+/g, "")
    .replace(/\s+/g, " ")
    .trim();
  return flat.length > MAX_STEP_CHARS ? `${flat.slice(0, MAX_STEP_CHARS - 1).trimEnd()}…` : flat;
}

/** `arguments` is a JSON string in the spec, an object in some streams, or a bare query. */
function readArguments(value: unknown): Json {
  if (isObject(value)) return value;
  const raw = text(value);
  if (!raw) return {};
  try {
    const parsed: unknown = JSON.parse(raw);
    if (isObject(parsed)) return parsed;
    return typeof parsed === "string" ? { query: parsed } : {};
  } catch {
    return { query: raw };
  }
}

/** `example.org/docs/page` from a URL: enough to recognise the page, short enough for a line. */
function shortUrl(url: string): string {
  try {
    const u = new URL(url);
    const path = u.pathname === "/" ? "" : u.pathname.replace(/\/$/, "");
    return `${u.host.replace(/^www\./, "")}${path}`;
  } catch {
    return url;
  }
}

const first = (...values: unknown[]) => values.map(text).find((v) => v !== undefined);

/** The step text for one `reasoning.server_tool_call` entry, or undefined when unreadable. */
export function toolCallStep(entry: unknown): string | undefined {
  if (!isObject(entry)) return undefined;
  const args = readArguments(entry.arguments ?? entry.args ?? entry.input);
  const action = isObject(entry.action) ? entry.action : {};
  const fn = isObject(entry.function) ? entry.function : {};
  const tool = (first(entry.tool_name, entry.name, entry.tool, fn.name) ?? "").toLowerCase();
  const queries = [args.queries, action.queries, entry.queries].find(Array.isArray) as
    | unknown[]
    | undefined;
  const query = first(
    args.query,
    args.q,
    args.search_query,
    action.query,
    entry.query,
    queries?.[0],
  );
  const url = first(args.url, action.url, entry.url);
  const pattern = first(args.pattern, action.pattern);
  const kind = (first(action.type, args.type) ?? "").toLowerCase();
  if (kind === "find_in_page" && pattern) {
    return plainStep(`Looking for “${pattern}”${url ? ` in ${shortUrl(url)}` : ""}`);
  }
  if (kind === "open_page" || /fetch|open|browse|visit|read/.test(tool) || (url && !query)) {
    if (url) return plainStep(`Reading ${shortUrl(url)}`);
  }
  if (query) return plainStep(`Searching the web: ${query}`);
  if (/search/.test(tool)) return "Searching the web";
  // A named tool we know nothing about still says the model is busy with something.
  const name = tool
    .replace(/^openrouter:/, "")
    .replace(/[_.:]+/g, " ")
    .trim();
  return name ? plainStep(`Using ${name}`) : undefined;
}

/**
 * Finds complete `**heading**` lines in streamed reasoning text, which arrives in pieces.
 * Only a heading that starts a line counts; bold words inside a sentence are not steps.
 */
export class HeadingReader {
  // The stream's start counts as a line start.
  private buffer = "\n";

  /** Feeds more reasoning text; returns the headings it completed. */
  feed(chunk: string): string[] {
    this.buffer += chunk;
    const headings: string[] = [];
    const pattern = /\n[ \t]*\*\*([^*\n]{2,200})\*\*/g;
    let consumed = 0;
    for (let m = pattern.exec(this.buffer); m; m = pattern.exec(this.buffer)) {
      const heading = plainStep(m[1] ?? "");
      if (heading) headings.push(heading);
      consumed = m.index + m[0].length;
    }
    this.buffer = this.buffer.slice(consumed);
    // Keep only what could still begin a heading: the last line, and not a runaway one.
    const lastLine = this.buffer.lastIndexOf("\n");
    this.buffer =
      lastLine < 0 || this.buffer.length - lastLine > 400 ? "" : this.buffer.slice(lastLine);
    return headings;
  }
}

/**
 * Step texts from streamed reasoning, each reported once in a row: a tool call repeated as
 * `in_progress` then `completed`, or a summary heading sent again, is one step.
 */
export class StepReader {
  private readonly headings = new HeadingReader();
  private last: string | undefined;
  private readonly seenCalls = new Map<string, string>();

  /** Steps from one chunk's reasoning text and `reasoning_details` entries. */
  read(reasoningText: string, details: unknown[]): string[] {
    const steps: string[] = [];
    if (reasoningText) steps.push(...this.headings.feed(reasoningText));
    for (const entry of details) {
      if (!isObject(entry) || entry.type !== "reasoning.server_tool_call") continue;
      const step = toolCallStep(entry);
      if (!step) continue;
      const id = first(entry.id, entry.tool_call_id);
      if (id) {
        if (this.seenCalls.get(id) === step) continue;
        this.seenCalls.set(id, step);
      }
      steps.push(step);
    }
    return steps.filter((step) => {
      if (step === this.last) return false;
      this.last = step;
      return true;
    });
  }
}
