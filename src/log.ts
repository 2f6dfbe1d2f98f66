/**
 * Structured logs: one JSON object per line, so Workers Logs (`[observability]` in
 * wrangler.toml) indexes every field and `wrangler tail` / `npm start` stay greppable.
 *
 * ```ts
 * const log = answerLogger(question, env); // in the answer job: one correlation id per answer
 * import { logger, newCorrelationId } from "./log.ts"; // elsewhere
 * const log = logger({ platform: "slack", workspace, channel, thread, question: q.id,
 *                      correlation: newCorrelationId() }, { secrets: knownSecrets(env) });
 * log.info("answer.started", { model });
 * log.info("answer.finished", { generation, model, outcome: "done", cost_usd, elapsed_ms });
 * log.error("answer.failed", { error: err, outcome: "failed" }); // errors become name/code/message
 * const inner = log.child({ generation }); // same fields plus more
 * ```
 *
 * Every line carries `level`, `event`, `time` (ISO) and the logger's fields. Nothing secret
 * gets out: fields named like a credential (`token`, `authorization`, `api_key`…) are
 * replaced, and every string is scrubbed of Slack tokens (`xox…-`, `xapp-`), OpenRouter
 * keys (`sk-or-`), Discord bot tokens and JWT-like strings, `Bearer`/`Bot` credentials,
 * Slack `response_url`s, Discord interaction-webhook tokens, long opaque strings, and the
 * exact values passed as `secrets` (use `knownSecrets(env)`: it also covers secrets with no
 * recognisable shape, such as the Slack signing secret). Never log request bodies or headers.
 */
import type { Question } from "./chat/types.ts";
import type { Env } from "./config.ts";

/** The fields shared by Quarry's log lines; any other JSON-able field may be added. */
export interface LogFields {
  /** Ties together every line of one request or one answer. */
  correlation?: string;
  platform?: "slack" | "discord";
  /** Slack team id or Discord guild id. */
  workspace?: string;
  channel?: string;
  thread?: string;
  /** The question's id (its message). */
  question?: string;
  /** OpenRouter's generation id (`X-Generation-Id`). */
  generation?: string;
  model?: string;
  /** How it ended: `done`, `failed`, `stopped`, `interrupted`, `bad_signature`… */
  outcome?: string;
  cost_usd?: number;
  elapsed_ms?: number;
  /** An `Error` is logged as its name, `code` and message (scrubbed), never as an object dump. */
  error?: unknown;
  [field: string]: unknown;
}

export type LogLevel = "debug" | "info" | "warn" | "error";

export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
  /** A logger whose lines also carry `fields`. */
  child(fields: LogFields): Logger;
}

export interface LoggerOptions {
  /** Exact values to scrub wherever they appear (empty and very short ones are ignored). */
  secrets?: readonly (string | undefined)[];
  /** Where a finished line goes; defaults to `console.log` / `console.warn` / `console.error`. */
  write?: (level: LogLevel, line: string) => void;
  now?: () => number;
}

const REDACTED = "[redacted]";

/** Field names whose values are credentials whatever they look like. */
const SECRET_KEY =
  /^(?:.*[_-])?(?:token|secret|password|passwd|authorization|auth|api[_-]?key|apikey|signature|cookie|set-cookie|private[_-]?key|signing[_-]?secret|client[_-]?secret|response[_-]?url)$/i;

/** Shapes of credentials, anywhere in a string. Order matters: specific before generic. */
const SECRET_PATTERNS: [RegExp, string][] = [
  // Case-sensitive, and 16+ characters, so prose such as "Bot messages" is left alone.
  [/\b([Bb]earer|Bot|Basic) [A-Za-z0-9._~+/=-]{16,}/g, `$1 ${REDACTED}`],
  [/\bxox[a-z]{0,2}[.-][A-Za-z0-9.-]{4,}/gi, REDACTED],
  [/\bxapp-[A-Za-z0-9-]{4,}/gi, REDACTED],
  [/\bsk-or-[A-Za-z0-9_-]{4,}/gi, REDACTED],
  [/\bsk-[A-Za-z0-9_-]{20,}/g, REDACTED],
  // Discord bot tokens (id.timestamp.hmac) and JWTs: three base64url parts joined by dots.
  [/\b[A-Za-z0-9_-]{18,}\.[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]{20,}/g, REDACTED],
  // A response_url answers to anyone who holds it for 30 minutes.
  [/https:\/\/hooks\.slack\.com\/[^\s"'<>]+/gi, `https://hooks.slack.com/${REDACTED}`],
  // Interaction tokens sit in webhook paths: /webhooks/{application id}/{token}/…
  [/(\/webhooks\/\d+\/)[^/\s"'?]+/gi, `$1${REDACTED}`],
  // Anything else long and opaque (interaction tokens are ~200 characters of base64).
  [/[A-Za-z0-9_+=-]{64,}/g, REDACTED],
];

/** The secret values of the Worker's environment, for `LoggerOptions.secrets`. */
export function knownSecrets(env: Partial<Env>): string[] {
  return [
    env.OPENROUTER_API_KEY,
    env.SLACK_BOT_TOKEN,
    env.SLACK_SIGNING_SECRET,
    env.DISCORD_BOT_TOKEN,
  ].filter((s): s is string => typeof s === "string" && s.trim().length >= 6);
}

/** `text` with every known secret value and every secret-looking string replaced. */
export function redactText(text: string, secrets: readonly (string | undefined)[] = []): string {
  let out = text;
  for (const secret of secrets) {
    const value = secret?.trim();
    if (value && value.length >= 6) out = out.split(value).join(REDACTED);
  }
  for (const [pattern, replacement] of SECRET_PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

/** A JSON-able copy of `value` with secrets removed (see `redactText` and secret field names). */
export function redactValue(
  value: unknown,
  secrets: readonly (string | undefined)[] = [],
  depth = 0,
): unknown {
  if (typeof value === "string") return redactText(value, secrets);
  if (typeof value === "bigint") return value.toString();
  if (value === null || typeof value !== "object") return value;
  if (depth > 5) return "[deep]";
  if (value instanceof Error) return errorFields(value, secrets);
  if (Array.isArray(value)) return value.map((v) => redactValue(v, secrets, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    // Counts such as `prompt_tokens` are numbers, not credentials: only strings are hidden.
    out[key] =
      SECRET_KEY.test(key) && v != null && typeof v !== "number" && typeof v !== "boolean"
        ? REDACTED
        : redactValue(v, secrets, depth + 1);
  }
  return out;
}

function errorFields(err: Error, secrets: readonly (string | undefined)[]) {
  const code = (err as { code?: unknown }).code;
  return {
    name: err.name,
    ...(typeof code === "string" || typeof code === "number" ? { code } : {}),
    message: redactText(err.message, secrets),
    ...(err.cause instanceof Error ? { cause: redactText(String(err.cause), secrets) } : {}),
  };
}

/** A short random id for `correlation`. */
export function newCorrelationId(): string {
  return crypto.randomUUID();
}

const consoleWrite = (level: LogLevel, line: string) => {
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
};

/** A logger whose every line carries `fields`. */
export function logger(fields: LogFields = {}, opts: LoggerOptions = {}): Logger {
  const write = opts.write ?? consoleWrite;
  const now = opts.now ?? Date.now;
  const secrets = opts.secrets ?? [];
  const emit = (level: LogLevel, event: string, extra: LogFields = {}) => {
    const record = redactValue({ ...fields, ...extra }, secrets) as Record<string, unknown>;
    const line = { level, event, time: new Date(now()).toISOString(), ...record };
    let text: string;
    try {
      text = JSON.stringify(line);
    } catch {
      text = JSON.stringify({ level, event, time: line.time, note: "fields not serialisable" });
    }
    write(level, text);
  };
  return {
    debug: (event, extra) => emit("debug", event, extra),
    info: (event, extra) => emit("info", event, extra),
    warn: (event, extra) => emit("warn", event, extra),
    error: (event, extra) => emit("error", event, extra),
    child: (more) => logger({ ...fields, ...more }, opts),
  };
}

/**
 * The logger of one answer: platform, workspace, channel, thread and question, with the
 * question's id as correlation id. Only one answer per question exists (its object dedupes
 * them), so every line of it shares the id, across the object's restarts and retries too.
 */
export function answerLogger(q: Pick<Question, "id" | "thread">, env: Partial<Env>): Logger {
  return logger(
    {
      correlation: q.id,
      platform: q.thread.platform,
      workspace: q.thread.workspaceId,
      channel: q.thread.channelId,
      thread: q.thread.threadId,
      question: q.id,
    },
    { secrets: knownSecrets(env) },
  );
}

/** For code with no request or answer at hand; prefer a `logger(...)` with fields and secrets. */
export const log: Logger = logger();
