/**
 * What a failed Slack Web API call means for the answer that made it: Slack's `error`
 * strings and HTTP failures mapped onto `ChatApiError` codes and `FailureKind`s.
 * Error strings are those the methods' reference pages list (docs.slack.dev/reference/methods).
 */
import { ChatApiError, type FailureKind } from "../../src/errors.ts";

const STREAM_METHODS = new Set(["chat.startStream", "chat.appendStream", "chat.stopStream"]);
/** Errors meaning this workspace or token cannot stream natively; the caller falls back to post + edit. */
const STREAM_UNSUPPORTED = new Set([
  "unknown_method",
  "feature_not_enabled",
  "not_allowed_token_type",
]);

/** The message is gone (someone deleted it): the answer carries on in a new one. */
const LOST = new Set(["message_not_found"]);
/** The bot cannot write here any more, or at all: the channel, its membership, the token or a permission is gone. */
const PERMANENT = new Set([
  "channel_not_found",
  "not_in_channel",
  "is_archived",
  "invalid_auth",
  "not_authed",
  "account_inactive",
  "token_revoked",
  "token_expired",
  "missing_scope",
  "no_permission",
  "access_denied",
  "ekm_access_denied",
  "team_access_not_granted",
  "restricted_action",
]);
/** Slack refused this body: a limit to respect or a bug; the same call cannot succeed. */
const INVALID = new Set([
  "msg_too_long",
  "msg_blocks_too_long",
  "invalid_blocks",
  "invalid_blocks_format",
  "no_text",
  "invalid_arguments",
  "invalid_json",
  "invalid_form_data",
  "invalid_charset",
  "invalid_post_type",
  "missing_post_type",
  "invalid_arg_name",
  "invalid_array_arg",
  "invalid_metadata_format",
  "invalid_metadata_schema",
  "metadata_too_large",
  "too_many_attachments",
]);
/** Slack is down or slow; `request_timeout` means the body arrived truncated, so nothing happened. */
const TRANSIENT = new Set([
  "internal_error",
  "fatal_error",
  "service_unavailable",
  "request_timeout",
]);
/** Slack's own words for these: "It's possible some aspect of the operation succeeded". */
const MAYBE_APPLIED = new Set(["internal_error", "fatal_error"]);
/** `ratelimited` in a body (not a 429) and `rate_limited` ("posted too many messages"). */
const RATE_LIMITED = new Set(["ratelimited", "rate_limited"]);

function errorCode(method: string, error: string): string {
  if (STREAM_METHODS.has(method) && STREAM_UNSUPPORTED.has(error)) return "stream_unsupported";
  if (method === "chat.startStream" && error === "invalid_arguments") return "stream_unsupported";
  if (error === "message_not_in_streaming_state") return "stream_expired";
  return error;
}

/** The kind of a Slack `error` string; anything unlisted that Slack refuses is permanent. */
export function slackErrorKind(error: string): FailureKind {
  if (RATE_LIMITED.has(error)) return "rate_limited";
  if (TRANSIENT.has(error)) return "transient";
  if (LOST.has(error)) return "lost";
  if (INVALID.has(error)) return "invalid";
  // `restricted_action_read_only_channel`, `…_thread_locked` and the other variants.
  if (PERMANENT.has(error) || error.startsWith("restricted_action")) return "permanent";
  // The workspace lacks native streaming, or the stream closed: the caller switches by code.
  if (STREAM_UNSUPPORTED.has(error) || error === "message_not_in_streaming_state") return "invalid";
  return "permanent";
}

/** `{ ok: false, error }` from `method`. */
export function slackRefusal(
  method: string,
  error: string,
  needed?: string,
  retryAfterMs?: number,
): ChatApiError {
  const kind = slackErrorKind(error);
  return new ChatApiError(
    errorCode(method, error),
    `Slack ${method}: ${error}${needed ? ` (needs ${needed})` : ""}`,
    {
      kind,
      platformError: error,
      ambiguous: MAYBE_APPLIED.has(error),
      ...(kind === "rate_limited" ? { retryAfterMs: retryAfterMs ?? 1000 } : {}),
    },
  );
}

/** HTTP 429: Slack tells how long to wait in `Retry-After` (whole seconds). */
export function slackRateLimited(method: string, retryAfter: string | null): ChatApiError {
  const seconds = Number(retryAfter);
  const retryAfterMs = Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 1000;
  return new ChatApiError("rate_limited", `Slack ${method} is rate limited`, {
    status: 429,
    kind: "rate_limited",
    retryAfterMs,
    platformError: "ratelimited",
  });
}

/**
 * An HTTP failure without a Slack answer in the body (a gateway's 5xx page, a body cut
 * short). A 5xx other than 503 may come after Slack acted, and so may a 2xx whose body
 * never arrived whole: those are ambiguous.
 */
export function slackHttpFailure(
  method: string,
  status: number,
  platformError?: string,
): ChatApiError {
  const kind: FailureKind =
    status >= 500 || status === 408 || status === 409 || (status >= 200 && status < 300)
      ? "transient"
      : status === 401 || status === 403
        ? "permanent"
        : "invalid";
  return new ChatApiError("http_error", `Slack ${method} answered HTTP ${status}`, {
    status,
    kind,
    platformError,
    ambiguous: (status >= 500 && status !== 503) || (status >= 200 && status < 300),
  });
}

/**
 * No answer at all: the connection failed or the call outlived `timeoutMs`. Either may
 * happen after the request left, so Slack may have acted on it.
 */
export function slackNoAnswer(
  method: string,
  cause: unknown,
  timedOutAfterMs?: number,
): ChatApiError {
  const timeout = timedOutAfterMs !== undefined;
  return new ChatApiError(
    timeout ? "timeout" : "network",
    timeout
      ? `Slack ${method} gave no answer within ${timedOutAfterMs} ms`
      : `Slack ${method} failed: ${String(cause)}`,
    { kind: "transient", ambiguous: true, cause },
  );
}
