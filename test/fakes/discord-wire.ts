/**
 * Discord's wire conventions for the fake REST API: its error bodies, its validation of
 * message content, the shape of a message, and the `X-RateLimit-*` headers and 429s it
 * answers with.
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

/** Discord's limits on message components: rows, buttons per row, `custom_id` and label length. */
const COMPONENT_LIMITS = { rows: 5, perRow: 5, customId: 100, label: 80 } as const;

function invalidComponents(message: string): DiscordError {
  return new DiscordError(400, 50035, "Invalid Form Body", {
    components: { _errors: [{ code: "COMPONENT_INVALID", message }] },
  });
}

/**
 * A message's `components` as Discord checks them (action rows of buttons; `[]` removes
 * every component), or undefined when the body leaves them out.
 * https://discord.com/developers/docs/components/reference#action-row
 */
export function checkComponents(body?: Json): Json[] | undefined {
  const rows = body?.components;
  if (rows === undefined) return undefined;
  if (!Array.isArray(rows) || rows.length > COMPONENT_LIMITS.rows)
    throw invalidComponents("Must be 5 or fewer action rows.");
  const ids = new Set<string>();
  for (const row of rows as Json[]) {
    const items = row?.components;
    if (
      row?.type !== 1 ||
      !Array.isArray(items) ||
      !items.length ||
      items.length > COMPONENT_LIMITS.perRow
    )
      throw invalidComponents("An action row holds 1 to 5 components.");
    for (const b of items as Json[]) {
      const id = b?.custom_id;
      const label = b?.label;
      if (b?.type !== 2 || typeof b.style !== "number" || b.style < 1 || b.style > 4)
        throw invalidComponents("Only buttons with a custom_id are supported here.");
      if (typeof id !== "string" || !id || id.length > COMPONENT_LIMITS.customId)
        throw invalidComponents("custom_id must be 1 to 100 characters.");
      if (
        label !== undefined &&
        (typeof label !== "string" || label.length > COMPONENT_LIMITS.label)
      )
        throw invalidComponents("label must be 80 or fewer characters.");
      if (ids.has(id)) throw invalidComponents("custom_id must be unique in a message.");
      ids.add(id);
    }
  }
  return rows as Json[];
}

/** Discord's check of `nonce`: a string of up to 25 characters, or an integer. */
export function checkNonce(body?: Json): string | undefined {
  const nonce = body?.nonce;
  if (nonce === undefined || nonce === null) return undefined;
  const text = String(nonce);
  if ((typeof nonce !== "string" && !Number.isInteger(nonce)) || text.length > 25) {
    throw new DiscordError(400, 50035, "Invalid Form Body", {
      nonce: {
        _errors: [{ code: "BASE_TYPE_MAX_LENGTH", message: "Must be 25 or fewer in length." }],
      },
    });
  }
  return text;
}

/** The `X-RateLimit-*` headers of a response: what the bucket it counted against says now. */
export interface RateHeaders {
  bucket: string;
  limit: number;
  remaining: number;
  /** Seconds until a slot frees (the oldest counted request leaves the window). */
  resetAfter: number;
  /** Epoch ms now, on the fake's clock. */
  now: number;
}

/** A response carrying Discord's rate-limit headers for the bucket it counted against. */
export function discordResponse(
  status: number,
  body: unknown,
  rate: RateHeaders,
  extra: Record<string, string> = {},
): Response {
  const headers = new Headers({
    ...extra,
    "X-RateLimit-Limit": String(rate.limit),
    "X-RateLimit-Remaining": String(rate.remaining),
    "X-RateLimit-Reset": ((rate.now + rate.resetAfter * 1000) / 1000).toFixed(3),
    "X-RateLimit-Reset-After": rate.resetAfter.toFixed(3),
    "X-RateLimit-Bucket": rate.bucket,
  });
  if (status === 204) return new Response(null, { status, headers });
  headers.set("Content-Type", "application/json");
  return new Response(JSON.stringify(body), { status, headers });
}

/** Discord's 429: `retry_after` in seconds (a float) in the body, `Retry-After` rounded up. */
export function tooManyRequests(rate: RateHeaders, retryAfter: number): Response {
  // Rounded up, so a client that waits exactly this long is never early.
  const seconds = Math.ceil(retryAfter * 1000) / 1000;
  const body = { message: "You are being rate limited.", retry_after: seconds, global: false };
  return discordResponse(
    429,
    body,
    { ...rate, remaining: 0, resetAfter: Math.max(rate.resetAfter, seconds) },
    { "Retry-After": String(Math.ceil(seconds)), "X-RateLimit-Scope": "user" },
  );
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
  /** Action rows of buttons, as sent (checked by `checkComponents`). */
  components?: Json[];
  /** Epoch ms it was posted, on the fake's clock. */
  at: number;
}

/** A message as Discord returns it; a reply carries the replied-to message one level deep. */
export function messageShape(m: NewMessage, referenced?: APIMessage): APIMessage {
  const appId = m.webhook ? m.author.id : undefined;
  return {
    id: m.id,
    channel_id: m.channelId,
    author: m.author,
    content: m.content,
    timestamp: new Date(m.at).toISOString(),
    ...plainMessageFields(),
    type: m.type ?? (m.reference ? 19 : 0),
    flags: m.flags ?? 0,
    components: (m.components ?? []) as unknown as APIMessage["components"],
    ...(m.reference ? { message_reference: { type: 0, ...m.reference } } : {}),
    ...(referenced ? { referenced_message: { ...referenced, referenced_message: undefined } } : {}),
    ...(appId ? { webhook_id: appId, application_id: appId } : {}),
  };
}

/** A stable hash per route template, like Discord's opaque bucket ids. */
export function bucketOf(route: string): string {
  const template = route
    .replace(/\d{5,}/g, ":id")
    .replace(/\/webhooks\/:id\/[^/]+/, "/webhooks/:id/:token");
  let h = 0;
  for (const c of template) h = (h * 31 + c.charCodeAt(0)) | 0;
  return (h >>> 0).toString(16).padStart(8, "0");
}

export interface FakeDiscordOptions {
  token?: string;
  applicationId?: string;
  /** The fake's clock (epoch ms): rate windows, nonce memory, deferrals and ids run on it. */
  now?: () => number;
  /**
   * How long a `nonce` sent with `enforce_nonce` dedupes creates. Discord says "the past
   * few minutes"; the fake keeps it short so nothing leans on a longer memory.
   */
  nonceWindowMs?: number;
}
