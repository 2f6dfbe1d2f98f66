/**
 * The fake Slack holds Quarry to Slack's documented rate limits, per method over a sliding
 * minute on its own clock, so a test can run minutes of platform time in milliseconds.
 */
import { describe, expect, it } from "vitest";
import { FakeSlack, type FakeSlackOptions } from "./fakes/slack-api.ts";
import { slackCall, virtualClock } from "./support/slack-calls.ts";

const CHANNEL = "C0LIMITS";
const ROOT = "1700000100.000100";

function world(limits?: FakeSlackOptions["limits"]) {
  const clock = virtualClock();
  const fake = new FakeSlack({ now: clock.now, limits });
  fake.seedMessage(CHANNEL, { ts: ROOT, user: "U0ANA", text: "question" });
  return { fake, clock };
}

async function post(fake: FakeSlack, channel = CHANNEL) {
  return slackCall(fake, "chat.postMessage", { channel, thread_ts: ROOT, text: "hi" });
}

describe("fake Slack rate limits", () => {
  it("answers the 51st chat.update inside 60 s with 429 and the seconds until the window frees", async () => {
    const { fake, clock } = world();
    const first = await post(fake);
    const ts = first.body.ts as string;
    clock.advance(1_000);
    const update = () => slackCall(fake, "chat.update", { channel: CHANNEL, ts, text: "edit" });
    for (let i = 0; i < 50; i++) {
      expect((await update()).status).toBe(200);
      clock.advance(1_000);
    }
    // The first update went out at 1 s; the 51st, at 51 s, waits until 61 s.
    const refused = await update();
    expect(refused).toMatchObject({
      status: 429,
      retryAfter: "10",
      body: { ok: false, error: "ratelimited" },
    });
    expect(fake.rateLimited).toEqual([
      { method: "chat.update", key: "chat.update", at: clock.now(), retryAfterSeconds: 10 },
    ]);
    clock.advance(9_999);
    expect((await update()).retryAfter).toBe("1");
    clock.advance(1);
    expect((await update()).status).toBe(200);
    expect(fake.rateLimited).toHaveLength(2);
  });

  it("refuses a second chat.postMessage in one channel within a second, not in another channel", async () => {
    const { fake, clock } = world();
    fake.seedMessage("C0OTHER", { ts: ROOT, user: "U0ANA", text: "elsewhere" });
    expect((await post(fake)).status).toBe(200);
    clock.advance(999);
    expect(await post(fake)).toMatchObject({ status: 429, retryAfter: "1" });
    expect((await post(fake, "C0OTHER")).status).toBe(200);
    expect(fake.rateLimited[0]).toMatchObject({ key: `chat.postMessage:${CHANNEL}` });
    clock.advance(1);
    expect((await post(fake)).status).toBe(200);
    // Only what Slack accepted is in the thread.
    expect(fake.thread(CHANNEL, ROOT)).toHaveLength(3);
  });

  it("caps chat.postMessage for the whole workspace too", async () => {
    const { fake, clock } = world();
    for (let i = 0; i < 300; i++) {
      const channel = `C0MANY${i}`;
      fake.seedMessage(channel, { ts: ROOT, user: "U0ANA", text: "q" });
      expect((await post(fake, channel)).status).toBe(200);
      clock.advance(100);
    }
    fake.seedMessage("C0LAST", { ts: ROOT, user: "U0ANA", text: "q" });
    expect(await post(fake, "C0LAST")).toMatchObject({ status: 429, retryAfter: "30" });
    expect(fake.rateLimited[0]).toMatchObject({ key: "chat.postMessage" });
  });

  it.each([
    ["chat.startStream", 20],
    ["chat.stopStream", 20],
    ["assistant.threads.setStatus", 50],
    ["conversations.replies", 50],
    ["chat.appendStream", 100],
    ["users.info", 100],
  ])("holds %s to %i a minute", async (method, perMinute) => {
    const { fake, clock } = world();
    const statuses: number[] = [];
    for (let i = 0; i <= perMinute; i++) {
      const res = await slackCall(fake, method, { channel: CHANNEL, channel_id: CHANNEL });
      statuses.push(res.status);
      clock.advance(100);
    }
    expect(statuses.slice(0, perMinute).every((s) => s === 200)).toBe(true);
    expect(statuses.at(-1)).toBe(429);
  });

  it("counts each method apart: a full chat.update window leaves appends alone", async () => {
    const { fake } = world();
    for (let i = 0; i < 50; i++) await slackCall(fake, "chat.update", { channel: CHANNEL });
    expect((await slackCall(fake, "chat.update", { channel: CHANNEL })).status).toBe(429);
    expect((await slackCall(fake, "chat.appendStream", { channel: CHANNEL })).status).toBe(200);
  });

  it("does not count a refused call against the window", async () => {
    const { fake, clock } = world();
    for (let i = 0; i < 20; i++) await slackCall(fake, "chat.startStream", { channel: CHANNEL });
    for (let i = 0; i < 5; i++) {
      expect((await slackCall(fake, "chat.startStream", { channel: CHANNEL })).status).toBe(429);
    }
    clock.advance(60_000);
    for (let i = 0; i < 20; i++) {
      expect((await slackCall(fake, "chat.startStream", { channel: CHANNEL })).status).toBe(200);
    }
  });

  it("takes other limits, e.g. Tier 1 conversations.replies of a non-Marketplace app", async () => {
    const { fake } = world({ "conversations.replies": [{ limit: 1, windowMs: 60_000 }] });
    const read = () => slackCall(fake, "conversations.replies", { channel: CHANNEL, ts: ROOT });
    expect((await read()).status).toBe(200);
    expect(await read()).toMatchObject({ status: 429, retryAfter: "60" });
  });

  it("still answers a scripted 429 with its own Retry-After, before any window fills", async () => {
    const { fake } = world();
    fake.rateLimitNext("chat.postMessage", 1, 7);
    expect(await post(fake)).toMatchObject({ status: 429, retryAfter: "7" });
    expect(fake.rateLimited[0]).toMatchObject({ key: "scripted", retryAfterSeconds: 7 });
    expect((await post(fake)).status).toBe(200);
  });
});
