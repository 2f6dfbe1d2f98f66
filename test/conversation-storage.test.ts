import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { discordDelivery } from "../adapters/discord/delivery.ts";
import type { Question } from "../src/chat/types.ts";
import { CHECKPOINT_RETENTION_MS, RETENTION_MS } from "../src/conversation/question-store.ts";
import { conversationFor, conversationName } from "../src/conversation/submit.ts";
import { eventually } from "./fakes/network.ts";
import { freshSnowflake } from "./support/discord-world.ts";
import { eventEnvelope, messageEvent, sendMention, sendSlack } from "./support/slack-requests.ts";
import { freshChannel, settled, slackThread, slackWorld } from "./support/slack-world.ts";

function stubFor(channel: string, ts: string) {
  const ns = env.CONVERSATIONS;
  return ns.get(ns.idFromName(conversationName(slackThread(channel, ts))));
}

const tables = (stub: DurableObjectStub) =>
  runInDurableObject(stub, (_o, state) =>
    state.storage.sql.exec<{ name: string }>("SELECT name FROM sqlite_master").toArray(),
  );

describe("bounded conversation storage", () => {
  it("a reply in a thread Quarry never answered creates no conversation storage", async () => {
    const { slack, openrouter } = await slackWorld();
    const channel = freshChannel();
    const root = "1700007000.000100";
    slack.seedMessage(channel, { ts: root, user: "U0ANA", text: "people talking" });
    const res = await sendSlack(
      eventEnvelope(messageEvent(channel, "1700007000.000200", "no bot here", { thread_ts: root })),
    );
    expect(res.status).toBe(200);
    const stub = stubFor(channel, root);
    expect(await tables(stub)).toEqual([]);
    expect(await runInDurableObject(stub, (_o, state) => state.storage.getAlarm())).toBeNull();
    expect(openrouter.chatBodies).toHaveLength(0);
  });

  it("drops a finished question's checkpoint after a day, the question after the retention, then all storage", async () => {
    const { slack } = await slackWorld();
    const channel = freshChannel();
    const ts = "1700007001.000100";
    slack.seedMessage(channel, { ts, user: "U0ANA", text: "<@U0QUARRY> q" });
    await sendMention(channel, ts);
    await settled(slackThread(channel, ts));
    const stub = stubFor(channel, ts);
    const row = () =>
      runInDurableObject(stub, (_o, state) =>
        state.storage.sql
          .exec<{ checkpoint: string | null; answer: string | null }>(
            "SELECT checkpoint, answer FROM questions",
          )
          .toArray(),
      );
    const age = (ms: number) =>
      runInDurableObject(stub, (_o, state) => {
        state.storage.sql.exec("UPDATE questions SET updated_at = ?", Date.now() - ms);
      });

    await age(CHECKPOINT_RETENTION_MS + 60_000);
    await runDurableObjectAlarm(stub);
    expect(await row()).toEqual([
      { checkpoint: null, answer: expect.stringContaining("short answer") },
    ]);
    // Idle, with a question still kept: the next alarm is when it expires.
    const next = await runInDurableObject(stub, (_o, state) => state.storage.getAlarm());
    expect(next).toBeGreaterThan(Date.now() + RETENTION_MS - CHECKPOINT_RETENTION_MS - 120_000);

    await age(RETENTION_MS + 60_000);
    await runDurableObjectAlarm(stub);
    expect(await tables(stub)).toEqual([]);
    expect(await runInDurableObject(stub, (_o, state) => state.storage.getAlarm())).toBeNull();
  });

  it("sleeps until the cleanup once its queue is worked off, and still answers a new question", async () => {
    const { slack } = await slackWorld();
    const channel = freshChannel();
    const ts = "1700007002.000100";
    slack.seedMessage(channel, { ts, user: "U0ANA", text: "<@U0QUARRY> q" });
    await sendMention(channel, ts);
    await settled(slackThread(channel, ts));
    const stub = stubFor(channel, ts);
    const alarm = () => runInDurableObject(stub, (_o, state) => state.storage.getAlarm());
    // No idle wake-up 30 s after the answer: the next alarm is the checkpoint's expiry, a day on.
    const soonest = Date.now() + CHECKPOINT_RETENTION_MS - 120_000;
    expect(await eventually(async () => ((await alarm()) ?? 0) > soonest)).toBe(true);

    const followup = "1700007002.000200";
    slack.seedMessage(channel, {
      ts: followup,
      user: "U0ANA",
      text: "<@U0QUARRY> again",
      thread_ts: ts,
    });
    await sendMention(channel, followup, "again", { thread_ts: ts });
    const rows = await settled(slackThread(channel, ts), 2);
    expect(rows.map((r) => r.state)).toEqual(["answered", "answered"]);
    expect(await eventually(async () => ((await alarm()) ?? 0) > soonest)).toBe(true);
  });

  it("a finished /ask keeps no interaction token", async () => {
    const id = freshSnowflake();
    const q: Question = {
      id: `discord:interaction:${id}`,
      thread: {
        platform: "discord",
        workspaceId: "1",
        channelId: "2",
        threadId: `interaction:${id}`,
      },
      text: "q",
      trigger: "command",
      user: { id: "3" },
      receivedAt: Date.now(),
      delivery: discordDelivery({
        interactionToken: "secret-interaction-token",
        applicationId: "1",
        interactionExpiresAt: String(Date.now() + 900_000),
        channelId: "2",
      }),
    };
    const stub = conversationFor(env, q.thread) as unknown as DurableObjectStub;
    await runInDurableObject(stub, async (instance) => {
      const store = (
        instance as unknown as {
          store: import("../src/conversation/question-store.ts").QuestionStore;
        }
      ).store;
      store.insert(q, Date.now());
      store.finish(q.id, "answered", Date.now());
      expect(JSON.stringify(store.get(q.id)?.question)).not.toContain("secret-interaction-token");
      expect(store.get(q.id)?.question.delivery).toBeUndefined();
    });
  });
});
