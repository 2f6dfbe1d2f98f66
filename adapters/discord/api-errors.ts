/**
 * Discord's REST failures as `ChatApiError`s: a stable `code` the adapter keys on, and the
 * `kind` that tells the core what the failure means for an answer.
 * https://discord.com/developers/docs/topics/opcodes-and-status-codes#json
 */
import { ChatApiError, type FailureKind, isRetryableStatus } from "../../src/errors.ts";

/** Discord's JSON error codes Quarry reacts to: a stable code and what it means. */
const KNOWN: Record<number, { code: string; kind: FailureKind }> = {
  10003: { code: "unknown_channel", kind: "permanent" },
  10004: { code: "unknown_guild", kind: "permanent" },
  // The message was deleted: an answer carries on in a new one.
  10008: { code: "unknown_message", kind: "lost" },
  // Unknown Webhook / Invalid Webhook Token: the interaction token is dead (or not live yet).
  10015: { code: "interaction_expired", kind: "permanent" },
  50027: { code: "interaction_expired", kind: "permanent" },
  50001: { code: "missing_access", kind: "permanent" },
  50013: { code: "missing_permissions", kind: "permanent" },
  50007: { code: "cannot_message_user", kind: "permanent" },
  50083: { code: "thread_archived", kind: "permanent" },
  50005: { code: "not_author", kind: "invalid" },
  50006: { code: "empty_message", kind: "invalid" },
  50035: { code: "invalid_form_body", kind: "invalid" },
};

/** What an error status without a known code means. */
function kindOfStatus(status: number): FailureKind {
  if (isRetryableStatus(status)) return "transient";
  if (status === 401 || status === 403 || status === 404) return "permanent";
  return "invalid";
}

/** A non-2xx, non-429 answer. A 5xx may have been applied before it failed: look before re-posting. */
export function httpError(
  route: string,
  status: number,
  data?: Record<string, unknown>,
): ChatApiError {
  const code = typeof data?.code === "number" ? data.code : undefined;
  const known = code !== undefined ? KNOWN[code] : undefined;
  const message = typeof data?.message === "string" ? data.message : `HTTP ${status}`;
  const kind = known?.kind ?? kindOfStatus(status);
  return new ChatApiError(
    known?.code ?? (status === 401 ? "unauthorized" : "http_error"),
    `Discord ${route}: ${message}${code ? ` (${code})` : ""}`,
    {
      status,
      kind,
      retryable: kind === "transient",
      ambiguous: status >= 500,
      platformError: code !== undefined ? String(code) : undefined,
    },
  );
}

/** No answer within `timeoutMs`: the call may or may not have been applied. */
export function timeoutError(route: string, timeoutMs: number, cause?: unknown): ChatApiError {
  return new ChatApiError("timeout", `Discord ${route}: no answer within ${timeoutMs} ms`, {
    status: 504,
    kind: "transient",
    ambiguous: true,
    cause,
  });
}

/** The connection failed: the request may have reached Discord before it did. */
export function networkError(route: string, cause: unknown): ChatApiError {
  return new ChatApiError("network", `Discord ${route} failed: ${String(cause)}`, {
    kind: "transient",
    ambiguous: true,
    cause,
  });
}
