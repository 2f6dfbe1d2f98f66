/**
 * Discord's wire conventions for the fake REST API: its error bodies, its validation of
 * message content, the shape of a message, the `X-RateLimit-*` headers it puts on every
 * response, and the 429s a test scripts.
 * https://discord.com/developers/docs/topics/rate-limits#header-format
 */

import type { APIMessage, APIMessageReference, APIUser } from "discord-api-types/v10";
import { plainMessageFields } from "../support/discord-payloads.ts";

export type Json = Record<string, unknown>;

/** Matches `"METHOD /path"` of a request: a substring, a RegExp, or a predicate. */
export type RouteMatcher = string | RegExp | ((route: string) => boolean);

const CONTENT_LIMIT = 2000;

/** An error Discord answers with: HTTP status, JSON `code` and `message`, and form `errors`. */
export class DiscordError extends Error {
  readonly status: number;
  readonly code: number;
  readonly errors?: Json;
  constructor(status: number, code: number, message: string, errors?: Json) {
    super(message);
    this.status = status;
    this.code = code;
    this.errors = errors;
  }

  get body(): Json {
    return {
      message: this.message,
      code: this.code,
      ...(this.errors ? { errors: this.errors } : {}),
    };
  }
}

/** `GET /gateway/bot` as Discord answers it for a small bot. */
export const GATEWAY_BOT = {
  url: "wss://gateway.discord.test",
  shards: 1,
  session_start_limit: { total: 1000, remaining: 999, reset_after: 14400000, max_concurrency: 1 },
};

/** A reply to a message that does not exist, without `fail_if_not_exists: false`. */
export function unknownReference(): DiscordError {
  return new DiscordError(400, 50035, "Invalid Form Body", {
    message_reference: {
      _errors: [{ code: "MESSAGE_REFERENCE_UNKNOWN_MESSAGE", message: "Unknown message" }],
    },
  });
}

export function matches(match: RouteMatcher, route: string): boolean {
  if (typeof match === "string") return route.includes(match);
  if (match instanceof RegExp) return match.test(route);
  return match(route);
}

/** The message content, or the error Discord gives for too long (50035) or empty (50006). */
export function checkContent(body?: Json): string {
  const content = typeof body?.content === "string" ? body.content : "";
  if (content.length > CONTENT_LIMIT) {
    throw new DiscordError(400, 50035, "Invalid Form Body", {
      content: {
        _errors: [
          { code: "BASE_TYPE_MAX_LENGTH", message: `Must be ${CONTENT_LIMIT} or fewer in length.` },
        ],
      },
    });
  }
  if (!content.trim()) throw new DiscordError(400, 50006, "Cannot send an empty message");
  return content;
}

/**
 * A response with Discord's rate-limit headers: a bucket of 5 with 4 left, or, when
 * `resetAfter` is given, an exhausted bucket that resets after that many seconds.
 */
export function discordResponse(
  route: string,
  status: number,
  body: unknown,
  resetAfter?: number,
  extra: Record<string, string> = {},
): Response {
  const after = resetAfter ?? 1;
  const headers = new Headers({
    ...extra,
    "X-RateLimit-Limit": "5",
    "X-RateLimit-Remaining": resetAfter === undefined ? "4" : "0",
    "X-RateLimit-Reset": ((Date.now() + after * 1000) / 1000).toFixed(3),
    "X-RateLimit-Reset-After": after.toFixed(3),
    "X-RateLimit-Bucket": bucketOf(route),
  });
  if (status === 204) return new Response(null, { status, headers });
  headers.set("Content-Type", "application/json");
  return new Response(JSON.stringify(body), { status, headers });
}

/** Discord's 429: `retry_after` in seconds (a float) in the body, `Retry-After` rounded up. */
export function tooManyRequests(route: string, retryAfter: number): Response {
  const body = { message: "You are being rate limited.", retry_after: retryAfter, global: false };
  return discordResponse(route, 429, body, retryAfter, {
    "Retry-After": String(Math.ceil(retryAfter)),
    "X-RateLimit-Scope": "user",
  });
}

/** What the fake needs to store a message. */
export interface NewMessage {
  id: string;
  channelId: string;
  author: APIUser;
  content: string;
  reference?: APIMessageReference;
  type?: number;
  flags?: number;
  /** Sent through the application's interaction webhook. */
  webhook?: boolean;
}

/** A message as Discord returns it; a reply carries the replied-to message one level deep. */
export function messageShape(m: NewMessage, referenced?: APIMessage): APIMessage {
  const appId = m.webhook ? m.author.id : undefined;
  return {
    id: m.id,
    channel_id: m.channelId,
    author: m.author,
    content: m.content,
    timestamp: new Date().toISOString(),
    ...plainMessageFields(),
    type: m.type ?? (m.reference ? 19 : 0),
    flags: m.flags ?? 0,
    ...(m.reference ? { message_reference: { type: 0, ...m.reference } } : {}),
    ...(referenced ? { referenced_message: { ...referenced, referenced_message: undefined } } : {}),
    ...(appId ? { webhook_id: appId, application_id: appId } : {}),
  };
}

/** Rate limits a test scripts: 429s for some requests, exhausted buckets for others. */
export class ScriptedLimits {
  private readonly refusals: {
    match: RouteMatcher;
    times: number;
    retryAfter: number;
    skip: number;
  }[] = [];
  private readonly exhausted: { match: RouteMatcher; resetAfter: number }[] = [];

  rateLimitNext(match: RouteMatcher, times: number, retryAfter: number, skip: number): void {
    this.refusals.push({ match, times, retryAfter, skip });
  }

  exhaustNext(match: RouteMatcher, resetAfter: number): void {
    this.exhausted.push({ match, resetAfter });
  }

  /** The 429 this request gets, if one is scripted for it. */
  refusal(route: string): Response | undefined {
    const limit = this.refusals.find((l) => l.times > 0 && matches(l.match, route));
    if (!limit) return undefined;
    if (limit.skip > 0) {
      limit.skip--;
      return undefined;
    }
    limit.times--;
    return tooManyRequests(route, limit.retryAfter);
  }

  /** Seconds until the bucket resets, when this response is scripted to exhaust it. */
  resetAfter(route: string): number | undefined {
    const at = this.exhausted.findIndex((e) => matches(e.match, route));
    return at >= 0 ? (this.exhausted.splice(at, 1)[0]?.resetAfter ?? 0) : undefined;
  }
}

/** A stable hash per route template, like Discord's opaque bucket ids. */
function bucketOf(route: string): string {
  const template = route
    .replace(/\d{5,}/g, ":id")
    .replace(/\/webhooks\/:id\/[^/]+/, "/webhooks/:id/:token");
  let h = 0;
  for (const c of template) h = (h * 31 + c.charCodeAt(0)) | 0;
  return (h >>> 0).toString(16).padStart(8, "0");
}
