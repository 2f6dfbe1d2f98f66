/**
 * A small Slack Web API client: the handful of methods Quarry calls, with Slack's
 * failures mapped onto `ChatApiError`.
 */
import { ChatApiError, isRetryableStatus } from "../../src/errors.ts";
import { neutralizeSlackMentions } from "./format.ts";

export interface SlackApiOptions {
  /** e.g. `https://slack.com/api` (no trailing slash needed). */
  baseUrl: string;
  /** Bot token (`xoxb-…`). */
  token: string;
  fetch?: typeof fetch;
}

/** A message as `conversations.replies` returns it (the fields Quarry reads). */
export interface SlackMessage {
  type?: string;
  ts: string;
  thread_ts?: string;
  user?: string;
  bot_id?: string;
  username?: string;
  bot_profile?: { name?: string };
  subtype?: string;
  text?: string;
  blocks?: unknown[];
  files?: { name?: string; mimetype?: string }[];
  /** Message metadata; `conversations.replies` includes it only with `include_all_metadata`. */
  metadata?: { event_type?: string; event_payload?: Record<string, unknown> };
}

/** Metadata `event_type` of the bot post that carries an `/ask` question. */
export const ASK_EVENT_TYPE = "quarry_ask";

export interface SlackUser {
  id: string;
  name?: string;
  real_name?: string;
  is_admin?: boolean;
  is_owner?: boolean;
  is_primary_owner?: boolean;
  is_bot?: boolean;
  profile?: { display_name?: string; real_name?: string };
}

type SlackResponse = { ok: boolean; error?: string; needed?: string; warning?: string } & Record<
  string,
  unknown
>;
type Args = Record<string, unknown>;

const STREAM_METHODS = new Set(["chat.startStream", "chat.appendStream", "chat.stopStream"]);
/** Errors meaning this workspace or token cannot stream natively; the caller falls back to post + edit. */
const STREAM_UNSUPPORTED = new Set([
  "unknown_method",
  "feature_not_enabled",
  "not_allowed_token_type",
]);
const RETRYABLE_ERRORS = new Set([
  "internal_error",
  "fatal_error",
  "service_unavailable",
  "request_timeout",
  "ratelimited",
]);
/** Read methods take form arguments only: "most write methods" accept JSON, these do not. */
const FORM_METHODS = new Set(["conversations.replies", "users.info", "auth.test"]);
/** `conversations.replies` pages: Slack suggests at most 200; we stop after about 1,000 messages. */
const PAGE_SIZE = 200;
const MAX_PAGES = 5;

function errorCode(method: string, error: string): string {
  if (STREAM_METHODS.has(method) && STREAM_UNSUPPORTED.has(error)) return "stream_unsupported";
  if (method === "chat.startStream" && error === "invalid_arguments") return "stream_unsupported";
  if (error === "message_not_in_streaming_state") return "stream_expired";
  return error;
}

export class SlackApi {
  readonly baseUrl: string;
  private readonly token: string;
  private readonly fetchImpl?: typeof fetch;
  private readonly users = new Map<string, Promise<SlackUser | undefined>>();
  private identity?: Promise<{ userId: string; botId?: string }>;

  constructor(opts: SlackApiOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, "");
    this.token = opts.token;
    this.fetchImpl = opts.fetch;
  }

  /** Calls one Web API method; throws `ChatApiError` on HTTP errors, 429s, `ok: false` and network failures. */
  async call<T extends Args = Args>(method: string, args: Args = {}): Promise<T & SlackResponse> {
    const form = FORM_METHODS.has(method);
    const body = form ? toForm(args) : JSON.stringify(args);
    const contentType = form
      ? "application/x-www-form-urlencoded"
      : "application/json; charset=utf-8";
    // Resolved per call, so a spy installed on globalThis.fetch after construction still sees it.
    const doFetch = this.fetchImpl ?? globalThis.fetch;
    let res: Response;
    try {
      res = await doFetch(`${this.baseUrl}/${method}`, {
        method: "POST",
        headers: { Authorization: `Bearer ${this.token}`, "Content-Type": contentType },
        body,
      });
    } catch (cause) {
      throw new ChatApiError("network", `Slack ${method} failed: ${String(cause)}`, {
        retryable: true,
        cause,
      });
    }
    if (res.status === 429) {
      const seconds = Number(res.headers.get("Retry-After"));
      const retryAfterMs = Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 1000;
      throw new ChatApiError("rate_limited", `Slack ${method} is rate limited`, {
        status: 429,
        retryable: true,
        retryAfterMs,
        platformError: "ratelimited",
      });
    }
    const data = (await res.json().catch(() => undefined)) as SlackResponse | undefined;
    if (!res.ok || !data) {
      throw new ChatApiError("http_error", `Slack ${method} answered HTTP ${res.status}`, {
        status: res.status,
        retryable: isRetryableStatus(res.status) || res.ok,
        platformError: data?.error,
      });
    }
    if (!data.ok) {
      const error = data.error ?? "unknown_error";
      const needed = data.needed ? ` (needs ${data.needed})` : "";
      throw new ChatApiError(errorCode(method, error), `Slack ${method}: ${error}${needed}`, {
        retryable: RETRYABLE_ERRORS.has(error),
        platformError: error,
      });
    }
    return data as T & SlackResponse;
  }

  postMessage(args: Args & { channel: string }): Promise<{ ts: string; channel: string }> {
    return this.call<{ ts: string; channel: string }>("chat.postMessage", args);
  }

  async update(args: Args & { channel: string; ts: string }): Promise<void> {
    await this.call("chat.update", args);
  }

  startStream(
    args: Args & { channel: string; thread_ts: string },
  ): Promise<{ ts: string; channel: string }> {
    return this.call<{ ts: string; channel: string }>("chat.startStream", args);
  }

  async appendStream(args: { channel: string; ts: string; markdown_text: string }): Promise<void> {
    await this.call("chat.appendStream", args);
  }

  async stopStream(args: { channel: string; ts: string; markdown_text?: string }): Promise<void> {
    await this.call("chat.stopStream", args);
  }

  /** "is thinking…" under the thread; `status: ""` clears it. */
  async setStatus(args: {
    channel_id: string;
    thread_ts: string;
    status: string;
    loading_messages?: string[];
  }): Promise<void> {
    await this.call("assistant.threads.setStatus", args);
  }

  /**
   * A thread's messages, oldest first, up to `latest` (inclusive) when given. Stops after
   * about 1,000 messages; the caller keeps the question at the end regardless.
   */
  async replies(
    channel: string,
    ts: string,
    opts: { latest?: string } = {},
  ): Promise<SlackMessage[]> {
    const seen = new Map<string, SlackMessage>();
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const data = await this.call<{
        messages?: SlackMessage[];
        has_more?: boolean;
        response_metadata?: { next_cursor?: string };
      }>("conversations.replies", {
        channel,
        ts,
        limit: PAGE_SIZE,
        cursor,
        latest: opts.latest,
        inclusive: opts.latest ? true : undefined,
        include_all_metadata: true,
      });
      for (const m of data.messages ?? []) seen.set(m.ts, m);
      cursor = data.response_metadata?.next_cursor || undefined;
      if (!data.has_more || !cursor) break;
    }
    return [...seen.values()].sort((a, b) => compareTs(a.ts, b.ts));
  }

  /**
   * Posts an `/ask` question visibly, naming who asked, so the answer has a thread to go
   * in; returns its ts. The question is Slack mrkdwn as typed, so it goes in `text`.
   */
  async postQuestion(channel: string, userId: string, question: string): Promise<string> {
    const text = `<@${userId}> asked: ${neutralizeSlackMentions(question)}`;
    // The metadata lets history show this bot post as the asker's turn, not the bot's.
    const metadata = { event_type: ASK_EVENT_TYPE, event_payload: { user_id: userId } };
    const res = await this.postMessage({
      channel,
      text,
      metadata,
      unfurl_links: false,
      unfurl_media: false,
    });
    return res.ts;
  }

  /** `users.info`, uncached (for permission checks); throws `ChatApiError`. */
  async userInfo(id: string): Promise<SlackUser> {
    const data = await this.call<{ user: SlackUser }>("users.info", { user: id });
    return data.user;
  }

  /** `users.info`, cached for the life of this client; undefined when Slack will not say. */
  user(id: string): Promise<SlackUser | undefined> {
    let pending = this.users.get(id);
    if (!pending) {
      // A failed lookup is not cached: the next history fetch may get the name.
      pending = this.userInfo(id).catch(() => {
        this.users.delete(id);
        return undefined;
      });
      this.users.set(id, pending);
    }
    return pending;
  }

  /** The name people see for a user: display name, else real name, else handle. */
  async userName(id: string): Promise<string | undefined> {
    const u = await this.user(id);
    return (
      u?.profile?.display_name || u?.real_name || u?.profile?.real_name || u?.name || undefined
    );
  }

  /** Our bot's own user id (`auth.test`), cached. */
  botIdentity(): Promise<{ userId: string; botId?: string }> {
    this.identity ??= this.call<{ user_id: string; bot_id?: string }>("auth.test").then(
      (d) => ({ userId: d.user_id, botId: d.bot_id }),
      (err) => {
        this.identity = undefined;
        throw err;
      },
    );
    return this.identity;
  }
}

function toForm(args: Args): URLSearchParams {
  const form = new URLSearchParams();
  for (const [key, value] of Object.entries(args)) {
    if (value === undefined || value === null) continue;
    form.set(key, typeof value === "object" ? JSON.stringify(value) : String(value));
  }
  return form;
}

/** Orders Slack timestamps (`seconds.micros`) without float rounding. */
export function compareTs(a: string, b: string): number {
  const [as = "0", af = ""] = a.split(".");
  const [bs = "0", bf = ""] = b.split(".");
  return Number(as) - Number(bs) || Number(af.padEnd(6, "0")) - Number(bf.padEnd(6, "0"));
}
