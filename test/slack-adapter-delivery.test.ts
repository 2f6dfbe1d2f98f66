/**
 * The Slack adapter's part in never losing an answer: it paces every write inside Slack's
 * limits through the shared limiter, tags keyed posts so a post whose answer was lost can
 * be found again, streams natively only where every reader sees it live, and dates history.
 */
import { describe, expect, it } from "vitest";
import { SLACK_RATE_RULES, SLACK_WRITE_METHODS } from "../adapters/slack/pacing.ts";
import { parseSlackRequest, slackEventToQuestion } from "../adapters/slack/parse.ts";
import type { ChatAdapter } from "../src/chat/adapter.ts";
import type { Question, SentMessage } from "../src/chat/types.ts";
import { localRateLimiter, type RateLimiter, type RateRule } from "../src/delivery/rate-limit.ts";
import { ChatApiError } from "../src/errors.ts";
import {
  ADAPTER_BOT_USER as BOT,
  ADAPTER_CHANNEL as CHANNEL,
  questionAt,
  ADAPTER_THREAD_ROOT as ROOT,
  slackAdapterFixture,
} from "./support/slack-adapter-fixture.ts";
import { virtualClock } from "./support/slack-calls.ts";
import { eventEnvelope } from "./support/slack-requests.ts";

/** The fake and a local limiter on one virtual clock: minutes of Slack time in milliseconds. */
function pacedWorld(opts: { limiter?: RateLimiter } = {}) {
  const clock = virtualClock();
  const limiter = opts.limiter ?? localRateLimiter({ now: clock.now, sleep: clock.sleep });
  const { fake, adapter } = slackAdapterFixture({ now: clock.now, limiter });
  fake.seedMessage(CHANNEL, { ts: ROOT, user: "U0ALICE", text: `<@${BOT}> what is QUIC?` });
  fake.seedMessage(CHANNEL, { ts: ASKED, thread_ts: ROOT, user: "U0ALICE", text: "and HTTP/3?" });
  return { fake, adapter, clock, pace: adapter.pace as NonNullable<ChatAdapter["pace"]> };
}

const ASKED = "1700000100.000400";
const q = () => questionAt(ASKED);

describe("Slack adapter pacing", () => {
  it("keeps 100 edits in a row inside Slack's Tier 3, without one 429", async () => {
    const { fake, adapter, clock, pace } = pacedWorld();
    await pace(q(), "post");
    const sent = await adapter.post(q(), "Thinking…");
    const started = clock.now();
    for (let i = 0; i < 100; i++) {
      await pace(q(), "edit");
      await adapter.edit(q(), sent, `answer so far ${i}`);
    }
    expect(fake.rateLimited).toEqual([]);
    expect(fake.callsTo("chat.update")).toHaveLength(100);
    // 100 edits at 45 a minute (3 at once after a quiet spell) take over two minutes.
    expect(clock.now() - started).toBeGreaterThan(2 * 60_000);
    expect(fake.thread(CHANNEL, ROOT).at(-1)?.text).toBe("answer so far 99");
  });

  it("would be refused by Slack without pacing (the check above can fail)", async () => {
    const { fake, adapter } = pacedWorld();
    const sent = await adapter.post(q(), "Thinking…");
    const refused: unknown[] = [];
    for (let i = 0; i < 60; i++) {
      await adapter.edit(q(), sent, `edit ${i}`).catch((e: unknown) => refused.push(e));
    }
    expect(refused.length).toBe(10);
    expect(refused[0]).toMatchObject({ kind: "rate_limited", retryAfterMs: 60_000 });
    expect(fake.rateLimited).toHaveLength(10);
  });

  it("spaces posts in one channel a second apart, and lets another channel's posts go at once", async () => {
    const { fake, adapter, clock, pace } = pacedWorld();
    fake.seedMessage("C0OTHER", { ts: ROOT, user: "U0ALICE", text: "elsewhere" });
    const elsewhere = questionAt("1700000100.000400", {
      thread: { platform: "slack", workspaceId: "T0TEAM", channelId: "C0OTHER", threadId: ROOT },
    });
    for (let i = 0; i < 5; i++) {
      await pace(q(), "post");
      await adapter.post(q(), `part ${i}`);
    }
    const afterFive = clock.now();
    await pace(elsewhere, "post");
    await adapter.post(elsewhere, "other channel");
    expect(clock.now()).toBe(afterFive);
    expect(fake.rateLimited).toEqual([]);
    expect(fake.thread(CHANNEL, ROOT)).toHaveLength(7);
  });

  it("paces native streams by their own tiers", async () => {
    const { fake, adapter, pace } = pacedWorld();
    const stream = adapter.stream as NonNullable<ChatAdapter["stream"]>;
    for (let i = 0; i < 25; i++) {
      await pace(q(), "stream.start");
      const sent = await stream.start(q(), `segment ${i} `);
      for (let j = 0; j < 5; j++) {
        await pace(q(), "stream.append");
        await stream.append(q(), sent, `line ${j}\n`);
      }
      await pace(q(), "stream.stop");
      await stream.stop(q(), sent);
    }
    expect(fake.rateLimited).toEqual([]);
    expect(fake.callsTo("chat.startStream")).toHaveLength(25);
  });

  it("paces thread status under its own method, and keeps it cosmetic", async () => {
    const { fake, adapter } = pacedWorld();
    for (let i = 0; i < 60; i++) await adapter.showWorking?.(q(), `still researching ${i}`);
    expect(fake.rateLimited).toEqual([]);
    expect(fake.callsTo("assistant.threads.setStatus")).toHaveLength(60);
    fake.revokeToken();
    await expect(adapter.showWorking?.(q(), "")).resolves.toBeUndefined();
  });

  it("lets the call go when the limiter cannot answer", async () => {
    const broken: RateLimiter = { acquire: () => Promise.reject(new Error("object unreachable")) };
    const { adapter, pace } = pacedWorld({ limiter: broken });
    await expect(pace(q(), "post")).resolves.toBeUndefined();
    await expect(adapter.showWorking?.(q(), "researching")).resolves.toBeUndefined();
  });

  it("books each write under its Slack method, in the workspace's scope", async () => {
    const booked: string[] = [];
    const recording: RateLimiter = {
      async acquire(scope, key, rule) {
        booked.push(`${scope} ${key} ${rule.limit}/${rule.windowMs}`);
      },
    };
    const { pace } = pacedWorld({ limiter: recording });
    for (const op of Object.keys(SLACK_WRITE_METHODS) as (keyof typeof SLACK_WRITE_METHODS)[])
      await pace(q(), op);
    expect(booked).toEqual([
      `slack:T0TEAM chat.postMessage:${CHANNEL} 1/1100`,
      "slack:T0TEAM chat.postMessage 270/60000",
      "slack:T0TEAM chat.update 45/60000",
      "slack:T0TEAM chat.startStream 18/60000",
      "slack:T0TEAM chat.appendStream 90/60000",
      "slack:T0TEAM chat.stopStream 18/60000",
    ]);
  });

  it("books a post's channel and workspace slots in one round trip where it can", async () => {
    const booked: string[] = [];
    const recording: RateLimiter = {
      async acquire(scope, key) {
        booked.push(`${scope} ${key}`);
      },
      async acquireEach(scope, slots) {
        booked.push(`${scope} ${slots.map((s) => s.key).join(" then ")}`);
      },
    };
    const { pace } = pacedWorld({ limiter: recording });
    await pace(q(), "post");
    await pace(q(), "edit");
    expect(booked).toEqual([
      `slack:T0TEAM chat.postMessage:${CHANNEL} then chat.postMessage`,
      "slack:T0TEAM chat.update",
    ]);
  });

  it("leaves every rule under Slack's figure in Slack's window, its whole burst included", () => {
    // Slack's documented limits: [calls, per ms].
    const slack: Record<keyof typeof SLACK_RATE_RULES, [number, number]> = {
      "chat.postMessage": [1, 1_000],
      "chat.postMessage:workspace": [300, 60_000],
      "chat.update": [50, 60_000],
      "chat.startStream": [20, 60_000],
      "chat.appendStream": [100, 60_000],
      "chat.stopStream": [20, 60_000],
      "assistant.threads.setStatus": [50, 60_000],
      "conversations.replies": [50, 60_000],
    };
    for (const [method, [limit, windowMs]] of Object.entries(slack)) {
      const rule: RateRule = SLACK_RATE_RULES[method as keyof typeof SLACK_RATE_RULES];
      // A GCRA lets `burst` through at once, then one per interval.
      const most = (rule.burst ?? 1) - 1 + Math.ceil(windowMs / (rule.windowMs / rule.limit));
      expect(most, method).toBeLessThanOrEqual(limit);
      expect(rule.limit / rule.windowMs, method).toBeLessThanOrEqual((0.91 * limit) / windowMs);
    }
  });
});

describe("Slack adapter keyed posts", () => {
  it("tags a keyed post with metadata and finds it again by its key", async () => {
    const { fake, adapter } = pacedWorld();
    const sent = await adapter.post(q(), "Part one", undefined, "slack:q1#0");
    expect(fake.callsTo("chat.postMessage")[0]?.body.metadata).toEqual({
      event_type: "quarry_answer",
      event_payload: { key: "slack:q1#0" },
    });
    expect(await adapter.findPost?.(q(), "slack:q1#0")).toEqual(sent);
    expect(await adapter.findPost?.(q(), "slack:q1#1")).toBeUndefined();
    const [read] = fake.callsTo("conversations.replies");
    expect(read?.body).toMatchObject({ include_all_metadata: "true", oldest: "1700000100.000400" });
  });

  it("finds a post Slack made although its answer never came back", async () => {
    const { fake, adapter } = pacedWorld();
    fake.loseResponseNext("chat.postMessage");
    const err = await adapter.post(q(), "Part one", undefined, "k-lost").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChatApiError);
    expect(err).toMatchObject({ ambiguous: true });
    const found = (await adapter.findPost?.(q(), "k-lost")) as SentMessage;
    expect(found).toMatchObject({ id: expect.any(String), meta: { channel: CHANNEL } });
    expect(fake.thread(CHANNEL, ROOT).find((m) => m.ts === found.id)?.text).toBe("Part one");
  });

  it("ignores someone else's message carrying the same key", async () => {
    const { fake, adapter } = pacedWorld();
    fake.seedMessage(CHANNEL, {
      ts: "1700000100.000500",
      thread_ts: ROOT,
      user: "U0BOB",
      text: "copy",
      metadata: { event_type: "quarry_answer", event_payload: { key: "k1" } },
    });
    expect(await adapter.findPost?.(q(), "k1")).toBeUndefined();
  });

  it("posts no metadata without a key", async () => {
    const { fake, adapter } = pacedWorld();
    await adapter.post(q(), "unkeyed");
    expect(fake.callsTo("chat.postMessage")[0]?.body.metadata).toBeUndefined();
  });
});

describe("Slack adapter native streaming preference", () => {
  function parsed(event: Record<string, unknown>): Question {
    const inbound = parseSlackRequest("application/json", eventEnvelope(event));
    if (inbound.kind !== "event") throw new Error("not an event");
    const decision = slackEventToQuestion(inbound);
    if (decision.kind !== "question") throw new Error(decision.reason);
    return decision.question;
  }
  const base = { user: "U0ALICE", ts: "1700000500.000100", event_ts: "1700000500.000100" };

  it("prefers native streaming in a DM, where the one reader sees it live", () => {
    const { adapter } = slackAdapterFixture();
    const dm = parsed({
      type: "message",
      channel_type: "im",
      channel: "D0ALICE",
      text: "hi",
      ...base,
    });
    expect(adapter.stream?.preferredFor?.(dm)).toBe(true);
  });

  it("posts and edits in a channel, where a stream is live only for the asker", () => {
    const { adapter } = slackAdapterFixture();
    const mention = parsed({
      type: "app_mention",
      channel: CHANNEL,
      text: `<@${BOT}> hi`,
      ...base,
    });
    expect(adapter.stream?.preferredFor?.(mention)).toBe(false);
    const group = parsed({
      type: "message",
      channel_type: "mpim",
      channel: "G0GROUP",
      text: `<@${BOT}> hi`,
      ...base,
    });
    expect(adapter.stream?.preferredFor?.(group)).toBe(false);
  });
});

describe("Slack adapter history times", () => {
  it("gives every entry the time of its ts", async () => {
    const { fake, adapter } = slackAdapterFixture();
    fake.seedMessage(CHANNEL, { ts: ROOT, user: "U0ALICE", text: "root" });
    fake.seedMessage(CHANNEL, {
      ts: "1700000160.250000",
      thread_ts: ROOT,
      user: BOT,
      bot_id: "B0QUARRY",
      text: "answer",
    });
    fake.seedMessage(CHANNEL, {
      ts: "1700000222.999999",
      thread_ts: ROOT,
      user: "U0ALICE",
      text: "why?",
    });
    const history = await adapter.fetchHistory(questionAt("1700000222.999999", { text: "why?" }));
    expect(history.map((h) => h.at)).toEqual([
      1_700_000_100_000, 1_700_000_160_250, 1_700_000_222_999,
    ]);
  });
});
