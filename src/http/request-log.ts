import type { Context, MiddlewareHandler } from "hono";
import type { Env } from "../config.ts";
import { knownSecrets, type Logger, logger, newCorrelationId } from "../log.ts";

/** What the routes share through Hono's context: the request's logger and how it ended. */
export interface RouteVariables {
  log: Logger;
  /** Set by a route when the status alone does not say it (e.g. `platform_off`). */
  outcome?: string;
}

export type RouteEnv = { Bindings: Env; Variables: RouteVariables };

/**
 * One `http.request` line per request (method, path, status, outcome, elapsed), under a
 * correlation id: Cloudflare's `cf-ray` where there is one, so the line matches the
 * invocation in Workers Logs. Never the body or the headers: they carry tokens.
 */
export function requestLog(): MiddlewareHandler<RouteEnv> {
  return async (c, next) => {
    const started = Date.now();
    const platform = c.req.path.startsWith("/slack/")
      ? "slack"
      : c.req.path.startsWith("/discord/")
        ? "discord"
        : undefined;
    const log = logger(
      { correlation: c.req.header("cf-ray") ?? newCorrelationId(), ...(platform && { platform }) },
      { secrets: knownSecrets(c.env ?? {}) },
    );
    c.set("log", log);
    await next();
    const status = c.res.status;
    const retry = c.req.header("x-slack-retry-num");
    const fields = {
      method: c.req.method,
      path: c.req.path,
      status,
      outcome: c.get("outcome") ?? outcomeOf(status),
      elapsed_ms: Date.now() - started,
      ...(retry ? { slack_retry: Number(retry) } : {}),
    };
    if (status >= 500) log.error("http.request", fields);
    else if (status === 401) log.warn("http.request", fields);
    else log.info("http.request", fields);
  };
}

/** Both platform routes answer 401 only for a missing or wrong signature. */
function outcomeOf(status: number): string {
  if (status === 401) return "bad_signature";
  if (status === 404) return "not_found";
  if (status >= 500) return "error";
  if (status >= 400) return "bad_request";
  return "ok";
}

/** The request's logger, or a bare one where the middleware did not run. */
export function requestLogger(c: Context<RouteEnv>): Logger {
  return c.get("log") ?? logger({}, { secrets: knownSecrets(c.env ?? {}) });
}
