import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { SlackApi } from "../adapters/slack/api.ts";
import { createSlackAdapter } from "../adapters/slack/slack-adapter.ts";
import type { ChatAdapter } from "../src/chat/adapter.ts";
import { ChatApiError } from "../src/errors.ts";
import { FAKE_SLACK_URL, type FakeSlack } from "./fakes/slack-api.ts";
import {
  ADAPTER_BOT_USER as BOT,
  ADAPTER_CHANNEL as CHANNEL,
  questionAt,
  ADAPTER_THREAD_ROOT as ROOT,
  slackAdapterFixture,
} from "./support/slack-adapter-fixture.ts";

async function rejection(promise: Promise<unknown>): Promise<ChatApiError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ChatApiError);
  return err as ChatApiError;
}

let fake: FakeSlack;
let adapter: ChatAdapter;

beforeEach(() => {
  ({ fake, adapter } = slackAdapterFixture());
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe("Slack adapter posting", () => {
  beforeEach(() => {
    fake.seedMessage(CHANNEL, { ts: ROOT, user: "U0ALICE", text: `<@${BOT}> what is QUIC?` });
  });

  it("posts into the question's thread as a markdown block with a short plain fallback", async () => {
    const q = questionAt("1700000100.000400");
    const long = `## Answer\n\n${"QUIC multiplexes streams. ".repeat(20)}`;
    const sent = await adapter.post(q, long);
    const [call] = fake.callsTo("chat.postMessage");
    expect(call?.headers.authorization).toBe("Bearer xoxb-test");
    expect(call?.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(call?.body).toEqual({
      channel: CHANNEL,
      thread_ts: ROOT,
      text: expect.stringMatching(/^Answer QUIC multiplexes streams\..*…$/),
      blocks: [{ type: "markdown", text: long }],
      unfurl_links: false,
      unfurl_media: false,
    });
    expect(Array.from(call?.body.text as string).length).toBeLessThanOrEqual(200);
    expect(sent).toEqual({ id: expect.stringMatching(/^\d+\.\d{6}$/), meta: { channel: CHANNEL } });
    expect(fake.thread(CHANNEL, ROOT).at(-1)).toEqual({
      ts: sent.id,
      user: BOT,
      bot_id: "B0QUARRY",
      text: long,
    });
  });

  it("edits its message with chat.update in the same shape", async () => {
    const q = questionAt("1700000100.000400");
    const sent = await adapter.post(q, "Thinking…");
    await adapter.edit(q, sent, "Final **answer**");
    const [call] = fake.callsTo("chat.update");
    expect(call?.body).toEqual({
      channel: CHANNEL,
      ts: sent.id,
      text: "Final answer",
      blocks: [{ type: "markdown", text: "Final **answer**" }],
    });
    expect(fake.thread(CHANNEL, ROOT).find((m) => m.ts === sent.id)?.text).toBe("Final **answer**");
  });

  it("never lets a post or an edit ping the channel", async () => {
    const q = questionAt("1700000100.000400");
    const sent = await adapter.post(q, "<!channel> look");
    await adapter.edit(q, sent, "@here and <@U0BOB>");
    const texts = fake.calls
      .flatMap((c) => [c.body.text, JSON.stringify(c.body.blocks)])
      .join("\n");
    expect(texts).not.toMatch(/<!|<@|(^|[^\w@])@(here|channel)\b/);
  });

  it("posts a placeholder rather than an empty markdown block", async () => {
    await adapter.post(questionAt("1700000100.000400"), "  ");
    expect(fake.callsTo("chat.postMessage")[0]?.body).toMatchObject({ text: "…" });
    expect(fake.callsTo("chat.postMessage")[0]?.body.blocks).toBeUndefined();
  });

  it("turns HTTP 429 into a rate_limited ChatApiError carrying Retry-After", async () => {
    fake.rateLimitNext("chat.update", 1, 7);
    const q = questionAt("1700000100.000400");
    const sent = await adapter.post(q, "first");
    const err = await rejection(adapter.edit(q, sent, "second"));
    expect(err).toMatchObject({
      code: "rate_limited",
      retryAfterMs: 7000,
      retryable: true,
      status: 429,
    });
    await adapter.edit(q, sent, "second");
    expect(fake.thread(CHANNEL, ROOT).at(-1)?.text).toBe("second");
  });

  it("keeps Slack's error string on a refused call", async () => {
    fake.failNext("chat.postMessage", "not_in_channel");
    const err = await rejection(adapter.post(questionAt("1700000100.000400"), "hi"));
    expect(err).toMatchObject({
      code: "not_in_channel",
      platformError: "not_in_channel",
      retryable: false,
    });
  });

  it("reports msg_too_long when a message exceeds Slack's markdown limit", async () => {
    const err = await rejection(adapter.post(questionAt("1700000100.000400"), "x".repeat(12_001)));
    expect(err.code).toBe("msg_too_long");
    expect(adapter.maxMessageChars).toBeLessThan(12_000);
  });

  it("refuses to edit someone else's message", async () => {
    fake.seedMessage(CHANNEL, {
      ts: "1700000100.000700",
      thread_ts: ROOT,
      user: "U0BOB",
      text: "mine",
    });
    const err = await rejection(
      adapter.edit(questionAt("1700000100.000400"), { id: "1700000100.000700" }, "yours"),
    );
    expect(err).toMatchObject({
      code: "cant_update_message",
      platformError: "cant_update_message",
    });
  });

  it("makes a network failure a retryable error", async () => {
    const broken = createSlackAdapter({
      api: new SlackApi({
        baseUrl: FAKE_SLACK_URL,
        token: "xoxb-test",
        fetch: () => Promise.reject(new TypeError("connection reset")),
      }),
      botUserId: BOT,
    });
    const err = await rejection(broken.post(questionAt("1700000100.000400"), "hi"));
    expect(err).toMatchObject({ code: "network", retryable: true });
  });

  it("uses globalThis.fetch as it is at call time", async () => {
    const late = createSlackAdapter({
      api: new SlackApi({ baseUrl: FAKE_SLACK_URL, token: "xoxb-test" }),
      botUserId: BOT,
    });
    vi.spyOn(globalThis, "fetch").mockImplementation((input, init) =>
      fake.handle(new Request(input, init)),
    );
    await late.post(questionAt("1700000100.000400"), "via the spy");
    expect(fake.callsTo("chat.postMessage")).toHaveLength(1);
  });

  it("shows a thread status and swallows its failures", async () => {
    const q = questionAt("1700000100.000400");
    await adapter.showWorking?.(q, "is researching…");
    expect(fake.callsTo("assistant.threads.setStatus")[0]?.body).toEqual({
      channel_id: CHANNEL,
      thread_ts: ROOT,
      status: "is researching…",
    });
    fake.failNext("assistant.threads.setStatus", "missing_scope");
    await expect(adapter.showWorking?.(q, "still researching…")).resolves.toBeUndefined();
    fake.rateLimitNext("assistant.threads.setStatus", 1, 30);
    await expect(adapter.showWorking?.(q, "still researching…")).resolves.toBeUndefined();
    expect(fake.callsTo("assistant.threads.setStatus")).toHaveLength(3);
  });
});

describe("Slack adapter native streaming", () => {
  beforeEach(() => {
    fake.seedMessage(CHANNEL, { ts: ROOT, user: "U0ALICE", text: `<@${BOT}> what is QUIC?` });
  });

  it("streams one message with start, append and stop, addressed to the asker", async () => {
    const stream = adapter.stream;
    if (!stream) throw new Error("the Slack adapter streams natively");
    expect(stream.maxAgeMs).toBeLessThan(5 * 60_000);
    const q = questionAt("1700000100.000400");
    const sent = await stream.start(q, "QUIC ");
    await stream.append(q, sent, "is a transport ");
    await stream.stop(q, sent, "protocol. <!here>");
    expect(fake.callsTo("chat.startStream")[0]?.body).toEqual({
      channel: CHANNEL,
      thread_ts: ROOT,
      recipient_user_id: "U0ALICE",
      recipient_team_id: "T0TEAM",
      markdown_text: "QUIC ",
    });
    expect(fake.callsTo("chat.appendStream")[0]?.body).toEqual({
      channel: CHANNEL,
      ts: sent.id,
      markdown_text: "is a transport ",
    });
    expect(fake.thread(CHANNEL, ROOT).at(-1)).toMatchObject({
      ts: sent.id,
      user: BOT,
      text: "QUIC is a transport protocol. @\u200Bhere",
    });
  });

  it.each(["unknown_method", "feature_not_enabled"] as const)(
    "reports stream_unsupported when the workspace answers %s",
    async (mode) => {
      fake.nativeStreaming = mode;
      const err = await rejection(
        adapter.stream?.start(questionAt("1700000100.000400"), "hi") ?? Promise.resolve(),
      );
      expect(err).toMatchObject({ code: "stream_unsupported", platformError: mode });
    },
  );

  it("reports stream_expired once Slack has closed an old stream", async () => {
    let now = 1_000_000;
    fake.now = () => now;
    const q = questionAt("1700000100.000400");
    const sent = await (adapter.stream as NonNullable<ChatAdapter["stream"]>).start(q, "start ");
    now += 5 * 60_000 + 1;
    const err = await rejection(
      (adapter.stream as NonNullable<ChatAdapter["stream"]>).append(q, sent, "too late"),
    );
    expect(err).toMatchObject({
      code: "stream_expired",
      platformError: "message_not_in_streaming_state",
    });
  });
});
