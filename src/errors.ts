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

/** A chat platform's Web API refused or failed a call. */
export class ChatApiError extends QuarryError {
  /** Set on a rate limit: how long the platform asked us to wait. */
  readonly retryAfterMs?: number;
  /** The platform's own error string (Slack `error`, Discord `code`/`message`). */
  readonly platformError?: string;
  constructor(
    code: string,
    message: string,
    opts: {
      status?: number;
      retryable?: boolean;
      retryAfterMs?: number;
      platformError?: string;
      cause?: unknown;
    } = {},
  ) {
    super(code, message, {
      status: opts.status ?? 502,
      retryable: opts.retryable,
      cause: opts.cause,
    });
    this.name = "ChatApiError";
    this.retryAfterMs = opts.retryAfterMs;
    this.platformError = opts.platformError;
  }
}

/** True for HTTP statuses worth retrying: 408, 409, 429 and 5xx. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}
