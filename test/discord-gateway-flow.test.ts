import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { findConversationInKv } from "../adapters/discord/answer-memory.ts";
import { DiscordGatewayObject } from "../adapters/discord/gateway-object.ts";
import { messageCreateToQuestion } from "../adapters/discord/parse-message.ts";
import type { ThreadRef } from "../src/chat/types.ts";
import { submitQuestion } from "../src/conversation/submit.ts";
import { eventually } from "./fakes/network.ts";
import {
  APP_ID,
  ask,
  botMessages,
  connectGateway,
  discordWorld,
  freshSnowflake,
  GUILD_ID,
  gatewayMessage,
  mentionOverGateway,
  settled,
} from "./support/discord-world.ts";

let gateways: DurableObjectStub<DiscordGatewayObject>[] = [];

afterEach(async () => {
  for (const stub of gateways) await stub.disconnect().catch(() => undefined);
  gateways = [];
});

async function connected(): Promise<DurableObjectStub<DiscordGatewayObject>> {
  const stub = await connectGateway();
  gateways.push(stub);
  return stub;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

type ChatBody = { messages: { role: string; content: string }[] };

describe("Discord over the Gateway, end to end", () => {
  it("answers a MESSAGE_CREATE that mentions the bot as a reply to that message", async () => {
    const world = await discordWorld();
    await connected();
    world.openrouter.reply({
      text: ["A quarry is an open-pit mine."],
      citations: [{ url: "https://en.wikipedia.org/wiki/Quarry", title: "Quarry" }],
      usage: { cost: 0.002 },
    });
    const { asked, thread } = await mentionOverGateway(world, "what is a quarry?");
    const rows = await settled(thread);
    expect(rows.map((r) => r.state)).toEqual(["answered"]);

    const replies = botMessages(world);
    expect(replies).toHaveLength(1);
    expect(replies[0]?.replyTo).toBe(asked.id);
    expect(replies[0]?.content).toContain("A quarry is an open-pit mine.");
    expect(replies[0]?.content).toContain("[Quarry](https://en.wikipedia.org/wiki/Quarry)");
    const posts = world.discord.calls(`POST /channels/${world.channelId}/messages`);
    expect(posts).toHaveLength(1);
    expect(posts[0]?.headers.authorization).toBe(`Bot ${world.discord.token}`);
    expect(posts[0]?.body).toMatchObject({
      message_reference: { message_id: asked.id },
      allowed_mentions: { parse: [] },
    });
    // The model sees the question without the bot's mention markup.
    const last = (world.openrouter.chatBodies[0] as ChatBody).messages.at(-1);
    expect(last?.role).toBe("user");
    expect(String(last?.content)).toContain("what is a quarry?");
    expect(String(last?.content)).not.toContain(`<@${APP_ID}>`);
  });

  it("continues the conversation when someone replies to the answer, with the reply chain as history", async () => {
    const world = await discordWorld();
    await connected();
    world.openrouter.reply({ text: ["Quarries extract stone."] });
    const { asked, thread } = await mentionOverGateway(world, "what do quarries do?");
    await settled(thread);
    const answer = botMessages(world)[0];
    expect(answer?.replyTo).toBe(asked.id);

    world.openrouter.reply({ text: ["Often a hundred metres or more."] });
    const reply = world.discord.seedMessage(world.channelId, {
      content: "how deep do they go?",
      replyTo: answer?.id,
    });
    await world.gateway.dispatch("MESSAGE_CREATE", gatewayMessage(reply));
    const rows = await settled(thread, 2);
    expect(rows.map((r) => r.id)).toEqual([
      `discord:message:${asked.id}`,
      `discord:message:${reply.id}`,
    ]);

    const turns = (world.openrouter.chatBodies[1] as ChatBody).messages.filter(
      (m) => m.role !== "system",
    );
    expect(turns.map((m) => m.role)).toEqual(["user", "assistant", "user"]);
    expect(String(turns[0]?.content)).toContain("what do quarries do?");
    expect(String(turns[1]?.content)).toContain("Quarries extract stone.");
    expect(String(turns[2]?.content)).toContain("how deep do they go?");
    const second = botMessages(world)[1];
    expect(second?.replyTo).toBe(reply.id);
    expect(second?.content).toContain("Often a hundred metres or more.");
  });

  it("gives the model a multi-message answer whole when someone replies to its last part", async () => {
    const world = await discordWorld();
    await connected();
    const marker = (i: number) => `Part ${String(i).padStart(2, "0")}.`;
    const parts = Array.from(
      { length: 10 },
      (_, i) => `${marker(i)} ${"Stone is cut in benches. ".repeat(14)}\n\n`,
    );
    world.openrouter.reply({ text: parts });
    const { asked, thread } = await mentionOverGateway(world, "tell me everything");
    await settled(thread);
    const answer = botMessages(world);
    expect(answer.length).toBeGreaterThanOrEqual(2);
    // The reply chain holds the whole answer: each part replies to the one before.
    expect(answer[0]?.replyTo).toBe(asked.id);
    for (let i = 1; i < answer.length; i++) expect(answer[i]?.replyTo).toBe(answer[i - 1]?.id);

    world.openrouter.reply({ text: ["Short follow-up."] });
    const reply = world.discord.seedMessage(world.channelId, {
      content: "summarise that",
      replyTo: answer.at(-1)?.id,
    });
    await world.gateway.dispatch("MESSAGE_CREATE", gatewayMessage(reply));
    await settled(thread, 2);
    const turns = (world.openrouter.chatBodies[1] as ChatBody).messages.filter(
      (m) => m.role !== "system",
    );
    expect(turns.map((m) => m.role)).toEqual(["user", "assistant", "user"]);
    const said = String(turns[1]?.content);
    for (let i = 0; i < parts.length; i++) expect(said.split(marker(i))).toHaveLength(2);
    expect(said).not.toMatch(/writing…|Researching with/i);
  });

  it("answers a mention in a thread and then a plain follow-up there, with the thread as history", async () => {
    const world = await discordWorld();
    await connected();
    const threadId = world.discord.addChannel({
      id: freshSnowflake(),
      type: 11,
      guild_id: GUILD_ID,
      parent_id: world.channelId,
    }).id;
    world.discord.seedMessage(threadId, { content: "we are comparing granite and basalt" });
    const asked = world.discord.seedMessage(threadId, {
      content: `<@${APP_ID}> which is harder?`,
      mentions: [world.discord.botUser],
    });
    world.openrouter.reply({ text: ["Granite, usually."] });
    await world.gateway.dispatch("MESSAGE_CREATE", gatewayMessage(asked, { channelType: 11 }));
    // The conversation is the thread; its settings are the parent channel's.
    const thread: ThreadRef = {
      platform: "discord",
      workspaceId: GUILD_ID,
      channelId: world.channelId,
      threadId,
    };
    await settled(thread);
    expect(botMessages(world, threadId)).toEqual([
      expect.objectContaining({ replyTo: asked.id, content: expect.stringContaining("Granite") }),
    ]);
    const first = String((world.openrouter.chatBodies[0] as ChatBody).messages.at(-1)?.content);
    expect(first).toContain("comparing granite and basalt");
    expect(first).toContain("which is harder?");

    world.openrouter.reply({ text: ["Basalt is denser."] });
    const followup = world.discord.seedMessage(threadId, { content: "and which is denser?" });
    await world.gateway.dispatch("MESSAGE_CREATE", gatewayMessage(followup, { channelType: 11 }));
    await settled(thread, 2);
    const turns = (world.openrouter.chatBodies[1] as ChatBody).messages.filter(
      (m) => m.role !== "system",
    );
    expect(turns.map((m) => m.role)).toEqual(["user", "assistant", "user"]);
    expect(String(turns[2]?.content)).toContain("which is denser?");
    expect(botMessages(world, threadId).at(-1)).toMatchObject({
      replyTo: followup.id,
      content: expect.stringContaining("Basalt is denser."),
    });
    expect(botMessages(world)).toEqual([]);
  });

  it("continues an /ask conversation when someone replies to its answer, putting the asked question back in history", async () => {
    const world = await discordWorld();
    await connected();
    world.openrouter.reply({ text: ["Granite is igneous."] });
    const asked = await ask(world, "what kind of rock is granite?");
    await settled(asked.thread);
    const original = asked.original?.id ?? "";
    expect(await findConversationInKv(env.SETTINGS, original)).toEqual(asked.thread);

    world.openrouter.reply({ text: ["Marble is metamorphic."] });
    const reply = world.discord.seedMessage(world.channelId, {
      content: "and marble?",
      replyTo: original,
    });
    await world.gateway.dispatch("MESSAGE_CREATE", gatewayMessage(reply));
    await settled(asked.thread, 2);

    const turns = (world.openrouter.chatBodies[1] as ChatBody).messages.filter(
      (m) => m.role !== "system",
    );
    expect(turns.map((m) => m.role)).toEqual(["user", "assistant", "user"]);
    expect(String(turns[0]?.content)).toContain("what kind of rock is granite?");
    expect(String(turns[1]?.content)).toContain("Granite is igneous.");
    expect(String(turns[2]?.content)).toContain("and marble?");
    expect(botMessages(world).at(-1)).toMatchObject({ replyTo: reply.id });
  });

  it("answers someone who mentions the bot's role (Discord offers it next to the bot), and looks the role up once", async () => {
    const world = await discordWorld();
    const botRole = freshSnowflake();
    world.discord.addGuild(GUILD_ID, { botRoleId: botRole, otherRoleIds: ["7000000000000000009"] });
    await connected();
    world.openrouter.reply({ text: ["Roles work too."] });
    const other = world.discord.seedMessage(world.channelId, {
      content: "<@&7000000000000000009> lunch?",
    });
    await world.gateway.dispatch("MESSAGE_CREATE", {
      ...gatewayMessage(other),
      mention_roles: ["7000000000000000009"],
    });
    const asked = world.discord.seedMessage(world.channelId, {
      content: `<@&${botRole}> do roles work?`,
    });
    await world.gateway.dispatch("MESSAGE_CREATE", {
      ...gatewayMessage(asked),
      mention_roles: [botRole],
    });
    const thread: ThreadRef = {
      platform: "discord",
      workspaceId: GUILD_ID,
      channelId: world.channelId,
      threadId: asked.id,
    };
    await settled(thread);
    const replies = botMessages(world);
    expect(replies).toHaveLength(1);
    expect(replies[0]?.replyTo).toBe(asked.id);
    expect(replies[0]?.content).toContain("Roles work too.");
    expect(world.openrouter.chatBodies).toHaveLength(1);
    const last = (world.openrouter.chatBodies[0] as ChatBody).messages.at(-1);
    expect(String(last?.content)).toContain("do roles work?");
    expect(String(last?.content)).not.toContain(botRole);
    expect(world.discord.calls(`GET /guilds/${GUILD_ID}/roles`)).toHaveLength(1);
  });

  it("answers once when Discord replays the MESSAGE_CREATE after a RESUME", async () => {
    const world = await discordWorld();
    const gateway = await connected();
    world.openrouter.reply({ text: ["Only once."] });
    const { seq, thread } = await mentionOverGateway(world, "once only");
    // The connection drops while the answer runs; Discord replays from before the mention.
    world.gateway.replayFrom = seq - 1;
    await world.gateway.close(4000);
    await eventually(async () => (await gateway.status()).seq === seq + 1);
    expect(world.gateway.sent(6)).toHaveLength(1);
    await settled(thread);
    await pause(300);

    expect(world.openrouter.chatBodies).toHaveLength(1);
    expect(botMessages(world)).toHaveLength(1);
    expect(botMessages(world)[0]?.content).toContain("Only once.");
  });

  it("answers a mention once when its first hand-off fails (the outbox retries it), also after a RESUME replay", async () => {
    const world = await discordWorld();
    const gateway = await connected();
    const seam = DiscordGatewayObject.prototype as unknown as {
      submit(q: unknown): Promise<unknown>;
    };
    const submit = vi.spyOn(seam, "submit").mockRejectedValueOnce(new Error("object overloaded"));
    vi.spyOn(console, "error").mockImplementation(() => {});
    world.openrouter.reply({ text: ["Delivered on the second try."] });
    const { seq, thread } = await mentionOverGateway(world, "are you there?");
    await settled(thread);
    expect(submit).toHaveBeenCalledTimes(2);
    expect(botMessages(world).map((m) => m.content)).toEqual([
      expect.stringContaining("Delivered on the second try."),
    ]);

    world.gateway.replayFrom = seq - 1;
    await world.gateway.close(4000);
    await eventually(async () => (await gateway.status()).seq === seq + 1);
    await pause(300);
    expect(world.openrouter.chatBodies).toHaveLength(1);
    expect(botMessages(world)).toHaveLength(1);
  });

  it("answers once when the same MESSAGE_CREATE reaches its conversation twice at the same time", async () => {
    const world = await discordWorld();
    world.openrouter.reply({ text: ["Deduped."] });
    const asked = world.discord.seedMessage(world.channelId, {
      content: `<@${APP_ID}> twice?`,
      mentions: [world.discord.botUser],
    });
    // A Gateway object that lost its memory of recent ids (restarted) hands it on again.
    const ctx = {
      botUserId: APP_ID,
      findConversation: (id: string) => findConversationInKv(env.SETTINGS, id),
    };
    const question = await messageCreateToQuestion(gatewayMessage(asked), ctx);
    const again = await messageCreateToQuestion(gatewayMessage(asked), ctx);
    if (!question || !again) throw new Error("the mention was not taken as a question");
    const results = await Promise.all([submitQuestion(env, question), submitQuestion(env, again)]);
    expect(results.map((r) => r.status).sort()).toEqual(["duplicate", "queued"]);
    await settled(question.thread);
    await pause(300);

    expect(world.openrouter.chatBodies).toHaveLength(1);
    expect(botMessages(world)).toHaveLength(1);
    expect(botMessages(world)[0]).toMatchObject({ replyTo: asked.id });
  });
});
