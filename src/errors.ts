/**
 * One small error family. `code` is stable (tests and messages key on it), `status` is
 * the HTTP status a route answers with, `retryable` says whether the same call may
 * succeed later (408/409/429/5xx upstream).
 */
export class QuarryError extends Error {
  readonly code: string;
  readonly status: number;
  readonly retryable: boolean;
  constructor(
    code: string,
    message: string,
    opts: { status?: number; retryable?: boolean; cause?: unknown } = {},
  ) {
    super(message, { cause: opts.cause });
    this.name = "QuarryError";
    this.code = code;
    this.status = opts.status ?? 500;
    this.retryable = opts.retryable ?? false;
  }
}

/** A required secret or var is missing or malformed; names the variable. */
export class ConfigError extends QuarryError {
  constructor(variable: string, why = "is not set") {
    super("config", `${variable} ${why}`, { status: 500 });
    this.name = "ConfigError";
  }
}

/** The request is malformed or not allowed: a 4xx, and no work is done. */
export class BadRequestError extends QuarryError {
  constructor(message: string, status = 400) {
    super("bad_request", message, { status });
    this.name = "BadRequestError";
  }
}

/**
 * What a failed platform call means for the answer that made it:
 * - `rate_limited`: wait `retryAfterMs` and send again (pacing, never a failure);
 * - `transient`: the platform is down or slow (5xx, network, timeout): back off and retry;
 * - `lost`: the message is gone (deleted): carry the answer on in a new message;
 * - `permanent`: the bot cannot write here any more (channel archived, bot removed,
 *   permission or token gone): stop the answer;
 * - `invalid`: the platform refused this body (too long, malformed): a bug or a limit to
 *   respect; retrying the same call cannot help.
 */
export type FailureKind = "rate_limited" | "transient" | "lost" | "permanent" | "invalid";

/** A chat platform's Web API refused or failed a call. */
export class ChatApiError extends QuarryError {
  /** Set on a rate limit: how long the platform asked us to wait. */
  readonly retryAfterMs?: number;
  /** The platform's own error string (Slack `error`, Discord `code`/`message`). */
  readonly platformError?: string;
  /** What the failure means for the answer (see `FailureKind`). */
  readonly kind: FailureKind;
  /**
   * True when the call may have taken effect although no answer came back (a timeout or a
   * dropped connection after the request left): look before sending a post again.
   */
  readonly ambiguous: boolean;
  constructor(
    code: string,
    message: string,
    opts: {
      status?: number;
      retryable?: boolean;
      retryAfterMs?: number;
      platformError?: string;
      kind?: FailureKind;
      ambiguous?: boolean;
      cause?: unknown;
    } = {},
  ) {
    super(code, message, {
      status: opts.status ?? 502,
      retryable: opts.retryable ?? (opts.kind === "transient" || opts.kind === "rate_limited"),
      cause: opts.cause,
    });
    this.name = "ChatApiError";
    this.retryAfterMs = opts.retryAfterMs;
    this.platformError = opts.platformError;
    this.kind =
      opts.kind ??
      (opts.retryAfterMs !== undefined
        ? "rate_limited"
        : this.retryable
          ? "transient"
          : "permanent");
    this.ambiguous = opts.ambiguous ?? false;
  }
}

/** True for HTTP statuses worth retrying: 408, 409, 429 and 5xx. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}
