import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { conversationName } from "../src/conversation/submit.ts";
import { eventually } from "./fakes/network.ts";
import { eventEnvelope, sendSlack } from "./support/slack-requests.ts";
import { freshChannel, settled, slackThread, slackWorld } from "./support/slack-world.ts";

function stubFor(channel: string, ts: string) {
  const ns = env.CONVERSATIONS;
  return ns.get(ns.idFromName(conversationName(slackThread(channel, ts))));
}

async function mention(channel: string, ts: string, text = "q") {
  return sendSlack(
    eventEnvelope({
      type: "app_mention",
      user: "U0ANA",
      text: `<@U0QUARRY> ${text}`,
      ts,
      channel,
      event_ts: ts,
    }),
  );
}

describe("conversation object durability", () => {
  it("keeps a heartbeat alarm armed while an answer runs", async () => {
    const { slack, openrouter } = await slackWorld();
    const channel = freshChannel();
    const ts = "1700000400.000100";
    slack.seedMessage(channel, { ts, user: "U0ANA", text: "<@U0QUARRY> q" });
    openrouter.reply({ keepalives: 10, delayMs: 100, text: ["done"] });
    await mention(channel, ts);
    const alarm = await runInDurableObject(stubFor(channel, ts), (_o, state) =>
      state.storage.getAlarm(),
    );
    expect(alarm).not.toBeNull();
    await settled(slackThread(channel, ts));
  });

  it("after an eviction mid-answer, keeps the partial text and says plainly it was interrupted", async () => {
    const { slack, openrouter } = await slackWorld();
    const channel = freshChannel();
    const ts = "1700000401.000100";
    slack.seedMessage(channel, { ts, user: "U0ANA", text: "<@U0QUARRY> q" });
    // Chunks 1 s apart (inside the tests' 3 s first-output and 2 s idle watchdogs): still streaming at the eviction.
    openrouter.reply({
      text: ["Partial answer line.\n", ...Array.from({ length: 12 }, (_, i) => `more ${i}\n`)],
      delayMs: 1000,
    });
    await mention(channel, ts);
    const stub = stubFor(channel, ts);
    await eventually(() =>
      slack.thread(channel, ts).some((m) => m.text.includes("Partial answer line.")),
    );
    await evictDurableObject(stub);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const rows = await settled(slackThread(channel, ts));
    expect(rows[0]!.state).toBe("interrupted");
    const last = slack.thread(channel, ts).at(-1)!.text;
    expect(last).toContain("Partial answer line.");
    expect(last).toMatch(/interrupted/i);
    expect(last).toMatch(/deploy|restart/i);
  });

  it("after an eviction before any text, runs the question again and answers it once", async () => {
    const { slack, openrouter } = await slackWorld();
    const channel = freshChannel();
    const ts = "1700000402.000100";
    slack.seedMessage(channel, { ts, user: "U0ANA", text: "<@U0QUARRY> q" });
    openrouter.reply({ keepalives: 50, delayMs: 200, text: ["lost"] });
    openrouter.reply({ text: ["The answer after the restart."] });
    await mention(channel, ts);
    const stub = stubFor(channel, ts);
    await eventually(
      () => openrouter.chatBodies.length === 1 && slack.callsTo("chat.postMessage").length === 1,
    );
    await evictDurableObject(stub);
    await runDurableObjectAlarm(stub);
    const rows = await settled(slackThread(channel, ts));
    expect(rows[0]).toMatchObject({ state: "answered", attempts: 2 });
    const bots = slack.thread(channel, ts).filter((m) => m.bot_id);
    expect(bots).toHaveLength(1);
    expect(bots[0]!.text).toContain("The answer after the restart.");
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
    await mention(channel, root, "one");
    await sendSlack(
      eventEnvelope({
        type: "app_mention",
        user: "U0BEN",
        text: "<@U0QUARRY> two",
        ts: "1700000403.000200",
        thread_ts: root,
        channel,
        event_ts: "1700000403.000200",
      }),
    );
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
