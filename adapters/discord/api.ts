/**
 * A small Discord REST client: the calls Quarry makes, Discord's per-route rate limits
 * honoured, a timeout on every call, failures mapped onto `ChatApiError` (api-errors.ts).
 * Every message it sends carries `allowed_mentions: {parse: []}`, whatever the caller passed.
 * https://discord.com/developers/docs/topics/rate-limits
 */
import type {
  APIChannel,
  APIInteractionResponse,
  APIMessage,
  APIRole,
  RESTGetAPIGatewayBotResult,
  RESTPatchAPIChannelMessageJSONBody,
  RESTPatchAPIWebhookWithTokenMessageJSONBody,
  RESTPostAPIChannelMessageJSONBody,
  RESTPostAPIInteractionFollowupJSONBody,
  RESTPutAPIApplicationCommandsJSONBody,
  RESTPutAPIApplicationCommandsResult,
} from "discord-api-types/v10";
import { ChatApiError } from "../../src/errors.ts";
import { httpError, networkError, timeoutError } from "./api-errors.ts";
import { NO_MENTIONS, RESPONSE } from "./constants.ts";

export interface DiscordApiOptions {
  /** e.g. `https://discord.com/api/v10`. */
  baseUrl: string;
  /** Bot token (without the `Bot ` prefix). */
  token: string;
  applicationId: string;
  fetch?: typeof fetch;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Longest wait for one call's answer (default 20 s); past it the call fails as `timeout`. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 20_000;

/** Responses that carry message content (a deferral takes only `flags`). */
const MESSAGE_RESPONSES: ReadonlySet<number> = new Set([
  RESPONSE.ChannelMessageWithSource,
  RESPONSE.UpdateMessage,
]);

type Method = "GET" | "POST" | "PATCH" | "PUT";

interface RequestOptions {
  body?: unknown;
  /** Webhook (interaction token) routes authenticate with the token in the path. */
  auth?: boolean;
  /** The body is a message: mentions are switched off here, the one place that does it. */
  message?: boolean;
}

export class DiscordApi {
  readonly baseUrl: string;
  readonly applicationId: string;
  private readonly token: string;
  private readonly fetchImpl?: typeof fetch;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly timeoutMs: number;
  /** Route → Discord's bucket hash, learnt from `X-RateLimit-Bucket`. */
  private readonly buckets = new Map<string, string>();
  /** Bucket (and major parameter) → epoch ms before which no call may go out. */
  private readonly blockedUntil = new Map<string, number>();
  private globalBlockedUntil = 0;

  constructor(opts: DiscordApiOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, "");
    this.token = opts.token;
    this.applicationId = opts.applicationId;
    this.fetchImpl = opts.fetch;
    this.now = opts.now ?? Date.now;
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  createMessage(channelId: string, body: RESTPostAPIChannelMessageJSONBody): Promise<APIMessage> {
    return this.request("POST", `/channels/${channelId}/messages`, { body, message: true });
  }

  editMessage(
    channelId: string,
    messageId: string,
    body: RESTPatchAPIChannelMessageJSONBody,
  ): Promise<APIMessage> {
    return this.request("PATCH", `/channels/${channelId}/messages/${messageId}`, {
      body,
      message: true,
    });
  }

  getMessage(channelId: string, messageId: string): Promise<APIMessage> {
    return this.request("GET", `/channels/${channelId}/messages/${messageId}`);
  }

  /** Newest first, as Discord returns them; `limit` 1–100. */
  getMessages(channelId: string, query: { before?: string; limit: number }): Promise<APIMessage[]> {
    const params = new URLSearchParams({ limit: String(Math.min(100, Math.max(1, query.limit))) });
    if (query.before) params.set("before", query.before);
    return this.request("GET", `/channels/${channelId}/messages?${params}`);
  }

  getChannel(channelId: string): Promise<APIChannel> {
    return this.request("GET", `/channels/${channelId}`);
  }

  getGuildRoles(guildId: string): Promise<APIRole[]> {
    return this.request("GET", `/guilds/${guildId}/roles`);
  }

  async triggerTyping(channelId: string): Promise<void> {
    await this.request("POST", `/channels/${channelId}/typing`);
  }

  getOriginal(token: string): Promise<APIMessage> {
    return this.request("GET", `${this.webhook(token)}/messages/@original`, { auth: false });
  }

  editOriginal(
    token: string,
    body: RESTPatchAPIWebhookWithTokenMessageJSONBody,
  ): Promise<APIMessage> {
    return this.request("PATCH", `${this.webhook(token)}/messages/@original`, {
      body,
      auth: false,
      message: true,
    });
  }

  createFollowup(token: string, body: RESTPostAPIInteractionFollowupJSONBody): Promise<APIMessage> {
    return this.request("POST", this.webhook(token), { body, auth: false, message: true });
  }

  editFollowup(
    token: string,
    messageId: string,
    body: RESTPatchAPIWebhookWithTokenMessageJSONBody,
  ): Promise<APIMessage> {
    return this.request("PATCH", `${this.webhook(token)}/messages/${messageId}`, {
      body,
      auth: false,
      message: true,
    });
  }

  /** Answers an interaction out of band (the HTTP route answers in its response instead). */
  async interactionCallback(
    id: string,
    token: string,
    body: APIInteractionResponse,
  ): Promise<void> {
    const withData = "data" in body && body.data && MESSAGE_RESPONSES.has(body.type);
    const sent = withData
      ? { ...body, data: { ...body.data, allowed_mentions: NO_MENTIONS } }
      : body;
    await this.request("POST", `/interactions/${id}/${token}/callback`, {
      body: sent,
      auth: false,
    });
  }

  getGatewayBot(): Promise<RESTGetAPIGatewayBotResult> {
    return this.request("GET", "/gateway/bot");
  }

  /** Replaces every command, globally or (for development, instantly) in one guild. */
  bulkOverwriteCommands(
    commands: RESTPutAPIApplicationCommandsJSONBody,
    guildId?: string,
  ): Promise<RESTPutAPIApplicationCommandsResult> {
    const scope = guildId ? `/guilds/${guildId}` : "";
    return this.request("PUT", `/applications/${this.applicationId}${scope}/commands`, {
      body: commands,
    });
  }

  private webhook(token: string): string {
    return `/webhooks/${this.applicationId}/${token}`;
  }

  /** One call: waits out a known exhausted bucket first, records the limits the answer reports. */
  async request<T>(method: Method, path: string, opts: RequestOptions = {}): Promise<T> {
    const route = routeOf(method, path);
    const wait =
      Math.max(this.globalBlockedUntil, this.blockedUntil.get(this.limitKey(route, path)) ?? 0) -
      this.now();
    if (wait > 0) await this.sleep(wait);

    const headers: Record<string, string> = { "User-Agent": "DiscordBot (quarry, 0.1.0)" };
    if (opts.auth !== false) headers.Authorization = `Bot ${this.token}`;
    let body: string | undefined;
    if (opts.body !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(
        opts.message ? { ...(opts.body as object), allowed_mentions: NO_MENTIONS } : opts.body,
      );
    }
    // Resolved per call, so a spy installed on globalThis.fetch after construction still sees it.
    const doFetch = this.fetchImpl ?? globalThis.fetch;
    // A hung connection must not hold an answer forever; the timer covers the body too.
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.timeoutMs);
    let res: Response;
    let text = "";
    try {
      res = await doFetch(`${this.baseUrl}${path}`, {
        method,
        headers,
        body,
        signal: controller.signal,
      });
      if (res.status !== 204) text = await res.text();
    } catch (cause) {
      if (controller.signal.aborted) throw timeoutError(route, this.timeoutMs, cause);
      throw networkError(route, cause);
    } finally {
      clearTimeout(timer);
    }
    this.record(route, path, res.headers);
    if (res.status === 204) return undefined as T;
    const data = parseJson(text);
    if (res.status === 429) throw this.rateLimited(route, path, res, data);
    if (!res.ok) throw httpError(route, res.status, data);
    return data as T;
  }

  private limitKey(route: string, path: string): string {
    return `${this.buckets.get(route) ?? route} ${majorOf(path)}`;
  }

  private record(route: string, path: string, headers: Headers): void {
    const bucket = headers.get("X-RateLimit-Bucket");
    if (bucket) this.buckets.set(route, bucket);
    const key = this.limitKey(route, path);
    const resetAfter = Number(headers.get("X-RateLimit-Reset-After"));
    if (headers.get("X-RateLimit-Remaining") === "0" && resetAfter > 0) {
      this.blockedUntil.set(key, this.now() + resetAfter * 1000);
    } else {
      this.blockedUntil.delete(key);
    }
  }

  private rateLimited(
    route: string,
    path: string,
    res: Response,
    data?: Record<string, unknown>,
  ): ChatApiError {
    const bodySeconds = typeof data?.retry_after === "number" ? data.retry_after : Number.NaN;
    const headerSeconds = Number(res.headers.get("Retry-After"));
    const seconds = bodySeconds > 0 ? bodySeconds : headerSeconds > 0 ? headerSeconds : 1;
    const retryAfterMs = Math.ceil(seconds * 1000);
    const global = data?.global === true;
    if (global) this.globalBlockedUntil = this.now() + retryAfterMs;
    else this.blockedUntil.set(this.limitKey(route, path), this.now() + retryAfterMs);
    return new ChatApiError("rate_limited", `Discord ${route} is rate limited for ${seconds}s`, {
      status: 429,
      kind: "rate_limited",
      retryable: true,
      retryAfterMs,
      platformError: global ? "global" : (res.headers.get("X-RateLimit-Scope") ?? "user"),
    });
  }
}

/** `METHOD /path` with ids that are not major parameters (and tokens) replaced. */
function routeOf(method: Method, path: string): string {
  const template = path
    .split("?")[0]
    ?.replace(/\/messages\/\d+/, "/messages/:id")
    .replace(/^\/webhooks\/(\d+)\/[^/]+/, "/webhooks/$1/:token")
    .replace(/^\/interactions\/\d+\/[^/]+/, "/interactions/:id/:token");
  return `${method} ${template}`;
}

/** Discord keys limits by route and its major parameter: channel, guild, or webhook + token. */
function majorOf(path: string): string {
  const parts = path.split("?")[0]?.split("/") ?? [];
  return parts.slice(0, parts[1] === "webhooks" || parts[1] === "interactions" ? 4 : 3).join("/");
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
