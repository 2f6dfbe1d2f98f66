/**
 * What the fake Slack checks and returns about one message: its shape, Slack's content
 * limits, and the `ts` arithmetic. Kept apart from the server so each file stays small.
 */

/** A file object as messages carry it (the fields Quarry reads; see `slack-files.ts`). */
export interface FakeSlackFile {
  id?: string;
  name?: string;
  mimetype?: string;
  size?: number;
  url_private?: string;
  /** `hosted`, `external` (e.g. Google Drive), `tombstone` (deleted). */
  mode?: string;
  /** `check_file_info` on Slack Connect files whose object is incomplete. */
  file_access?: string;
}

export interface FakeSlackMessage {
  type?: "message";
  ts: string;
  thread_ts?: string;
  user?: string;
  bot_id?: string;
  app_id?: string;
  subtype?: string;
  text: string;
  blocks?: unknown[];
  files?: FakeSlackFile[];
  metadata?: { event_type: string; event_payload: Record<string, unknown> };
  reply_count?: number;
  edited?: { user: string; ts: string };
  /** Task cards a native stream shows (`task_update` chunks), by id. */
  tasks?: Record<string, { title: string; status: string }>;
}

export type Args = Record<string, unknown>;
export type Answer = Record<string, unknown>;

/** A Slack `ok: false` answer: the message is Slack's error string. */
export class SlackError extends Error {}

export const MARKDOWN_LIMIT = 12_000;
/** `text` is nominally 40,000 characters, but `chat.update` refuses from about 4,000 (see PLATFORM-FACTS). */
const TEXT_LIMIT = 40_000;
export const UPDATE_TEXT_LIMIT = 4_000;
const MAX_BLOCKS = 50;
/** Block Kit's limits on an `actions` block and its buttons. */
const MAX_ACTIONS = 25;
const BUTTON_LIMITS = { text: 75, action_id: 255, value: 2000 } as const;

export const tsFromMicros = (m: number) =>
  `${Math.floor(m / 1e6)}.${String(m % 1e6).padStart(6, "0")}`;
export const microsFromTs = (ts: string) => {
  const [s = "0", f = "0"] = ts.split(".");
  return Number(s) * 1e6 + Number(f.padEnd(6, "0"));
};
export const str = (v: unknown) => (typeof v === "string" ? v : undefined);
export const truthy = (v: unknown) => v === true || v === "true" || v === "1";

export function need(value: unknown, error: string): string {
  const s = str(value);
  if (!s) throw new SlackError(error);
  return s;
}

export function parseMaybeJson(value: unknown): unknown {
  if (typeof value !== "string") return value;
  try {
    return JSON.parse(value);
  } catch {
    throw new SlackError("invalid_arguments");
  }
}

/** Slack's content limits: 50 blocks, 12,000 markdown characters per message, `textLimit` of `text`. */
export function checkContent(a: Args, textLimit = TEXT_LIMIT): unknown[] | undefined {
  const blocks = a.blocks === undefined ? undefined : parseMaybeJson(a.blocks);
  const text = str(a.text);
  if (blocks === undefined && !text) throw new SlackError("no_text");
  if (text && text.length > textLimit) throw new SlackError("msg_too_long");
  if (blocks === undefined) return undefined;
  if (!Array.isArray(blocks) || blocks.length > MAX_BLOCKS) throw new SlackError("invalid_blocks");
  let markdown = 0;
  for (const block of blocks as Record<string, unknown>[]) {
    if (typeof block?.type !== "string") throw new SlackError("invalid_blocks");
    if (block.type === "markdown") {
      if (typeof block.text !== "string" || block.text === "")
        throw new SlackError("invalid_blocks");
      markdown += block.text.length;
    }
    if (block.type === "actions") checkActions(block);
  }
  if (markdown > MARKDOWN_LIMIT) throw new SlackError("msg_too_long");
  return blocks;
}

/** An `actions` block of buttons as Block Kit takes it; anything else in one is `invalid_blocks`. */
function checkActions(block: Record<string, unknown>): void {
  const elements = block.elements;
  if (!Array.isArray(elements) || elements.length === 0 || elements.length > MAX_ACTIONS)
    throw new SlackError("invalid_blocks");
  for (const el of elements as Record<string, unknown>[]) {
    const text = el?.text as { type?: unknown; text?: unknown } | undefined;
    const valid =
      el?.type === "button" &&
      typeof el.action_id === "string" &&
      el.action_id.length <= BUTTON_LIMITS.action_id &&
      text?.type === "plain_text" &&
      typeof text.text === "string" &&
      text.text.length > 0 &&
      text.text.length <= BUTTON_LIMITS.text &&
      (el.value === undefined ||
        (typeof el.value === "string" && el.value.length <= BUTTON_LIMITS.value)) &&
      (el.style === undefined || el.style === "primary" || el.style === "danger");
    if (!valid) throw new SlackError("invalid_blocks");
  }
}

/** The buttons a message shows, from its `actions` blocks. */
export function buttonsOf(m: FakeSlackMessage): { action_id: string; value?: string }[] {
  return (m.blocks ?? [])
    .filter((b): b is { type: "actions"; elements: unknown[] } => (b as Args)?.type === "actions")
    .flatMap((b) => b.elements as { action_id: string; value?: string }[]);
}

/** `metadata` as Slack takes it: an object (JSON body) or a JSON string (form), with `event_type`. */
export function checkMetadata(value: unknown): FakeSlackMessage["metadata"] {
  if (value === undefined) return undefined;
  const metadata = parseMaybeJson(value) as Partial<NonNullable<FakeSlackMessage["metadata"]>>;
  if (typeof metadata?.event_type !== "string" || typeof metadata.event_payload !== "object")
    throw new SlackError("invalid_metadata_format");
  return metadata as FakeSlackMessage["metadata"];
}

/** What people read: the `markdown` blocks when present, else `text`. */
export function visibleText(m: FakeSlackMessage): string {
  const markdown = (m.blocks ?? []).filter(
    (b): b is { type: "markdown"; text: string } => (b as { type?: string })?.type === "markdown",
  );
  return markdown.length ? markdown.map((b) => b.text).join("\n") : m.text;
}

/** A message as the Web API returns it; metadata only where the method was asked for it. */
export function publicView(m: FakeSlackMessage, withMetadata: boolean): Answer {
  const { metadata, ...rest } = m;
  return { type: "message", ...rest, ...(withMetadata && metadata ? { metadata } : {}) };
}

export function reply(body: Answer, status = 200, headers: Record<string, string> = {}): Response {
  return Response.json(body, { status, headers });
}
