/**
 * Raw Web API calls to a `FakeSlack`, without Quarry's client in between, for tests of
 * the fake itself: the status, `Retry-After` and JSON body as Slack would send them.
 */
import { FAKE_SLACK_URL, type FakeSlack } from "../fakes/slack-api.ts";

export interface RawSlackAnswer {
  status: number;
  retryAfter: string | null;
  body: { ok: boolean; error?: string } & Record<string, unknown>;
}

/** Methods Slack reads only form arguments of (as Quarry's client sends them). */
const FORM_ONLY = new Set(["conversations.replies", "users.info", "auth.test"]);

/** POSTs `args` to `method` (JSON, or a form where Slack wants one) with the fake's token. */
export async function slackCall(
  fake: FakeSlack,
  method: string,
  args: Record<string, unknown> = {},
  opts: { token?: string; signal?: AbortSignal } = {},
): Promise<RawSlackAnswer> {
  const form = FORM_ONLY.has(method);
  const res = await fake.handle(
    new Request(`${FAKE_SLACK_URL}/${method}`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${opts.token ?? fake.token}`,
        "content-type": form
          ? "application/x-www-form-urlencoded"
          : "application/json; charset=utf-8",
      },
      body: form
        ? new URLSearchParams(Object.entries(args).map(([k, v]) => [k, String(v)]))
        : JSON.stringify(args),
      signal: opts.signal,
    }),
  );
  return {
    status: res.status,
    retryAfter: res.headers.get("Retry-After"),
    body: (await res.json()) as RawSlackAnswer["body"],
  };
}

/** A clock that moves only when told: `now()` for the fake, `advance(ms)` for the test. */
export function virtualClock(start = 1_800_000_000_000) {
  let t = start;
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms;
    },
    sleep: async (ms: number) => {
      t += ms;
    },
  };
}
