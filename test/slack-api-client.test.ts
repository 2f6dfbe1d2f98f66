/**
 * The Slack client gives up on a call that takes too long, and tells the core what every
 * failure means: its kind, and whether the call may have taken effect anyway.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { SLACK_TIMEOUT_MS, SlackApi } from "../adapters/slack/api.ts";
import { ChatApiError, type FailureKind } from "../src/errors.ts";
import { FAKE_SLACK_URL, FakeSlack } from "./fakes/slack-api.ts";
import { slackApiFor } from "./support/slack-adapter-fixture.ts";
import { virtualClock } from "./support/slack-calls.ts";

const CHANNEL = "C0CLIENT";
const ROOT = "1700000100.000100";

// Posts come a second apart on the fake's clock: Slack takes one a second per channel.
const clock = virtualClock();

function world(opts: { timeoutMs?: number } = {}) {
  const fake = new FakeSlack({ now: clock.now });
  fake.seedMessage(CHANNEL, { ts: ROOT, user: "U0ANA", text: "question" });
  const api = new SlackApi({
    baseUrl: FAKE_SLACK_URL,
    token: fake.token,
    timeoutMs: opts.timeoutMs,
    fetch: (input, init) => fake.handle(new Request(input, init)),
  });
  return { fake, api };
}

async function failure(promise: Promise<unknown>): Promise<ChatApiError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ChatApiError);
  return err as ChatApiError;
}

function post(api: SlackApi, text = "answer") {
  clock.advance(1_000);
  return api.postMessage({ channel: CHANNEL, thread_ts: ROOT, text });
}

afterEach(() => {
  vi.useRealTimers();
});

describe("Slack client timeouts and lost answers", () => {
  it("gives up on a call Slack never answers: a transient, ambiguous timeout, the request aborted", async () => {
    const { fake, api } = world({ timeoutMs: 50 });
    fake.hangNext("chat.postMessage");
    const started = Date.now();
    const err = await failure(post(api));
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(err).toMatchObject({
      code: "timeout",
      kind: "transient",
      ambiguous: true,
      retryable: true,
    });
    // The next call is not held up by the one that timed out.
    await expect(post(api)).resolves.toMatchObject({ channel: CHANNEL });
  });

  it("times out even when the fetch it was given ignores the abort", async () => {
    const api = new SlackApi({
      baseUrl: FAKE_SLACK_URL,
      token: "xoxb-test",
      timeoutMs: 30,
      fetch: () => new Promise<Response>(() => {}),
    });
    expect(await failure(post(api))).toMatchObject({ code: "timeout", ambiguous: true });
  });

  it("waits 20 s by default", async () => {
    vi.useFakeTimers();
    const { fake, api } = world();
    fake.hangNext("chat.update");
    let outcome: unknown;
    const pending = api.update({ channel: CHANNEL, ts: ROOT, text: "x" }).catch((e: unknown) => {
      outcome = e;
    });
    await vi.advanceTimersByTimeAsync(SLACK_TIMEOUT_MS - 1);
    expect(outcome).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    await pending;
    expect(SLACK_TIMEOUT_MS).toBe(20_000);
    expect(outcome).toMatchObject({ code: "timeout", ambiguous: true });
  });

  it("calls a connection lost after Slack acted an ambiguous network failure, and the post is there", async () => {
    const { fake, api } = world();
    fake.loseResponseNext("chat.postMessage");
    const err = await failure(post(api, "went through"));
    expect(err).toMatchObject({ code: "network", kind: "transient", ambiguous: true });
    expect(fake.thread(CHANNEL, ROOT).at(-1)?.text).toBe("went through");
  });

  it("turns a 429 into rate_limited with Slack's Retry-After, not ambiguous", async () => {
    const { fake, api } = world();
    fake.rateLimitNext("chat.update", 1, 12);
    const err = await failure(api.update({ channel: CHANNEL, ts: ROOT, text: "x" }));
    expect(err).toMatchObject({
      code: "rate_limited",
      kind: "rate_limited",
      retryAfterMs: 12_000,
      ambiguous: false,
      status: 429,
    });
  });
});

describe("Slack client failure kinds", () => {
  const cases: [string, FailureKind, boolean][] = [
    ["message_not_found", "lost", false],
    ["channel_not_found", "permanent", false],
    ["not_in_channel", "permanent", false],
    ["is_archived", "permanent", false],
    ["invalid_auth", "permanent", false],
    ["not_authed", "permanent", false],
    ["account_inactive", "permanent", false],
    ["token_revoked", "permanent", false],
    ["token_expired", "permanent", false],
    ["missing_scope", "permanent", false],
    ["no_permission", "permanent", false],
    ["access_denied", "permanent", false],
    ["ekm_access_denied", "permanent", false],
    ["team_access_not_granted", "permanent", false],
    ["restricted_action", "permanent", false],
    ["restricted_action_thread_locked", "permanent", false],
    ["restricted_action_read_only_channel", "permanent", false],
    ["msg_too_long", "invalid", false],
    ["msg_blocks_too_long", "invalid", false],
    ["invalid_blocks", "invalid", false],
    ["invalid_blocks_format", "invalid", false],
    ["no_text", "invalid", false],
    ["invalid_arguments", "invalid", false],
    ["invalid_json", "invalid", false],
    ["internal_error", "transient", true],
    ["fatal_error", "transient", true],
    ["service_unavailable", "transient", false],
    ["request_timeout", "transient", false],
  ];

  it.each(cases)("%s is %s (ambiguous: %s)", async (error, kind, ambiguous) => {
    const { fake, api } = world();
    fake.failNext("chat.postMessage", error);
    const err = await failure(post(api));
    expect(err).toMatchObject({ code: error, platformError: error, kind, ambiguous });
    expect(err.retryable).toBe(kind === "transient");
  });

  it("keeps the codes the core switches on for native streams", async () => {
    const { fake, api } = world();
    const start = () =>
      api.startStream({ channel: CHANNEL, thread_ts: ROOT, recipient_user_id: "U0ANA" });
    fake.failNext("chat.startStream", "invalid_arguments");
    expect(await failure(start())).toMatchObject({ code: "stream_unsupported", kind: "invalid" });
    fake.nativeStreaming = "unknown_method";
    expect(await failure(start())).toMatchObject({
      code: "stream_unsupported",
      platformError: "unknown_method",
    });
    fake.failNext("chat.appendStream", "message_not_in_streaming_state");
    const expired = await failure(
      api.appendStream({ channel: CHANNEL, ts: ROOT, markdown_text: "x" }),
    );
    expect(expired).toMatchObject({ code: "stream_expired", retryable: false });
  });

  it("reads what a real workspace does to a call: a deleted message is lost, an archived channel or revoked token permanent", async () => {
    const { fake, api } = world();
    const { ts } = await post(api);
    fake.deleteMessage(CHANNEL, ts);
    expect(await failure(api.update({ channel: CHANNEL, ts, text: "x" }))).toMatchObject({
      code: "message_not_found",
      kind: "lost",
    });
    fake.archiveChannel(CHANNEL);
    expect(await failure(post(api))).toMatchObject({ code: "is_archived", kind: "permanent" });
    fake.revokeToken();
    expect(await failure(api.botIdentity())).toMatchObject({
      code: "token_revoked",
      kind: "permanent",
    });
  });

  it.each([
    [502, "transient", true],
    [500, "transient", true],
    [503, "transient", false],
    [404, "invalid", false],
    [403, "permanent", false],
  ] as const)(
    "an HTTP %i without a Slack body is %s (ambiguous: %s)",
    async (status, kind, ambiguous) => {
      const api = new SlackApi({
        baseUrl: FAKE_SLACK_URL,
        token: "xoxb-test",
        fetch: async () => new Response("<html>upstream error</html>", { status }),
      });
      expect(await failure(post(api))).toMatchObject({
        code: "http_error",
        status,
        kind,
        ambiguous,
      });
    },
  );

  it("reads Slack's error string even from a non-200 answer", async () => {
    const api = new SlackApi({
      baseUrl: FAKE_SLACK_URL,
      token: "xoxb-test",
      fetch: async () => Response.json({ ok: false, error: "invalid_auth" }, { status: 401 }),
    });
    expect(await failure(post(api))).toMatchObject({ code: "invalid_auth", kind: "permanent" });
  });

  it("takes a 200 whose body is not Slack's JSON as transient and ambiguous", async () => {
    const api = new SlackApi({
      baseUrl: FAKE_SLACK_URL,
      token: "xoxb-test",
      fetch: async () => new Response('{"ok":tr', { status: 200 }),
    });
    expect(await failure(post(api))).toMatchObject({ kind: "transient", ambiguous: true });
  });

  it("uses the shared fixture's client against the same fake", async () => {
    const fake = new FakeSlack();
    fake.seedMessage(CHANNEL, { ts: ROOT, user: "U0ANA", text: "question" });
    await slackApiFor(fake).postMessage({ channel: CHANNEL, thread_ts: ROOT, text: "hi" });
    expect(fake.callsTo("chat.postMessage")).toHaveLength(1);
  });
});
