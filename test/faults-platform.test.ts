/**
 * Platform faults with one effect each and nothing lost, the cells no other file covers (the
 * fault matrix in the final report names those): Slack and Discord answering 5xx while the
 * answer is posted and edited (applied first or not), a 429 on the first post, a restart of a
 * Discord answer's conversation object (mid-answer and before any text), and one Slack event
 * or `/ask` interaction delivered twice at once.
 */
import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import type { DiscordGatewayObject } from "../adapters/discord/gateway-object.ts";
import type { ThreadRef } from "../src/chat/types.ts";
import { conversationName } from "../src/conversation/submit.ts";
import { eventually } from "./fakes/network.ts";
import type { ScriptedReply } from "./fakes/openrouter.ts";
import { FAKE_SLACK_URL } from "./fakes/slack-api.ts";
import { askInteraction } from "./support/discord-payloads.ts";
import {
  ask,
  botMessages,
  connectGateway,
  type DiscordWorld,
  settled as discordSettled,
  discordWorld,
  mentionOverGateway,
  sendInteraction,
} from "./support/discord-world.ts";
import { restartDurableObject } from "./support/restart.ts";
import { eventEnvelope, mentionEvent, sendMention, sendSlack } from "./support/slack-requests.ts";
import { freshChannel, settled, slackThread, slackWorld } from "./support/slack-world.ts";

const END = "and that is the whole answer.";
/** Four text chunks 400 ms apart after the progress line: several edits, each able to fail. */
const steady: ScriptedReply = {
  keepalives: 2,
  delayMs: 400,
  text: ["Granite is igneous, ", "basalt is volcanic, ", "marble is metamorphic, ", END],
};
const WHOLE = "Granite is igneous, basalt is volcanic, marble is metamorphic, and that is";

const count = (text: string, needle: string) => text.split(needle).length - 1;

function conversation(thread: ThreadRef) {
  const ns = env.CONVERSATIONS;
  return ns.get(ns.idFromName(conversationName(thread)));
}

async function slackAnswer(fault: (w: Awaited<ReturnType<typeof slackWorld>>) => void) {
  const world = await slackWorld();
  const channel = freshChannel();
  const ts = "1700009500.000100";
  world.slack.seedMessage(channel, { ts, user: "U0ANA", text: "<@U0QUARRY> rocks?" });
  world.openrouter.reply(steady);
  fault(world);
  await sendMention(channel, ts, "rocks?");
  const rows = await settled(slackThread(channel, ts));
  const bots = world.slack.thread(channel, ts).filter((m) => m.bot_id);
  const calls = (method: string) =>
    world.network.log.filter((l) => l.url === `${FAKE_SLACK_URL}/${method}`);
  return { ...world, rows, bots, shown: bots.map((m) => m.text).join("\n"), calls };
}

describe("Slack: one event delivered twice at once", () => {
  it("the event and Slack's retry of it (X-Slack-Retry-Num) arriving together: one answer", async () => {
    const world = await slackWorld();
    const channel = freshChannel();
    const ts = "1700009600.000100";
    world.slack.seedMessage(channel, { ts, user: "U0ANA", text: "<@U0QUARRY> rocks?" });
    world.openrouter.reply(steady);
    const event = eventEnvelope(mentionEvent(channel, ts, "rocks?"), { eventId: "EvTWICE" });
    const retry = { "x-slack-retry-num": "1", "x-slack-retry-reason": "http_timeout" };
    const statuses = await Promise.all([
      sendSlack(event).then((r) => r.status),
      sendSlack(event, { headers: retry }).then((r) => r.status),
    ]);
    expect(statuses).toEqual([200, 200]);
    const rows = await settled(slackThread(channel, ts));
    expect(rows.map((q) => q.state)).toEqual(["answered"]);
    expect(world.openrouter.chatBodies).toHaveLength(1);
    const bots = world.slack.thread(channel, ts).filter((m) => m.bot_id);
    expect(bots).toHaveLength(1);
    expect(count(bots[0]?.text ?? "", WHOLE)).toBe(1);
  });
});

describe("Slack: the Web API fails while the answer is posted", () => {
  it("chat.update answering HTTP 503 three times: the answer arrives complete, once", async () => {
    const r = await slackAnswer((w) => w.slack.serverErrorNext("chat.update", 3));
    expect(r.calls("chat.update").filter((c) => c.status === 503)).toHaveLength(3);
    expect(r.rows.map((q) => q.state)).toEqual(["answered"]);
    expect(r.bots).toHaveLength(1);
    expect(count(r.shown, WHOLE)).toBe(1);
    expect(r.shown).not.toContain("⚠️");
  });

  it("chat.postMessage carried out but answered HTTP 500 internal_error: found by its key, not posted twice", async () => {
    const r = await slackAnswer((w) =>
      w.slack.serverErrorNext("chat.postMessage", 1, {
        status: 500,
        error: "internal_error",
        applied: true,
      }),
    );
    expect(r.calls("chat.postMessage")[0]?.status).toBe(500);
    expect(r.rows.map((q) => q.state)).toEqual(["answered"]);
    expect(r.bots).toHaveLength(1);
    expect(count(r.shown, WHOLE)).toBe(1);
  });

  it("chat.postMessage rate-limited (429) for the first post: waited out, the answer complete, once", async () => {
    const r = await slackAnswer((w) => w.slack.rateLimitNext("chat.postMessage", 2, 1));
    expect(r.calls("chat.postMessage").filter((c) => c.status === 429)).toHaveLength(2);
    expect(r.rows.map((q) => q.state)).toEqual(["answered"]);
    expect(r.bots).toHaveLength(1);
    expect(count(r.shown, WHOLE)).toBe(1);
  });
});

const EDIT_ORIGINAL = /^PATCH \/webhooks\/\d+\/[^/]+\/messages\/@original$/;
const CREATE_MESSAGE = /^POST \/channels\/\d+\/messages$/;

let gateways: DurableObjectStub<DiscordGatewayObject>[] = [];
afterEach(async () => {
  for (const stub of gateways) await stub.disconnect().catch(() => undefined);
  gateways = [];
});

/** A mention over the Gateway, answered as a reply in the channel (bot-token message writes). */
async function answeredMention(world: DiscordWorld) {
  gateways.push(await connectGateway());
  const { asked, thread } = await mentionOverGateway(world, "rocks?");
  return { asked, rows: await discordSettled(thread) };
}

const shownOn = (world: DiscordWorld) =>
  botMessages(world)
    .map((m) => m.content)
    .join("\n");

describe("Discord: the API fails while the answer is posted", () => {
  it("the @original edits answering HTTP 503 three times: the answer arrives complete, once", async () => {
    const world = await discordWorld();
    world.discord.serverErrorNext(EDIT_ORIGINAL, 3, { status: 503 });
    world.openrouter.reply(steady);
    const asked = await ask(world, "rocks?");
    const rows = await discordSettled(asked.thread);
    expect(world.discord.calls(EDIT_ORIGINAL).filter((c) => c.status === 503)).toHaveLength(3);
    expect(rows.map((q) => q.state)).toEqual(["answered"]);
    expect(botMessages(world).map((m) => m.id)).toEqual([asked.original?.id]);
    expect(count(shownOn(world), WHOLE)).toBe(1);
  });

  it("a reply carried out but answered HTTP 500: not posted twice (nonce), the answer complete", async () => {
    const world = await discordWorld();
    world.discord.serverErrorNext(CREATE_MESSAGE, 1, { status: 500, applied: true });
    world.openrouter.reply(steady);
    const { asked, rows } = await answeredMention(world);
    expect(world.discord.calls(CREATE_MESSAGE)[0]?.status).toBe(500);
    expect(rows.map((q) => q.state)).toEqual(["answered"]);
    expect(botMessages(world)).toEqual([expect.objectContaining({ replyTo: asked.id })]);
    expect(count(shownOn(world), WHOLE)).toBe(1);
  });

  it("a reply rate-limited (429) twice: waited out, the answer complete, once", async () => {
    const world = await discordWorld();
    world.discord.rateLimitNext(CREATE_MESSAGE, 2, 0.5);
    world.openrouter.reply(steady);
    const { rows } = await answeredMention(world);
    expect(world.discord.calls(CREATE_MESSAGE).filter((c) => c.status === 429)).toHaveLength(2);
    expect(rows.map((q) => q.state)).toEqual(["answered"]);
    expect(botMessages(world)).toHaveLength(1);
    expect(count(shownOn(world), WHOLE)).toBe(1);
  });
});

describe("Discord: the answer's object restarts, or the interaction comes twice", () => {
  it("a restart (deploy) mid-answer keeps the text streamed so far once and says it was interrupted", async () => {
    const world = await discordWorld();
    // Chunks 1 s apart, inside the tests' 2 s idle watchdog: still streaming at the restart.
    world.openrouter.reply({
      text: ["Partial answer line.\n", ...Array.from({ length: 12 }, (_, i) => `more ${i}\n`)],
      delayMs: 1000,
    });
    const asked = await ask(world, "rocks?");
    await eventually(() => shownOn(world).includes("Partial answer line."));
    await restartDurableObject(conversation(asked.thread));
    // A stub that saw its object torn down stays broken, as in production: take a new one.
    expect(await runDurableObjectAlarm(conversation(asked.thread))).toBe(true);
    const rows = await discordSettled(asked.thread);
    expect(rows.map((q) => q.state)).toEqual(["interrupted"]);
    const shown = shownOn(world);
    expect(count(shown, "Partial answer line.")).toBe(1);
    expect(shown).toMatch(/interrupted/i);
    expect(world.openrouter.chatBodies).toHaveLength(1);
  }, 30_000);

  it("a restart before any text runs the question again, once, and answers it in @original", async () => {
    const world = await discordWorld();
    world.openrouter.reply({ keepalives: 50, delayMs: 200, text: ["lost"] });
    world.openrouter.reply({ text: ["The answer after the restart."] });
    const asked = await ask(world, "rocks?");
    await eventually(() => world.openrouter.chatBodies.length === 1);
    await restartDurableObject(conversation(asked.thread));
    await runDurableObjectAlarm(conversation(asked.thread));
    const rows = await discordSettled(asked.thread);
    expect(rows).toEqual([expect.objectContaining({ state: "answered", attempts: 2 })]);
    expect(world.openrouter.chatBodies).toHaveLength(2);
    expect(botMessages(world).map((m) => m.id)).toEqual([asked.original?.id]);
    expect(count(shownOn(world), "The answer after the restart.")).toBe(1);
    expect(shownOn(world)).not.toContain("lost");
  });

  it("the same /ask interaction delivered twice: one deferral, one answer", async () => {
    const world = await discordWorld();
    world.openrouter.reply(steady);
    const asked = await ask(world, "rocks?");
    // Discord's own retry of the same interaction (same id and token), while the answer runs.
    const again = await sendInteraction({
      ...askInteraction("rocks?", {
        id: asked.interactionId,
        channel: { id: world.channelId, type: 0 },
      }),
      token: asked.token,
    });
    const second = (await again.json()) as { type: number; data?: { flags?: number } };
    const rows = await discordSettled(asked.thread);
    expect(asked.response.type).toBe(5);
    expect(second).toMatchObject({ type: 4, data: { flags: 64 } });
    expect(rows.map((q) => q.state)).toEqual(["answered"]);
    expect(world.openrouter.chatBodies).toHaveLength(1);
    expect(botMessages(world).map((m) => m.id)).toEqual([asked.original?.id]);
    expect(count(shownOn(world), WHOLE)).toBe(1);
  });
});
