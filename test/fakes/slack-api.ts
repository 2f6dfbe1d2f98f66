/**
 * An in-process Slack Web API at `https://slack.test/api/<method>`, as strict as the real
 * one: it keeps channels and threads, answers with Slack's response shapes and errors,
 * enforces Slack's rate limits per method over a sliding minute (HTTP 429 with
 * `Retry-After`, see `slack-limits.ts`) on its own clock (`now`), and has the failures a
 * real workspace has: deleted messages, archived channels, a removed bot, a revoked
 * token, requests that hang and answers lost on the way back. It records every call so
 * tests assert on what Quarry sent.
 */
import {
  type Answer,
  type Args,
  buttonsOf,
  type FakeSlackMessage,
  need,
  reply,
  SlackError,
  str,
  visibleText,
} from "./slack-content.ts";
import { type Outage, outageResponse, ScriptedFaults, untilAborted } from "./slack-faults.ts";
import { type FakeRateRule, type RateLimitedCall, SlidingWindows } from "./slack-limits.ts";
import { SlackMessages } from "./slack-messages.ts";

export type { FakeSlackMessage } from "./slack-content.ts";
export { type FakeRateRule, type RateLimitedCall, SLACK_FAKE_LIMITS } from "./slack-limits.ts";

export const FAKE_SLACK_URL = "https://slack.test/api";

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
  /** The fake's `now()` when the call arrived. */
  at: number;
}

export interface FakeSlackOptions {
  token?: string;
  teamId?: string;
  botUserId?: string;
  botId?: string;
  nativeStreaming?: "ok" | "unknown_method" | "feature_not_enabled";
  /** `ok`, or the error a workspace whose streams take no task cards gives for `chunks`. */
  taskCards?: "ok" | "invalid_arguments" | "invalid_chunks";
  /** Streams older than this answer `message_not_in_streaming_state` (Slack: about five minutes). */
  streamExpiresAfterMs?: number;
  /** The clock rate limits and stream expiry run on; a test may drive it by hand. */
  now?: () => number;
  /** Per-method rate limits in place of Slack's (`SLACK_FAKE_LIMITS`), e.g. Tier 1 for `conversations.replies`. */
  limits?: Record<string, readonly FakeRateRule[]>;
}

type ThreadView = { ts: string; user?: string; bot_id?: string; text: string };

/** A `chat.postEphemeral`: shown to `user` only, and never part of the channel. */
export interface FakeEphemeral {
  channel: string;
  user: string;
  thread_ts?: string;
  text: string;
}

/** Slack reads these methods' arguments from the query or a form body only; a JSON body is ignored. */
const FORM_ONLY = new Set(["conversations.replies", "users.info", "auth.test"]);
/** Methods that change what a channel shows; an archived channel or a removed bot refuses them. */
const WRITES = new Set([
  "chat.postMessage",
  "chat.update",
  "chat.postEphemeral",
  "chat.delete",
  "chat.startStream",
  "chat.appendStream",
  "chat.stopStream",
  "assistant.threads.setStatus",
]);

export class FakeSlack {
  readonly calls: SlackCall[] = [];
  /** Every HTTP 429 answered, scripted (`key: "scripted"`) or from a full window. */
  readonly rateLimited: RateLimitedCall[] = [];
  readonly users = new Map<string, FakeSlackUser>();
  /** Every ephemeral message posted, in order. */
  readonly ephemerals: FakeEphemeral[] = [];
  token = "xoxb-test";
  teamId = "T0TEAM";
  botUserId = "U0QUARRY";
  botId = "B0QUARRY";
  nativeStreaming: NonNullable<FakeSlackOptions["nativeStreaming"]> = "ok";
  taskCards: NonNullable<FakeSlackOptions["taskCards"]> = "ok";
  streamExpiresAfterMs = 5 * 60_000;
  now: () => number = Date.now;
  private readonly messages = new SlackMessages(this);
  private readonly faults = new ScriptedFaults();
  private readonly windows: SlidingWindows;
  private readonly archived = new Set<string>();
  private readonly removed = new Set<string>();
  private revoked = false;

  constructor(opts: FakeSlackOptions = {}) {
    const { limits, ...rest } = opts;
    Object.assign(
      this,
      Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)),
    );
    this.windows = new SlidingWindows(limits);
  }

  /** Every channel's messages, oldest first. */
  get channels(): Map<string, FakeSlackMessage[]> {
    return this.messages.channels;
  }

  /** The task cards message `ts` shows (a native stream's `task_update` chunks), by id. */
  taskCardsOf(channel: string, ts: string): Record<string, { title: string; status: string }> {
    return this.messages.channels.get(channel)?.find((m) => m.ts === ts)?.tasks ?? {};
  }

  /** Native streams started and neither stopped nor expired (a client would still show them streaming). */
  openStreams(): number {
    return [...this.messages.streams.values()].filter(
      (t) => this.now() - t <= this.streamExpiresAfterMs,
    ).length;
  }

  /** The next `times` calls of `method` get HTTP 429 with `Retry-After: retryAfterSeconds`. */
  rateLimitNext(method: string, times = 1, retryAfterSeconds = 1): void {
    this.faults.rateLimitNext(method, times, retryAfterSeconds);
  }

  /** The next call of `method` answers `{ ok: false, error }` (queue several by calling again). */
  failNext(method: string, error: string): void {
    this.faults.failNext(method, error);
  }

  /** The next `times` calls of `method` get an HTTP 5xx (carried out first when `applied`). */
  serverErrorNext(method: string, times = 1, outage: Outage = { status: 503 }): void {
    this.faults.serverErrorNext(method, times, outage);
  }

  /** The next `times` calls of `method` get no answer until the client aborts them (nothing changes). */
  hangNext(method: string, times = 1): void {
    this.faults.hangNext(method, times);
  }

  /** The next `times` calls of `method` take effect, but the client sees a network failure. */
  loseResponseNext(method: string, times = 1): void {
    this.faults.loseResponseNext(method, times);
  }

  /** Someone deletes the message: later edits, appends and stops of it answer `message_not_found`. */
  deleteMessage(channel: string, ts: string): void {
    this.messages.remove(channel, this.messages.find(channel, ts));
  }

  /** The channel is archived: every write to it answers `is_archived`. */
  archiveChannel(channel: string): void {
    this.archived.add(channel);
  }

  /** The bot is removed from the channel: writes answer `not_in_channel`, reads of a private one `channel_not_found`. */
  removeBot(channel: string): void {
    this.removed.add(channel);
  }

  /** The app is uninstalled or its token revoked: every call answers `token_revoked`. */
  revokeToken(): void {
    this.revoked = true;
  }

  seedMessage(
    channel: string,
    msg: Omit<FakeSlackMessage, "text"> & { text?: string },
  ): FakeSlackMessage {
    const message: FakeSlackMessage = { type: "message", text: "", ...msg };
    this.messages.seed(channel, message);
    return message;
  }

  seedUser(user: FakeSlackUser): void {
    this.users.set(user.id, user);
  }

  /** The buttons message `ts` in `channel` shows now (its `actions` blocks), as tests click them. */
  buttons(channel: string, ts: string): { action_id: string; value?: string }[] {
    return buttonsOf(this.messages.find(channel, ts));
  }

  callsTo(method: string): SlackCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** The thread as people see it: root first, text taken from `markdown` blocks when present. */
  thread(channel: string, threadTs: string): ThreadView[] {
    return this.messages.threadMessages(channel, threadTs).map((m) => ({
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
    const at = this.now();
    if (isJson) {
      try {
        body = JSON.parse(raw || "{}") as Args;
      } catch {
        this.calls.push({ method, body: { raw }, headers, at });
        return reply({ ok: false, error: "invalid_json" });
      }
      if (!FORM_ONLY.has(method)) args = { ...query, ...body };
    } else if (raw) {
      body = Object.fromEntries(new URLSearchParams(raw));
      args = { ...query, ...body };
    }
    this.calls.push({ method, body, headers, at });

    const auth = req.headers.get("authorization");
    if (!auth) return reply({ ok: false, error: "not_authed" });
    if (auth !== `Bearer ${this.token}`) return reply({ ok: false, error: "invalid_auth" });
    if (this.revoked) return reply({ ok: false, error: "token_revoked" });
    if (this.faults.hang(method)) return untilAborted(req.signal);
    const limited = this.admit(method, args, at);
    if (limited) return limited;
    const failure = this.faults.failure(method);
    if (failure) return reply({ ok: false, error: failure });
    const outage = this.faults.serverError(method);
    if (outage && !outage.applied) return outageResponse(outage);

    let answer: Answer;
    try {
      this.checkChannel(method, args);
      answer = { ok: true, ...this.dispatch(method, args) };
    } catch (err) {
      if (!(err instanceof SlackError)) throw err;
      answer = { ok: false, error: err.message };
    }
    // The call took effect; only its answer is lost (a connection reset on the way back).
    if (this.faults.loseResponse(method))
      throw new TypeError(`fake Slack: connection lost after ${method}`);
    if (outage) return outageResponse(outage);
    if (answer.ok && isJson && !/charset=utf-8/i.test(contentType))
      answer.warning = "missing_charset";
    return reply(answer);
  }

  /** A 429 when the call is scripted to get one or a window is full; else books the call. */
  private admit(method: string, a: Args, at: number): Response | undefined {
    const scripted = this.faults.rateLimit(method);
    const full =
      scripted === undefined
        ? this.windows.admit(method, str(a.channel) ?? str(a.channel_id), at)
        : { key: "scripted", retryAfterSeconds: scripted };
    if (!full) return undefined;
    this.rateLimited.push({ method, at, ...full });
    return reply({ ok: false, error: "ratelimited" }, 429, {
      "Retry-After": String(full.retryAfterSeconds),
    });
  }

  private checkChannel(method: string, a: Args): void {
    const channel = str(a.channel) ?? str(a.channel_id);
    if (!channel) return;
    const write = WRITES.has(method);
    // assistant.threads.setStatus documents neither is_archived nor not_in_channel.
    const status = method === "assistant.threads.setStatus";
    if (this.removed.has(channel)) {
      if (write) throw new SlackError(status ? "channel_not_found" : "not_in_channel");
      throw new SlackError(channel.startsWith("G") ? "channel_not_found" : "not_in_channel");
    }
    if (write && this.archived.has(channel))
      throw new SlackError(status ? "channel_not_found" : "is_archived");
  }

  private dispatch(method: string, a: Args): Answer {
    const handlers: Record<string, () => Answer> = {
      "auth.test": () => ({ team_id: this.teamId, user_id: this.botUserId, bot_id: this.botId }),
      "chat.postMessage": () => this.messages.postMessage(a),
      "chat.update": () => this.messages.update(a),
      "chat.delete": () => this.messages.chatDelete(a),
      "chat.postEphemeral": () => this.postEphemeral(a),
      "chat.startStream": () => this.messages.startStream(a),
      "chat.appendStream": () => this.messages.appendOrStop(method, a),
      "chat.stopStream": () => this.messages.appendOrStop(method, a),
      "conversations.replies": () => this.messages.replies(a),
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

  private postEphemeral(a: Args): Answer {
    const channel = need(a.channel, "channel_not_found");
    const user = need(a.user, "user_not_found");
    if (!this.users.has(user)) throw new SlackError("user_not_in_channel");
    const text = need(a.text, "no_text");
    this.ephemerals.push({ channel, user, thread_ts: str(a.thread_ts), text });
    return { message_ts: `${Math.floor(this.now() / 1000)}.000001` };
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
}
