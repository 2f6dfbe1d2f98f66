import type { Context } from "hono";
import { QuarryError } from "../errors.ts";
import { type RouteEnv, requestLogger } from "./request-log.ts";

/**
 * The one place errors become HTTP: a `QuarryError` answers with its status and a
 * one-line reason (4xx for bad input, never a stack trace); anything else is a 500 that
 * says only that it was logged.
 */
export function onError(err: Error, c: Context<RouteEnv>): Response {
  const log = requestLogger(c);
  if (err instanceof QuarryError) {
    if (err.status >= 500) log.error("http.error", { error: err });
    return c.json({ ok: false, error: err.code, message: err.message }, err.status as 400);
  }
  // A bug: the stack says where (the logger scrubs it like every other string).
  log.error("http.error", { error: err, stack: err.stack });
  return c.json({ ok: false, error: "internal", message: "Internal error (logged)." }, 500);
}
