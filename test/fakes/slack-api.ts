/**
 * An in-process Slack Web API at `https://slack.test/api/<method>`: keeps channels and
 * threads, answers with Slack's real response shapes and errors (including HTTP 429 with
 * `Retry-After`), and records every call so tests assert on what Quarry sent.
 */

export const FAKE_SLACK_URL = "https://slack.test/api";

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
  files?: { id?: string; name?: string; mimetype?: string; url_private?: string }[];
  metadata?: { event_type: string; event_payload: Record<string, unknown> };
  reply_count?: number;
  edited?: { user: string; ts: string };
}

export interface FakeSlackUser {
  id: string;
  name: string;
  real_name?: string;
  display_name?: string;
  is_admin?: boolean;
  is_owner?: boolean;
}

export interface SlackCall {
  method: string;
  /** Parsed JSON body, or the form / query arguments as strings. */
  body: Record<string, unknown>;
  headers: Record<string, string>;
}

export interface FakeSlackOptions {
  token?: string;
  teamId?: string;
  botUserId?: string;
  botId?: string;
  nativeStreaming?: "ok" | "unknown_method" | "feature_not_enabled";
  /** Streams older than this answer `message_not_in_streaming_state` (Slack: about five minutes). */
  streamExpiresAfterMs?: number;
  now?: () => number;
}

type ThreadView = { ts: string; user?: string; bot_id?: string; text: string };
type Args = Record<string, unknown>;
type Answer = Record<string, unknown>;
class SlackError extends Error {}

/** Slack reads these methods' arguments from the query or a form body only; a JSON body is ignored. */
const FORM_ONLY = new Set(["conversations.replies", "users.info", "auth.test"]);
const MARKDOWN_LIMIT = 12_000;
const TEXT_LIMIT = 40_000;
const MAX_BLOCKS = 50;

const tsFromMicros = (m: number) => `${Math.floor(m / 1e6)}.${String(m % 1e6).padStart(6, "0")}`;
const microsFromTs = (ts: string) => {
  const [s = "0", f = "0"] = ts.split(".");
  return Number(s) * 1e6 + Number(f.padEnd(6, "0"));
};
const str = (v: unknown) => (typeof v === "string" ? v : undefined);
const truthy = (v: unknown) => v === true || v === "true" || v === "1";

export class FakeSlack {
  readonly calls: SlackCall[] = [];
  readonly channels = new Map<string, FakeSlackMessage[]>();
  readonly users = new Map<string, FakeSlackUser>();
  token = "xoxb-test";
  teamId = "T0TEAM";
  botUserId = "U0QUARRY";
  botId = "B0QUARRY";
  nativeStreaming: NonNullable<FakeSlackOptions["nativeStreaming"]> = "ok";
  streamExpiresAfterMs = 5 * 60_000;
  now: () => number = Date.now;
  private lastMicros = 1_700_000_000_000_000;
  private readonly streams = new Map<string, number>();
  private readonly rateLimits = new Map<string, { times: number; retryAfterSeconds: number }>();
  private readonly failures = new Map<string, string[]>();

  constructor(opts: FakeSlackOptions = {}) {
    Object.assign(
      this,
      Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)),
    );
  }

  /** Native streams started and neither stopped nor expired (a client would still show them streaming). */
  openStreams(): number {
    return [...this.streams.values()].filter((t) => this.now() - t <= this.streamExpiresAfterMs)
      .length;
  }

  /** The next `times` calls of `method` get HTTP 429 with `Retry-After: retryAfterSeconds`. */
  rateLimitNext(method: string, times = 1, retryAfterSeconds = 1): void {
    this.rateLimits.set(method, { times, retryAfterSeconds });
  }

  /** The next call of `method` answers `{ ok: false, error }` (queue several by calling again). */
  failNext(method: string, error: string): void {
    this.failures.set(method, [...(this.failures.get(method) ?? []), error]);
  }

  seedMessage(
    channel: string,
    msg: Omit<FakeSlackMessage, "text"> & { text?: string },
  ): FakeSlackMessage {
    const message: FakeSlackMessage = { type: "message", text: "", ...msg };
    this.lastMicros = Math.max(this.lastMicros, microsFromTs(message.ts));
    this.insert(channel, message);
    return message;
  }

  seedUser(user: FakeSlackUser): void {
    this.users.set(user.id, user);
  }

  callsTo(method: string): SlackCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** The thread as people see it: root first, text taken from `markdown` blocks when present. */
  thread(channel: string, threadTs: string): ThreadView[] {
    return this.threadMessages(channel, threadTs).map((m) => ({
      ts: m.ts,
      user: m.user,
      bot_id: m.bot_id,
      text: visibleText(m),
    }));
  }

  async handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const method = url.pathname.replace(/^\/api\//, "");
    const headers = Object.fromEntries(req.headers);
    const contentType = req.headers.get("content-type") ?? "";
    // Decoded by hand: workerd warns when `.text()` reads a form body.
    const raw = new TextDecoder().decode(await req.arrayBuffer());
    const query = Object.fromEntries(url.searchParams);
    let body: Args = {};
    let args: Args = query;
    const isJson = contentType.startsWith("application/json");
    if (isJson) {
      try {
        body = JSON.parse(raw || "{}") as Args;
      } catch {
        return reply({ ok: false, error: "invalid_json" });
      }
      if (!FORM_ONLY.has(method)) args = { ...query, ...body };
    } else if (raw) {
      body = Object.fromEntries(new URLSearchParams(raw));
      args = { ...query, ...body };
    }
    this.calls.push({ method, body, headers });

    const auth = req.headers.get("authorization");
    if (!auth) return reply({ ok: false, error: "not_authed" });
    if (auth !== `Bearer ${this.token}`) return reply({ ok: false, error: "invalid_auth" });
    const limit = this.rateLimits.get(method);
    if (limit && limit.times > 0) {
      limit.times--;
      return reply({ ok: false, error: "ratelimited" }, 429, {
        "Retry-After": String(limit.retryAfterSeconds),
      });
    }
    const failure = this.failures.get(method)?.shift();
    if (failure) return reply({ ok: false, error: failure });

    try {
      const result = this.dispatch(method, args);
      const warning =
        isJson && !/charset=utf-8/i.test(contentType) ? { warning: "missing_charset" } : {};
      return reply({ ok: true, ...result, ...warning });
    } catch (err) {
      if (err instanceof SlackError) return reply({ ok: false, error: err.message });
      throw err;
    }
  }

  private dispatch(method: string, a: Args): Answer {
    const handlers: Record<string, () => Answer> = {
      "auth.test": () => ({ team_id: this.teamId, user_id: this.botUserId, bot_id: this.botId }),
      "chat.postMessage": () => this.postMessage(a),
      "chat.update": () => this.update(a),
      "chat.startStream": () => this.startStream(a),
      "chat.appendStream": () => this.appendOrStop(method, a),
      "chat.stopStream": () => this.appendOrStop(method, a),
      "conversations.replies": () => this.replies(a),
      "users.info": () => this.userInfo(a),
      "assistant.threads.setStatus": () => {
        if (!str(a.channel_id) || !str(a.thread_ts) || typeof a.status !== "string") {
          throw new SlackError("invalid_arguments");
        }
        return {};
      },
    };
    const handler = handlers[method];
    if (!handler) throw new SlackError("unknown_method");
    return handler();
  }

  private postMessage(a: Args): Answer {
    const channel = need(a.channel, "channel_not_found");
    const blocks = checkContent(a);
    const metadata = a.metadata
      ? (parseMaybeJson(a.metadata) as FakeSlackMessage["metadata"])
      : undefined;
    const message = this.botPost(channel, {
      text: str(a.text) ?? "",
      blocks,
      thread_ts: str(a.thread_ts),
      metadata,
    });
    return { channel, ts: message.ts, message: publicView(message, true) };
  }

  private update(a: Args): Answer {
    const channel = need(a.channel, "channel_not_found");
    const message = this.find(channel, need(a.ts, "message_not_found"));
    if (message.user !== this.botUserId) throw new SlackError("cant_update_message");
    const blocks = checkContent(a);
    if (typeof a.text === "string") message.text = a.text;
    // Slack keeps the previous blocks when an update leaves `blocks` out.
    if (blocks) message.blocks = blocks;
    message.edited = { user: this.botUserId, ts: this.nextTs() };
    return { channel, ts: message.ts, text: message.text, message: publicView(message, true) };
  }

  private startStream(a: Args): Answer {
    if (this.nativeStreaming !== "ok") throw new SlackError(this.nativeStreaming);
    const channel = need(a.channel, "channel_not_found");
    const threadTs = need(a.thread_ts, "invalid_arguments");
    // Outside DMs Slack streams to one person's client and needs to know whose.
    if (!channel.startsWith("D") && (!str(a.recipient_user_id) || !str(a.recipient_team_id)))
      throw new SlackError("invalid_arguments");
    const text = str(a.markdown_text) ?? "";
    if (text.length > MARKDOWN_LIMIT) throw new SlackError("msg_too_long");
    const message = this.botPost(channel, { text, thread_ts: threadTs });
    this.streams.set(`${channel}:${message.ts}`, this.now());
    return { channel, ts: message.ts };
  }

  private appendOrStop(method: string, a: Args): Answer {
    const channel = need(a.channel, "channel_not_found");
    const message = this.find(channel, need(a.ts, "message_not_found"));
    const key = `${channel}:${message.ts}`;
    const started = this.streams.get(key);
    if (started === undefined) throw new SlackError("message_not_in_streaming_state");
    if (this.now() - started > this.streamExpiresAfterMs) {
      this.streams.delete(key);
      throw new SlackError("message_not_in_streaming_state");
    }
    const text = str(a.markdown_text);
    if (method === "chat.appendStream" && !text) throw new SlackError("invalid_arguments");
    if (message.text.length + (text?.length ?? 0) > MARKDOWN_LIMIT)
      throw new SlackError("msg_too_long");
    message.text += text ?? "";
    if (method === "chat.stopStream") this.streams.delete(key);
    return method === "chat.stopStream"
      ? { channel, ts: message.ts, message: publicView(message, true) }
      : { channel, ts: message.ts };
  }

  private replies(a: Args): Answer {
    const channel = need(a.channel, "channel_not_found");
    if (!this.channels.has(channel)) throw new SlackError("channel_not_found");
    const ts = need(a.ts, "thread_not_found");
    const all = this.threadMessages(channel, ts);
    if (!all.length) throw new SlackError("thread_not_found");
    // `latest` / `oldest` bound the range; `inclusive` keeps messages exactly on a bound.
    const slack = truthy(a.inclusive) ? 0 : 1;
    const latest = str(a.latest) ? microsFromTs(str(a.latest) as string) - slack : Infinity;
    const oldest = str(a.oldest) ? microsFromTs(str(a.oldest) as string) + slack : -Infinity;
    const inRange = all.filter((m) => microsFromTs(m.ts) <= latest && microsFromTs(m.ts) >= oldest);
    const limit = Math.min(Number(a.limit) || 1000, 1000);
    const startTs = str(a.cursor) ? atob(str(a.cursor) as string).replace(/^next_ts:/, "") : "";
    const start = Math.max(
      0,
      inRange.findIndex((m) => m.ts === startTs),
    );
    const page = inRange.slice(start, start + limit);
    const next = inRange[start + limit];
    const withMetadata = truthy(a.include_all_metadata);
    return {
      messages: page.map((m) => publicView(m, withMetadata)),
      has_more: next !== undefined,
      ...(next ? { response_metadata: { next_cursor: btoa(`next_ts:${next.ts}`) } } : {}),
    };
  }

  private userInfo(a: Args): Answer {
    const user = this.users.get(need(a.user, "user_not_found"));
    if (!user) throw new SlackError("user_not_found");
    return {
      user: {
        id: user.id,
        team_id: this.teamId,
        name: user.name,
        real_name: user.real_name ?? user.name,
        is_admin: user.is_admin ?? false,
        is_owner: user.is_owner ?? false,
        is_primary_owner: false,
        is_bot: false,
        profile: { display_name: user.display_name ?? "", real_name: user.real_name ?? user.name },
      },
    };
  }

  private botPost(channel: string, fields: Partial<FakeSlackMessage> & { text: string }) {
    const message: FakeSlackMessage = {
      ts: this.nextTs(),
      user: this.botUserId,
      bot_id: this.botId,
      ...fields,
    };
    this.insert(channel, message);
    return message;
  }

  private insert(channel: string, message: FakeSlackMessage): void {
    const list = this.channels.get(channel) ?? [];
    list.push(message);
    list.sort((x, y) => microsFromTs(x.ts) - microsFromTs(y.ts));
    this.channels.set(channel, list);
    const root = list.find((m) => m.ts === message.thread_ts && m !== message);
    if (root) {
      root.thread_ts = root.ts;
      root.reply_count = (root.reply_count ?? 0) + 1;
    }
  }

  private find(channel: string, ts: string): FakeSlackMessage {
    const message = this.channels.get(channel)?.find((m) => m.ts === ts);
    if (!message) throw new SlackError("message_not_found");
    return message;
  }

  private threadMessages(channel: string, threadTs: string): FakeSlackMessage[] {
    const list = this.channels.get(channel) ?? [];
    const root = list.find((m) => m.ts === threadTs);
    return root ? [root, ...list.filter((m) => m.thread_ts === threadTs && m.ts !== threadTs)] : [];
  }

  private nextTs(): string {
    this.lastMicros += 100;
    return tsFromMicros(this.lastMicros);
  }
}

function reply(body: Answer, status = 200, headers: Record<string, string> = {}): Response {
  return Response.json(body, { status, headers });
}

function need(value: unknown, error: string): string {
  const s = str(value);
  if (!s) throw new SlackError(error);
  return s;
}

function parseMaybeJson(value: unknown): unknown {
  if (typeof value !== "string") return value;
  try {
    return JSON.parse(value);
  } catch {
    throw new SlackError("invalid_arguments");
  }
}

/** Slack's content limits: 50 blocks, 12,000 markdown characters per message, 40,000 of `text`. */
function checkContent(a: Args): unknown[] | undefined {
  const blocks = a.blocks === undefined ? undefined : parseMaybeJson(a.blocks);
  const text = str(a.text);
  if (blocks === undefined && !text) throw new SlackError("no_text");
  if (text && text.length > TEXT_LIMIT) throw new SlackError("msg_too_long");
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
  }
  if (markdown > MARKDOWN_LIMIT) throw new SlackError("msg_too_long");
  return blocks;
}

function visibleText(m: FakeSlackMessage): string {
  const markdown = (m.blocks ?? []).filter(
    (b): b is { type: "markdown"; text: string } => (b as { type?: string })?.type === "markdown",
  );
  return markdown.length ? markdown.map((b) => b.text).join("\n") : m.text;
}

function publicView(m: FakeSlackMessage, withMetadata: boolean): Answer {
  const { metadata, ...rest } = m;
  return { type: "message", ...rest, ...(withMetadata && metadata ? { metadata } : {}) };
}
