import { afterEach, describe, expect, it, vi } from "vitest";
import type { DiscordGatewayObject } from "../adapters/discord/gateway-object.ts";
import { eventually } from "./fakes/network.ts";
import { tokenDeltas } from "./fakes/openrouter.ts";
import {
  botMessages,
  connectGateway,
  type DiscordWorld,
  discordWorld,
  mentionOverGateway,
} from "./support/discord-world.ts";
import { sendMention } from "./support/slack-requests.ts";
import { freshChannel, settled, slackThread, slackWorld } from "./support/slack-world.ts";

/** Eight seconds of words, so the thread can change under the answer while it streams. */
const slowAnswer = (end: string) => ({
  text: tokenDeltas(`${"Streams are independent in QUIC. ".repeat(12)}${end}`, 7),
  delayMs: 150,
});

const chatRequest = (w: { openrouter: { requests: { path: string; aborted?: boolean }[] } }) =>
  w.openrouter.requests.find((r) => r.path.endsWith("/chat/completions"));

async function slackAsk(ts: string) {
  const world = await slackWorld();
  const channel = freshChannel();
  world.slack.seedMessage(channel, { ts, user: "U0ANA", text: "<@U0QUARRY> q" });
  return { ...world, channel, ts };
}

describe("Slack: the thread changes under a running answer", () => {
  it("a deleted answer message is posted anew and the answer carries on in it", async () => {
    const w = await slackAsk("1700003000.000100");
    w.openrouter.reply(slowAnswer("The very end."));
    await sendMention(w.channel, w.ts);
    const first = await eventually(() => w.slack.thread(w.channel, w.ts).find((m) => m.bot_id));
    w.slack.deleteMessage(w.channel, first.ts);
    const rows = await settled(slackThread(w.channel, w.ts));
    expect(rows[0]?.state).toBe("answered");
    const bots = w.slack.thread(w.channel, w.ts).filter((m) => m.bot_id);
    expect(bots.map((m) => m.ts)).not.toContain(first.ts);
    expect(bots.at(-1)?.text).toContain("The very end.");
  });

  it("an archived channel stops the answer at once (the OpenRouter request is aborted) and says why in the log", async () => {
    const w = await slackAsk("1700003001.000100");
    // After the world: it restores every mock it finds.
    const errors = vi.spyOn(console, "error");
    w.openrouter.reply(slowAnswer("never shown"));
    await sendMention(w.channel, w.ts);
    await eventually(() => w.slack.thread(w.channel, w.ts).some((m) => m.bot_id));
    w.slack.archiveChannel(w.channel);
    const rows = await settled(slackThread(w.channel, w.ts));
    expect(rows[0]?.state).toBe("failed");
    expect(chatRequest(w)?.aborted).toBe(true);
    const logged = errors.mock.calls.map((c) => c.join(" ")).join("\n");
    expect(logged).toMatch(
      /without a message in the thread: the platform refused every message \(is_archived/,
    );
    expect(
      w.slack
        .thread(w.channel, w.ts)
        .map((m) => m.text)
        .join(""),
    ).not.toContain("never shown");
  });

  it("edits refused for good but posts still taken: the thread gets a plain note saying why", async () => {
    const w = await slackAsk("1700003002.000100");
    w.openrouter.reply(slowAnswer("never shown"));
    await sendMention(w.channel, w.ts);
    await eventually(() => w.slack.thread(w.channel, w.ts).some((m) => m.bot_id));
    w.slack.failNext("chat.update", "cant_update_message");
    const rows = await settled(slackThread(w.channel, w.ts));
    expect(rows[0]?.state).toBe("failed");
    expect(chatRequest(w)?.aborted).toBe(true);
    const last = w.slack.thread(w.channel, w.ts).at(-1)?.text ?? "";
    expect(last).toMatch(/could not finish this answer.*cant_update_message/);
  });
});

let gateways: DurableObjectStub<DiscordGatewayObject>[] = [];
afterEach(async () => {
  for (const stub of gateways) await stub.disconnect().catch(() => undefined);
  gateways = [];
});

async function discordAsk(world: DiscordWorld) {
  gateways.push(await connectGateway());
  return mentionOverGateway(world, "q");
}

describe("Discord: the channel changes under a running answer", () => {
  it("a deleted answer message is posted anew and the answer carries on in it", async () => {
    const world = await discordWorld();
    world.openrouter.reply(slowAnswer("The very end."));
    const { thread } = await discordAsk(world);
    const first = await eventually(() => botMessages(world)[0]);
    world.discord.deleteMessage(first.id);
    const rows = await settled(thread);
    expect(rows[0]?.state).toBe("answered");
    const bots = botMessages(world);
    expect(bots.map((m) => m.id)).not.toContain(first.id);
    expect(bots.at(-1)?.content).toContain("The very end.");
  });

  it("lost access to the channel stops the answer at once and says why in the log", async () => {
    const world = await discordWorld();
    const errors = vi.spyOn(console, "error");
    world.openrouter.reply(slowAnswer("never shown"));
    const { thread } = await discordAsk(world);
    await eventually(() => botMessages(world)[0]);
    world.discord.revokeAccess(world.channelId);
    const rows = await settled(thread);
    expect(rows[0]?.state).toBe("failed");
    expect(chatRequest(world)?.aborted).toBe(true);
    const logged = errors.mock.calls.map((c) => c.join(" ")).join("\n");
    expect(logged).toMatch(/the platform refused every message/);
  });
});
