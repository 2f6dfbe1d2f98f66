import type { Context } from "hono";
import { QuarryError } from "../errors.ts";

/**
 * The one place errors become HTTP: a `QuarryError` answers with its status and a
 * one-line reason (4xx for bad input, never a stack trace); anything else is a 500 that
 * says only that it was logged.
 */
export function onError(err: Error, c: Context): Response {
  if (err instanceof QuarryError) {
    if (err.status >= 500) console.error(`${err.code}: ${err.message}`);
    return c.json({ ok: false, error: err.code, message: err.message }, err.status as 400);
  }
  console.error(err);
  return c.json({ ok: false, error: "internal", message: "Internal error (logged)." }, 500);
}
