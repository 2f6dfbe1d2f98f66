/**
 * A small Slack Web API client: the handful of methods Quarry calls, with Slack's
 * failures mapped onto `ChatApiError`.
 */
import { BoundedCache } from "../../src/storage/bounded-cache.ts";
import { slackHttpFailure, slackNoAnswer, slackRateLimited, slackRefusal } from "./api-errors.ts";
import { neutralizeSlackMentions } from "./format.ts";

export interface SlackApiOptions {
  /** e.g. `https://slack.com/api` (no trailing slash needed). */
  baseUrl: string;
  /** Bot token (`xoxb-…`). */
  token: string;
  fetch?: typeof fetch;
  /** Longest one call may take before it fails as an ambiguous `timeout` (default 20 s). */
  timeoutMs?: number;
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
/** Metadata `event_type` of an answer's message; its `event_payload.key` is the core's post key. */
export const ANSWER_EVENT_TYPE = "quarry_answer";

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

/** Read methods take form arguments only: "most write methods" accept JSON, these do not. */
const FORM_METHODS = new Set(["conversations.replies", "users.info", "auth.test"]);
/** `conversations.replies` pages: Slack suggests at most 200; we stop after about 1,000 messages. */
const PAGE_SIZE = 200;
const MAX_PAGES = 5;
/** Longest one call may take, its answer's body included, before it counts as lost. */
export const SLACK_TIMEOUT_MS = 20_000;

export class SlackApi {
  readonly baseUrl: string;
  private readonly token: string;
  private readonly fetchImpl?: typeof fetch;
  private readonly timeoutMs: number;
  /** Names and roles looked up, the last 1,000 people: an object may live for days. */
  private readonly users = new BoundedCache<string, Promise<SlackUser | undefined>>(1_000);
  private identity?: Promise<{ userId: string; botId?: string }>;

  constructor(opts: SlackApiOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, "");
    this.token = opts.token;
    this.fetchImpl = opts.fetch;
    this.timeoutMs = opts.timeoutMs ?? SLACK_TIMEOUT_MS;
  }

  /**
   * Calls one Web API method; throws `ChatApiError` on HTTP errors, 429s, `ok: false`,
   * network failures and calls that outlive `timeoutMs` (see `api-errors.ts` for kinds).
   */
  async call<T extends Args = Args>(method: string, args: Args = {}): Promise<T & SlackResponse> {
    const form = FORM_METHODS.has(method);
    const body = form ? toForm(args) : JSON.stringify(args);
    const contentType = form
      ? "application/x-www-form-urlencoded"
      : "application/json; charset=utf-8";
    // Resolved per call, so a spy installed on globalThis.fetch after construction still sees it.
    const doFetch = this.fetchImpl ?? globalThis.fetch;
    const controller = new AbortController();
    const timedOut = new DOMException(`no answer in ${this.timeoutMs} ms`, "TimeoutError");
    const timer = setTimeout(() => controller.abort(timedOut), this.timeoutMs);
    // Raced as well as passed on, so a fetch that ignores its signal cannot hold the call.
    const deadline = new Promise<never>((_, reject) =>
      controller.signal.addEventListener("abort", () => reject(timedOut), { once: true }),
    );
    deadline.catch(() => {});
    try {
      let res: Response;
      try {
        res = await Promise.race([
          doFetch(`${this.baseUrl}/${method}`, {
            method: "POST",
            headers: { Authorization: `Bearer ${this.token}`, "Content-Type": contentType },
            body,
            signal: controller.signal,
          }),
          deadline,
        ]);
      } catch (cause) {
        throw slackNoAnswer(method, cause, cause === timedOut ? this.timeoutMs : undefined);
      }
      if (res.status === 429) throw slackRateLimited(method, res.headers.get("Retry-After"));
      let data: SlackResponse | undefined;
      try {
        data = (await Promise.race([res.json(), deadline])) as SlackResponse;
      } catch (cause) {
        if (cause === timedOut) throw slackNoAnswer(method, cause, this.timeoutMs);
      }
      if (!data || typeof data !== "object") throw slackHttpFailure(method, res.status);
      // Slack's own error string says more than the status, when the body carries one.
      if (!data.ok && (res.ok || typeof data.error === "string")) {
        const seconds = Number(res.headers.get("Retry-After"));
        const retryAfterMs = Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : undefined;
        throw slackRefusal(method, data.error ?? "unknown_error", data.needed, retryAfterMs);
      }
      if (!res.ok || !data.ok) throw slackHttpFailure(method, res.status);
      return data as T & SlackResponse;
    } finally {
      clearTimeout(timer);
    }
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

  async appendStream(args: {
    channel: string;
    ts: string;
    markdown_text?: string;
    chunks?: unknown[];
  }): Promise<void> {
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
   * A thread's messages, oldest first, from `oldest` up to `latest` (both inclusive) when
   * given, with their metadata. Stops after about 1,000 messages; the caller keeps the
   * question at the end regardless. `beforePage` runs before each page is asked for (pacing).
   */
  async replies(
    channel: string,
    ts: string,
    opts: { latest?: string; oldest?: string; beforePage?: () => Promise<void> } = {},
  ): Promise<SlackMessage[]> {
    const seen = new Map<string, SlackMessage>();
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      await opts.beforePage?.();
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
        oldest: opts.oldest,
        inclusive: opts.latest || opts.oldest ? true : undefined,
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

  /** A message only `user` sees, in `channel` (under `thread_ts`); the bot must be in the channel. */
  async postEphemeral(args: {
    channel: string;
    user: string;
    text: string;
    thread_ts?: string;
  }): Promise<void> {
    await this.call("chat.postEphemeral", args);
  }

  /**
   * Answers an interaction through its `response_url` (valid 30 minutes, 5 uses); the URL
   * carries its own authority, so no token goes with it. Throws `ChatApiError` on failure.
   * https://docs.slack.dev/interactivity/handling-user-interaction#message_responses
   */
  async respond(responseUrl: string, body: Record<string, unknown>): Promise<void> {
    const doFetch = this.fetchImpl ?? globalThis.fetch;
    const signal = AbortSignal.timeout(this.timeoutMs);
    let res: Response;
    try {
      res = await doFetch(responseUrl, {
        method: "POST",
        headers: { "Content-Type": "application/json; charset=utf-8" },
        body: JSON.stringify(body),
        signal,
      });
    } catch (cause) {
      throw slackNoAnswer("response_url", cause, signal.aborted ? this.timeoutMs : undefined);
    }
    await res.body?.cancel();
    if (!res.ok) throw slackHttpFailure("response_url", res.status);
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

/** Epoch milliseconds of a Slack `ts` (`seconds.micros`). */
export function slackTsToMs(ts: string): number {
  const [s = "0", f = ""] = ts.split(".");
  return Number(s) * 1000 + Math.floor(Number(f.padEnd(6, "0").slice(0, 6)) / 1000);
}

/** Orders Slack timestamps (`seconds.micros`) without float rounding. */
export function compareTs(a: string, b: string): number {
  const [as = "0", af = ""] = a.split(".");
  const [bs = "0", bf = ""] = b.split(".");
  return Number(as) - Number(bs) || Number(af.padEnd(6, "0")) - Number(bf.padEnd(6, "0"));
}
