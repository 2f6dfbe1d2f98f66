import { afterEach, describe, expect, it } from "vitest";
import type { DiscordGatewayObject } from "../adapters/discord/gateway-object.ts";
import type { ThreadRef } from "../src/chat/types.ts";
import { tokenDeltas } from "./fakes/openrouter.ts";
import {
  APP_ID,
  botMessages,
  connectGateway,
  discordWorld,
  GUILD_ID,
  gatewayMessage,
} from "./support/discord-world.ts";
import { sendMention } from "./support/slack-requests.ts";
import { freshChannel, settled, slackThread, slackWorld } from "./support/slack-world.ts";

/** About ten seconds of an answer in word-sized pieces, labelled so each thread can be checked. */
function scripted(label: string) {
  const text = `Answer ${label}: ${"QUIC multiplexes streams over UDP without head-of-line blocking. ".repeat(8)}End ${label}.`;
  return { text: tokenDeltas(text, label.length + 1), delayMs: 120, full: text };
}

describe("five answers at once share the platform's limits", () => {
  it("in one Slack workspace and channel: every answer complete, in its own thread, 0 429s", async () => {
    const { slack, openrouter } = await slackWorld();
    const channel = freshChannel();
    const roots = Array.from({ length: 5 }, (_, i) => `17000020${i}0.000100`);
    const answers = roots.map((_, i) => scripted(`S${i}`));
    for (const a of answers) openrouter.reply({ text: a.text, delayMs: a.delayMs });
    for (const ts of roots)
      slack.seedMessage(channel, { ts, user: "U0ANA", text: "<@U0QUARRY> q" });
    await Promise.all(roots.map((ts) => sendMention(channel, ts)));
    for (const ts of roots) await settled(slackThread(channel, ts));

    expect(slack.rateLimited).toEqual([]);
    // Each thread holds exactly one of the answers, whole: none lost, none twice.
    const shown = roots.map((ts) =>
      slack
        .thread(channel, ts)
        .filter((m) => m.bot_id)
        .map((m) => m.text)
        .join("\n"),
    );
    for (const text of shown) {
      const labels = [...new Set([...text.matchAll(/End (S\d)\./g)].map((m) => m[1]))];
      expect(labels).toHaveLength(1);
    }
    expect(new Set(shown.map((t) => /End (S\d)\./.exec(t)?.[1])).size).toBe(5);
  }, 90_000);

  let gateways: DurableObjectStub<DiscordGatewayObject>[] = [];
  afterEach(async () => {
    for (const stub of gateways) await stub.disconnect().catch(() => undefined);
    gateways = [];
  });

  it("in one Discord channel: every answer complete, replying to its question, 0 429s", async () => {
    const world = await discordWorld();
    gateways.push(await connectGateway());
    const answers = Array.from({ length: 5 }, (_, i) => scripted(`D${i}`));
    for (const a of answers) world.openrouter.reply({ text: a.text, delayMs: a.delayMs });
    const asked = answers.map((_, i) =>
      world.discord.seedMessage(world.channelId, {
        content: `<@${APP_ID}> question ${i}`,
        mentions: [world.discord.botUser],
      }),
    );
    for (const m of asked) await world.gateway.dispatch("MESSAGE_CREATE", gatewayMessage(m));
    for (const m of asked) {
      const thread: ThreadRef = {
        platform: "discord",
        workspaceId: GUILD_ID,
        channelId: world.channelId,
        threadId: m.id,
      };
      await settled(thread);
    }
    expect(world.discord.rateLimited.map((r) => `${r.method} ${r.path}`)).toEqual([]);
    const bots = botMessages(world);
    for (const m of asked) {
      const reply = bots.filter((b) => b.replyTo === m.id);
      expect(reply).toHaveLength(1);
      expect(reply[0]?.content).toMatch(/End D\d\./);
    }
    expect(new Set(bots.map((b) => /End (D\d)\./.exec(b.content)?.[1])).size).toBe(5);
  }, 120_000);
});
