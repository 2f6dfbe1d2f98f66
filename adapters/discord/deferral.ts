/**
 * Discord applies an interaction's deferral (type 5) only once it has received the Worker's
 * HTTP response, and the conversation object can reach the interaction webhook before that:
 * until then `GET`/`PATCH …/messages/@original` answer 404 with 10008 Unknown Message (or
 * 10015 Unknown Webhook, 50027 Invalid Webhook Token). Such an answer means "not yet", not
 * "gone", as long as the interaction is young; these helpers wait it out.
 * https://discord.com/developers/docs/interactions/receiving-and-responding#responding-to-an-interaction
 */
import { ChatApiError } from "../../src/errors.ts";

/** Discord's codes for an interaction webhook message or token it does not have (yet). */
const NOT_YET = new Set(["10008", "10015", "50027"]);

/**
 * How long after Discord delivered an interaction a 404 on its webhook may still mean "not
 * yet": the route defers within Discord's 3 s (2 s at most waiting for the conversation
 * object), and Discord applies it well within a few seconds after. Past this, the deferral
 * never arrived or the token died, and the answer moves on at once.
 */
export const DEFERRAL_WINDOW_MS = 30_000;

/**
 * The retries while the deferral has not arrived: 250 ms doubling to 2 s, for at least
 * `minMs` from the first attempt (the last wait is cut so an attempt lands at `minMs`).
 * Attempts at 0, 0.25, 0.75, 1.75, 3.75, 5.75, 7.75, 9.75 and 10 s.
 */
export const DEFERRAL_RETRY = { firstDelayMs: 250, maxDelayMs: 2_000, minMs: 10_000 } as const;

export interface Clock {
  now: () => number;
  sleep: (ms: number) => Promise<void>;
}

/** True when Discord answered that it has no such webhook message or token (yet). */
export function isNotYet(err: unknown): boolean {
  return err instanceof ChatApiError && NOT_YET.has(err.platformError ?? "");
}

/** True while a "not yet" answer for an interaction received at `receivedAt` can be believed. */
export function mayBeUndeferred(receivedAt: number, now: number): boolean {
  return now - receivedAt < DEFERRAL_WINDOW_MS;
}

/**
 * Runs `call`, retrying while Discord answers "not yet" (see `DEFERRAL_RETRY`); any other
 * failure, or "not yet" past the retries, is thrown.
 */
export async function whenDeferred<T>(call: () => Promise<T>, clock: Clock): Promise<T> {
  const first = clock.now();
  let delay: number = DEFERRAL_RETRY.firstDelayMs;
  for (;;) {
    try {
      return await call();
    } catch (err) {
      const left = first + DEFERRAL_RETRY.minMs - clock.now();
      if (!isNotYet(err) || left <= 0) throw err;
      await clock.sleep(Math.min(delay, left));
      delay = Math.min(DEFERRAL_RETRY.maxDelayMs, delay * 2);
    }
  }
}
