import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import type { DiscordGatewayObject } from "../adapters/discord/gateway-object.ts";
import { SettingsStore } from "../src/settings/settings-store.ts";
import { eventually } from "./fakes/network.ts";
import {
  botMessages,
  connectGateway,
  discordWorld,
  gatewayMessage,
  mentionOverGateway,
} from "./support/discord-world.ts";
import { eventEnvelope, messageEvent, sendMention, sendSlack } from "./support/slack-requests.ts";
import { freshChannel, settled, slackThread, slackWorld } from "./support/slack-world.ts";

type ChatBody = { messages: { role: string; content: string }[] };
const assistantTurns = (body: unknown) =>
  (body as ChatBody).messages.filter((m) => m.role === "assistant").map((m) => String(m.content));

/** A long first answer in word-sized pieces, so it streams for a while and spans messages. */
function wordsOf(text: string): string[] {
  return text.match(/\S+\s*/g) ?? [];
}

describe("a follow-up asked while an answer streams (Slack)", () => {
  for (const mode of ["native", "edit"] as const) {
    it(`is answered with the complete first answer in its history, below it (${mode})`, async () => {
      const { slack, openrouter } = await slackWorld({ nativeStreaming: "ok" });
      const channel = freshChannel();
      await new SettingsStore(env.SETTINGS, "openai/o4-mini-deep-research").update(
        "slack",
        channel,
        {
          streaming: mode,
        },
      );
      const root = "1700000900.000100";
      slack.seedMessage(channel, { ts: root, user: "U0ANA", text: "<@U0QUARRY> first question" });
      // Edit mode: long enough to need two messages; native: asked while the model thinks.
      const first =
        mode === "edit"
          ? `${"QUIC runs over UDP and carries streams. ".repeat(330)}The end of answer one.`
          : "QUIC runs over UDP. The end of answer one.";
      openrouter.reply({
        keepalives: mode === "native" ? 8 : 0,
        reasoning: mode === "native" ? ["**Searching**"] : [],
        text: mode === "edit" ? (first.match(/[\s\S]{1,1400}/g) ?? []) : wordsOf(first),
        delayMs: mode === "native" ? 150 : 400,
      });
      openrouter.reply({ text: ["Second answer."] });
      await sendMention(channel, root, "first question");
      // The follow-up arrives once the first answer has shown something, before it is done.
      await eventually(() => slack.thread(channel, root).some((m) => m.bot_id));
      const followTs = "1700000999.000100";
      slack.seedMessage(channel, {
        ts: followTs,
        thread_ts: root,
        user: "U0BEN",
        text: "and HTTP/3?",
      });
      await sendSlack(
        eventEnvelope(
          messageEvent(channel, followTs, "and HTTP/3?", { thread_ts: root, user: "U0BEN" }),
        ),
      );
      await settled(slackThread(channel, root), 2);

      expect(openrouter.chatBodies).toHaveLength(2);
      const [answer] = assistantTurns(openrouter.chatBodies[1]);
      expect(answer?.replace(/\s+/g, " ").trim()).toBe(first.replace(/\s+/g, " ").trim());
      expect(assistantTurns(openrouter.chatBodies[1])).toHaveLength(1);
      // In the thread, the second answer comes after every message of the first.
      const bots = slack.thread(channel, root).filter((m) => m.bot_id);
      const lastOfFirst = bots.findLastIndex((m) => m.text.includes("The end of answer one."));
      const second = bots.findIndex((m) => m.text.includes("Second answer."));
      expect(lastOfFirst).toBeGreaterThanOrEqual(0);
      expect(second).toBeGreaterThan(lastOfFirst);
    }, 60_000);
  }
});

let gateways: DurableObjectStub<DiscordGatewayObject>[] = [];
afterEach(async () => {
  for (const stub of gateways) await stub.disconnect().catch(() => undefined);
  gateways = [];
});

describe("a follow-up asked while an answer streams (Discord)", () => {
  it("is answered with the complete first answer in its history, below it", async () => {
    const world = await discordWorld();
    gateways.push(await connectGateway());
    const first = `${"Granite is an igneous rock. ".repeat(120)}The end of answer one.`;
    world.openrouter.reply({ text: wordsOf(first), delayMs: 15 });
    world.openrouter.reply({ text: ["Second answer."] });
    const { thread } = await mentionOverGateway(world, "what is granite?");
    // A reply to the answer's first message while the rest is still coming.
    const firstMessage = await eventually(() => botMessages(world)[0]);
    const reply = world.discord.seedMessage(world.channelId, {
      content: "and basalt?",
      replyTo: firstMessage.id,
    });
    await world.gateway.dispatch("MESSAGE_CREATE", gatewayMessage(reply));
    await settled(thread, 2);

    const [answer] = assistantTurns(world.openrouter.chatBodies[1]);
    expect(answer?.replace(/\s+/g, " ").trim()).toBe(first.replace(/\s+/g, " ").trim());
    const bots = botMessages(world);
    const lastOfFirst = bots.findLastIndex((m) => m.content.includes("The end of answer one."));
    const second = bots.findIndex((m) => m.content.includes("Second answer."));
    expect(second).toBeGreaterThan(lastOfFirst);
  }, 60_000);
});
