import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { conversationName } from "../src/conversation/submit.ts";
import { eventually } from "./fakes/network.ts";
import { sendMention } from "./support/slack-requests.ts";
import { freshChannel, settled, slackThread, slackWorld } from "./support/slack-world.ts";

function stubFor(channel: string, ts: string) {
  const ns = env.CONVERSATIONS;
  return ns.get(ns.idFromName(conversationName(slackThread(channel, ts))));
}

/** The watchdog's view of the running answer (white box: it is what the alarm reads). */
type Watched = { current?: { activeAt: number; stoppedAt?: number } };

describe("the heartbeat's watchdog", () => {
  it("stops an answer with no sign of life for minutes and says so in the thread", async () => {
    const { slack, openrouter } = await slackWorld();
    const channel = freshChannel();
    const ts = "1700000480.000100";
    slack.seedMessage(channel, { ts, user: "U0ANA", text: "<@U0QUARRY> q" });
    // Keep-alives every 500 ms for 10 s: alive, but the test makes it look silent.
    openrouter.reply({ keepalives: 20, delayMs: 500, text: ["never shown"] });
    await sendMention(channel, ts);
    await eventually(() => slack.thread(channel, ts).some((m) => m.bot_id));
    await runInDurableObject(stubFor(channel, ts), (instance) => {
      const watched = instance as unknown as Watched;
      if (!watched.current) throw new Error("no answer running");
      watched.current.activeAt = Date.now() - 5 * 60_000;
    });
    expect(await runDurableObjectAlarm(stubFor(channel, ts))).toBe(true);
    const rows = await settled(slackThread(channel, ts));
    expect(rows[0]?.state).toBe("failed");
    const shown = slack.thread(channel, ts).filter((m) => m.bot_id);
    expect(shown.at(-1)?.text).toMatch(/stopped making progress/);
    expect(shown.map((m) => m.text).join("\n")).not.toContain("never shown");
    expect(openrouter.requests.find((r) => r.path.endsWith("/chat/completions"))?.aborted).toBe(
      true,
    );
  });

  it("restarts the object when a stopped answer still does not end, and the answer runs again", async () => {
    const { slack, openrouter } = await slackWorld();
    const channel = freshChannel();
    const ts = "1700000481.000100";
    slack.seedMessage(channel, { ts, user: "U0ANA", text: "<@U0QUARRY> q" });
    openrouter.reply({ keepalives: 20, delayMs: 500, text: ["first try"] });
    openrouter.reply({ text: ["Answered after the restart."] });
    await sendMention(channel, ts);
    await eventually(() => slack.thread(channel, ts).some((m) => m.bot_id));
    await runInDurableObject(stubFor(channel, ts), (instance) => {
      const watched = instance as unknown as Watched;
      if (!watched.current) throw new Error("no answer running");
      // Stopped three minutes ago and still running: stuck.
      watched.current.activeAt = Date.now() - 8 * 60_000;
      watched.current.stoppedAt = Date.now() - 3 * 60_000;
    });
    await runDurableObjectAlarm(stubFor(channel, ts)).catch(() => undefined);
    // The new instance finds the question still running and starts it again (nothing was written).
    await eventually(async () => runDurableObjectAlarm(stubFor(channel, ts)).catch(() => false));
    const rows = await settled(slackThread(channel, ts));
    expect(rows[0]).toMatchObject({ state: "answered", attempts: 2 });
    expect(slack.thread(channel, ts).at(-1)?.text).toContain("Answered after the restart.");
  });
});
