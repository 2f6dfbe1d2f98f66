import { isRetryableStatus, QuarryError } from "../errors.ts";

export type OpenRouterErrorCode =
  | "auth"
  | "credits"
  | "moderation"
  | "rate_limit"
  | "provider"
  | "timeout"
  | "stall"
  | "bad_request"
  | "not_found"
  | "stream_error"
  | "network";

export interface OpenRouterErrorDetails {
  /** Upstream HTTP status, or 0 when no response arrived (network, stall, in-band error). */
  status?: number;
  retryable?: boolean;
  retryAfterMs?: number;
  /** The provider's own reason behind "Provider returned error" (`metadata.raw`). */
  providerReason?: string;
  providerName?: string;
  /** Why moderation flagged the input (`metadata.reasons` on a 403). */
  moderationReasons?: string[];
  flaggedInput?: string;
  /** The model that was asked, so messages can name it. */
  model?: string;
  /** For `stall`: how long nothing but keep-alives arrived. */
  silentForMs?: number;
  cause?: unknown;
}

/** Anything that went wrong talking to OpenRouter, with a stable `code`. */
export class OpenRouterError extends QuarryError {
  declare readonly code: OpenRouterErrorCode;
  readonly retryAfterMs?: number;
  readonly providerReason?: string;
  readonly providerName?: string;
  readonly moderationReasons?: string[];
  readonly flaggedInput?: string;
  readonly model?: string;
  readonly silentForMs?: number;

  constructor(code: OpenRouterErrorCode, message: string, details: OpenRouterErrorDetails = {}) {
    const status = details.status ?? 0;
    super(code, message, {
      status,
      retryable: details.retryable ?? (status > 0 && isRetryableStatus(status)),
      cause: details.cause,
    });
    this.name = "OpenRouterError";
    this.retryAfterMs = details.retryAfterMs;
    this.providerReason = details.providerReason;
    this.providerName = details.providerName;
    this.moderationReasons = details.moderationReasons;
    this.flaggedInput = details.flaggedInput;
    this.model = details.model;
    this.silentForMs = details.silentForMs;
  }
}

const STATUS_CODES: Record<number, OpenRouterErrorCode> = {
  400: "bad_request",
  401: "auth",
  402: "credits",
  403: "moderation",
  404: "not_found",
  408: "timeout",
  413: "bad_request",
  422: "bad_request",
  429: "rate_limit",
};

/** The error code for an upstream HTTP status (also used for numeric in-band error codes). */
export function codeForStatus(status: number): OpenRouterErrorCode {
  return STATUS_CODES[status] ?? (status >= 500 ? "provider" : "bad_request");
}

/** The `{ error: { code, message, metadata } }` body OpenRouter sends, pre-stream or in-band. */
export interface OpenRouterErrorBody {
  code?: number | string;
  message?: string;
  metadata?: Record<string, unknown>;
}

/** Builds an error from an error body; `status` is the HTTP status, or 0 for an in-band error. */
export function errorFromBody(
  status: number,
  body: OpenRouterErrorBody | undefined,
  extra: { retryAfterMs?: number; model?: string } = {},
): OpenRouterError {
  const numeric = typeof body?.code === "number" ? body.code : Number(body?.code);
  const effective = status || (Number.isInteger(numeric) && numeric >= 400 ? numeric : 0);
  const code = effective ? codeForStatus(effective) : "stream_error";
  const metadata = body?.metadata ?? {};
  const reasons = stringArray(metadata.reasons);
  const message = body?.message?.trim() || (effective ? `HTTP ${effective}` : "stream error");
  return new OpenRouterError(code, `OpenRouter: ${message}`, {
    status,
    // An in-band error with a string code is a generation that broke; asking again may work.
    retryable: effective ? isRetryableStatus(effective) : true,
    retryAfterMs: extra.retryAfterMs,
    providerReason: digReason(metadata.raw),
    providerName: typeof metadata.provider_name === "string" ? metadata.provider_name : undefined,
    moderationReasons: code === "moderation" ? reasons : undefined,
    flaggedInput: typeof metadata.flagged_input === "string" ? metadata.flagged_input : undefined,
    model: extra.model,
  });
}

/** Reads a non-2xx response (JSON or not) into an `OpenRouterError`. */
export async function errorFromResponse(
  response: Response,
  model?: string,
): Promise<OpenRouterError> {
  const text = await response.text().catch(() => "");
  let body: OpenRouterErrorBody | undefined;
  try {
    const parsed = JSON.parse(text) as { error?: OpenRouterErrorBody };
    body = parsed.error;
  } catch {
    // Gateways in front of OpenRouter can answer with HTML or plain text.
  }
  body ??= { message: text.trim().slice(0, 200) || response.statusText };
  const retryAfterMs = parseRetryAfter(response.headers.get("Retry-After"));
  return errorFromBody(response.status, body, { retryAfterMs, model });
}

/** `Retry-After` is seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** `metadata.raw` is whatever the provider sent: often a JSON string whose `error.message` is the real reason. */
function digReason(raw: unknown, depth = 0): string | undefined {
  if (raw == null || depth > 3) return undefined;
  if (typeof raw === "string") {
    const trimmed = raw.trim();
    if (!trimmed) return undefined;
    try {
      return digReason(JSON.parse(trimmed), depth + 1) ?? trimmed;
    } catch {
      return trimmed;
    }
  }
  if (typeof raw !== "object") return String(raw);
  const record = raw as Record<string, unknown>;
  const nested = record.error;
  if (typeof nested === "string") return nested;
  if (nested && typeof nested === "object") {
    const inner = digReason(nested, depth + 1);
    if (inner) return inner;
  }
  if (typeof record.message === "string" && record.message.trim()) return record.message.trim();
  if (typeof record.detail === "string" && record.detail.trim()) return record.detail.trim();
  return depth === 0 ? JSON.stringify(raw) : undefined;
}

function stringArray(value: unknown): string[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const items = value.filter((v): v is string => typeof v === "string");
  return items.length ? items : undefined;
}

/** "20 minutes", "45 seconds", "250 ms". */
export function formatDuration(ms: number): string {
  if (ms >= 120_000) return `${Math.round(ms / 60_000)} minutes`;
  if (ms >= 60_000) return "1 minute";
  if (ms >= 1_000) return `${Math.round(ms / 1_000)} seconds`;
  return `${Math.round(ms)} ms`;
}

function truncate(text: string, max: number): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** One plain sentence a chat user can act on. */
export function toUserMessage(err: OpenRouterError): string {
  const model = err.model ? `\`${err.model}\`` : "the model";
  const reason = err.providerReason ? truncate(err.providerReason, 300) : undefined;
  const said = err.message.replace(/^OpenRouter: /, "");
  switch (err.code) {
    case "auth":
      return "OpenRouter rejected the API key (401): OPENROUTER_API_KEY is invalid or disabled; an admin needs to set a working key.";
    case "credits":
      return "OpenRouter says this account is out of credits (402). Add credits at https://openrouter.ai/settings/credits and ask again.";
    case "moderation": {
      const why = err.moderationReasons?.length ? `: ${err.moderationReasons.join(", ")}` : "";
      return `OpenRouter's moderation flagged this question (403)${why}. Rephrase it and ask again.`;
    }
    case "rate_limit": {
      const wait = err.retryAfterMs ? ` (it asks to wait ${formatDuration(err.retryAfterMs)})` : "";
      return `OpenRouter is rate-limiting requests to ${model} right now${wait}; try again later.`;
    }
    case "provider":
      if (reason) return `The provider behind ${model} returned an error: ${reason}`;
      return `${capitalize(model)} is unavailable at OpenRouter right now (${err.status || "error"}); try again later or pick another model.`;
    case "timeout":
      return `OpenRouter timed out waiting for ${model} (408); try again later.`;
    case "stall":
      return `${capitalize(model)} sent nothing for ${formatDuration(err.silentForMs ?? 0)}, so I stopped waiting; ask again to retry.`;
    case "bad_request":
      if (/is not a valid model id/i.test(said)) {
        return `OpenRouter does not offer ${model} (it may have been retired); pick another model in the channel settings.`;
      }
      return `OpenRouter refused the request to ${model}: ${reason ?? truncate(said, 300)}`;
    case "not_found":
      return `OpenRouter does not know the model ${model} (404); pick another one in the channel settings.`;
    case "stream_error":
      return `The answer from ${model} broke off: ${reason ?? truncate(said, 300)}`;
    case "network":
      return "Could not reach OpenRouter (network error); try again in a moment.";
  }
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * True when the error means this model cannot answer at all, so another model should be tried:
 * 400 "… is not a valid model ID" (an unknown or retired id), 404 "No endpoints found for …"
 * or a provider's "model not found / does not exist / deprecated", and 503s that say no
 * instance or provider of the model is available. Rate limits, credits and moderation are not.
 */
export function isModelUnavailable(err: unknown): boolean {
  if (!(err instanceof OpenRouterError)) return false;
  const said = `${err.message} ${err.providerReason ?? ""}`.toLowerCase();
  if (/is not a valid model id|invalid model id/.test(said)) return true;
  if (/no endpoints found/.test(said)) return true;
  if (/model[_ ]not[_ ]found|model .*(does not exist|has been deprecated|is deprecated)/.test(said))
    return true;
  if (err.code === "not_found") return true;
  if (err.status === 503 || (err.code === "provider" && err.status === 0)) {
    return /unavailable|no instances|no (allowed )?providers|not available|no available/.test(said);
  }
  return false;
}
