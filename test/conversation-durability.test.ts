import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { conversationName } from "../src/conversation/submit.ts";
import { eventually } from "./fakes/network.ts";
import { restartDurableObject } from "./support/restart.ts";
import { eventEnvelope, sendMention, sendSlack } from "./support/slack-requests.ts";
import {
  freshChannel,
  settled,
  slackThread,
  slackWorld,
  streamNatively,
} from "./support/slack-world.ts";

function stubFor(channel: string, ts: string) {
  const ns = env.CONVERSATIONS;
  return ns.get(ns.idFromName(conversationName(slackThread(channel, ts))));
}

describe("conversation object durability", () => {
  it("keeps a heartbeat alarm armed while an answer runs", async () => {
    const { slack, openrouter } = await slackWorld();
    const channel = freshChannel();
    const ts = "1700000400.000100";
    slack.seedMessage(channel, { ts, user: "U0ANA", text: "<@U0QUARRY> q" });
    openrouter.reply({ keepalives: 10, delayMs: 100, text: ["done"] });
    await sendMention(channel, ts);
    const alarm = await runInDurableObject(stubFor(channel, ts), (_o, state) =>
      state.storage.getAlarm(),
    );
    expect(alarm).not.toBeNull();
    await settled(slackThread(channel, ts));
  });

  it("after a restart mid-answer (a deploy), keeps the partial text and says plainly it was interrupted", async () => {
    const { slack, openrouter } = await slackWorld();
    const channel = freshChannel();
    const ts = "1700000401.000100";
    slack.seedMessage(channel, { ts, user: "U0ANA", text: "<@U0QUARRY> q" });
    // Chunks 1 s apart (inside the tests' 3 s first-output and 2 s idle watchdogs): still streaming at the eviction.
    openrouter.reply({
      text: ["Partial answer line.\n", ...Array.from({ length: 12 }, (_, i) => `more ${i}\n`)],
      delayMs: 1000,
    });
    await sendMention(channel, ts);
    const stub = stubFor(channel, ts);
    await eventually(() =>
      slack.thread(channel, ts).some((m) => m.text.includes("Partial answer line.")),
    );
    // Like a deploy: the running instance is torn down at once, mid-stream; storage stays.
    await restartDurableObject(stub);
    // A stub that saw its object torn down stays broken, as in production: take a new one.
    expect(await runDurableObjectAlarm(stubFor(channel, ts))).toBe(true);
    const rows = await settled(slackThread(channel, ts));
    expect(rows[0]!.state).toBe("interrupted");
    const last = slack.thread(channel, ts).at(-1)!.text;
    expect(last).toContain("Partial answer line.");
    expect(last).toMatch(/interrupted/i);
    expect(last).toMatch(/deploy|restart/i);
  });

  it("after a restart mid-answer streamed natively, keeps the streamed text once, closes the stream and says it was interrupted", async () => {
    const { slack, openrouter } = await slackWorld({ nativeStreaming: "ok" });
    const channel = freshChannel();
    const ts = "1700000405.000100";
    await streamNatively(channel);
    slack.seedMessage(channel, { ts, user: "U0ANA", text: "<@U0QUARRY> q" });
    openrouter.reply({
      text: ["Streamed line.\n", ...Array.from({ length: 12 }, (_, i) => `more ${i}\n`)],
      delayMs: 1000,
    });
    await sendMention(channel, ts);
    const stub = stubFor(channel, ts);
    await eventually(() =>
      slack.thread(channel, ts).some((m) => m.text.includes("Streamed line.")),
    );
    await restartDurableObject(stub);
    expect(await runDurableObjectAlarm(stubFor(channel, ts))).toBe(true);
    const rows = await settled(slackThread(channel, ts));
    expect(rows[0]!.state).toBe("interrupted");

    const [, header, ...streamed] = slack.thread(channel, ts);
    expect(header!.text).toMatch(/interrupted/i);
    const all = streamed.map((m) => m.text).join("");
    expect(all.split("Streamed line.")).toHaveLength(2);
    expect(all).toMatch(/interrupted/i);
    expect(slack.openStreams()).toBe(0);
  });

  it("after a restart before any text, runs the question again and answers it once", async () => {
    const { slack, openrouter } = await slackWorld();
    const channel = freshChannel();
    const ts = "1700000402.000100";
    slack.seedMessage(channel, { ts, user: "U0ANA", text: "<@U0QUARRY> q" });
    openrouter.reply({ keepalives: 50, delayMs: 200, text: ["lost"] });
    openrouter.reply({ text: ["The answer after the restart."] });
    await sendMention(channel, ts);
    const stub = stubFor(channel, ts);
    await eventually(
      () => openrouter.chatBodies.length === 1 && slack.callsTo("chat.postMessage").length === 1,
    );
    // Like a deploy: the running instance is torn down at once, mid-stream; storage stays.
    await restartDurableObject(stub);
    await runDurableObjectAlarm(stubFor(channel, ts));
    const rows = await settled(slackThread(channel, ts));
    expect(rows[0]).toMatchObject({ state: "answered", attempts: 2 });
    const bots = slack.thread(channel, ts).filter((m) => m.bot_id);
    expect(bots).toHaveLength(1);
    expect(bots[0]!.text).toContain("The answer after the restart.");
  });

  it("after an idle eviction, still knows the thread was answered and answers a follow-up once", async () => {
    const { slack, openrouter } = await slackWorld();
    const channel = freshChannel();
    const root = "1700000404.000100";
    slack.seedMessage(channel, { ts: root, user: "U0ANA", text: "<@U0QUARRY> one" });
    await sendMention(channel, root, "one");
    await settled(slackThread(channel, root));
    await evictDurableObject(stubFor(channel, root));
    const ts = "1700000404.000200";
    slack.seedMessage(channel, { ts, thread_ts: root, user: "U0BEN", text: "and then?" });
    const followup = {
      type: "message",
      user: "U0BEN",
      text: "and then?",
      ts,
      thread_ts: root,
      channel,
      channel_type: "channel",
      event_ts: ts,
    };
    await sendSlack(eventEnvelope(followup));
    await sendSlack(eventEnvelope(followup), { headers: { "x-slack-retry-num": "1" } });
    const rows = await settled(slackThread(channel, root), 2);
    expect(rows.map((r) => r.state)).toEqual(["answered", "answered"]);
    expect(openrouter.chatBodies).toHaveLength(2);
  });

  it("answers questions in one thread one at a time, in order, none dropped", async () => {
    const { slack, openrouter } = await slackWorld();
    const channel = freshChannel();
    const root = "1700000403.000100";
    slack.seedMessage(channel, { ts: root, user: "U0ANA", text: "<@U0QUARRY> one" });
    slack.seedMessage(channel, {
      ts: "1700000403.000200",
      thread_ts: root,
      user: "U0BEN",
      text: "<@U0QUARRY> two",
    });
    openrouter.reply({ text: ["Answer one."], delayMs: 300 });
    openrouter.reply({ text: ["Answer two."] });
    await sendMention(channel, root, "one");
    await sendMention(channel, "1700000403.000200", "two", { user: "U0BEN", thread_ts: root });
    await settled(slackThread(channel, root), 2);
    const texts = slack
      .thread(channel, root)
      .filter((m) => m.bot_id)
      .map((m) => m.text);
    const one = texts.findIndex((t) => t.includes("Answer one."));
    const two = texts.findIndex((t) => t.includes("Answer two."));
    expect(one).toBeGreaterThanOrEqual(0);
    expect(two).toBeGreaterThan(one);
    // The second question was told it waits its turn.
    expect(
      slack.callsTo("chat.postMessage").some((c) => JSON.stringify(c.body).includes("Queued")),
    ).toBe(true);
    expect(openrouter.chatBodies).toHaveLength(2);
  });
});
