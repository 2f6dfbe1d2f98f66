import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { DiscordApi } from "../adapters/discord/api.ts";
import { discordDelivery } from "../adapters/discord/delivery.ts";
import { createDiscordAdapter, findConversationInKv } from "../adapters/discord/discord-adapter.ts";
import type { ChatAdapter } from "../src/chat/adapter.ts";
import type { Question } from "../src/chat/types.ts";
import type { Env } from "../src/config.ts";
import { FAKE_DISCORD_URL, FakeDiscord } from "./fakes/discord-api.ts";
import { alice, CHANNEL_ID, GUILD_ID, THREAD_ID } from "./support/discord-payloads.ts";

const kv = (env as unknown as Env).SETTINGS;
const bob = {
  id: "2000000000000000002",
  username: "bob",
  global_name: "Bob",
  discriminator: "0",
  avatar: null,
};

let fake: FakeDiscord;
let adapter: ChatAdapter;
/** The fake's clock: each seeded message is posted when the test says. */
let clock: number;
const T0 = Date.UTC(2026, 10, 1, 12, 0, 0);

beforeEach(() => {
  clock = T0;
  fake = new FakeDiscord({ now: () => clock });
  fake.addChannel({ id: CHANNEL_ID, guild_id: GUILD_ID });
  const api = new DiscordApi({
    baseUrl: FAKE_DISCORD_URL,
    token: fake.token,
    applicationId: fake.applicationId,
    fetch: async (input, init) => fake.handle(new Request(input, init)),
  });
  adapter = createDiscordAdapter({ api, botUserId: fake.applicationId, kv });
});

function questionFor(
  messageId: string,
  channelId: string,
  extra: Partial<Question> = {},
): Question {
  return {
    id: `discord:message:${messageId}`,
    thread: {
      platform: "discord",
      workspaceId: GUILD_ID,
      channelId: CHANNEL_ID,
      threadId: messageId,
    },
    text: "the question",
    trigger: "mention",
    user: { id: alice.id, name: "Alice" },
    messageId,
    receivedAt: Date.now(),
    delivery: discordDelivery({ channelId, replyTo: messageId }),
    ...extra,
  };
}

describe("Discord history", () => {
  it("follows the reply chain up from the question, oldest first, marking the bot's turns", async () => {
    const bot = fake.botUser;
    const a = fake.seedMessage(CHANNEL_ID, {
      content: `<@${bot.id}> compare these`,
      mentions: [bot],
      attachments: [
        { content_type: "image/png", url: "https://cdn.discordapp.com/attachments/1/2/chart.png" },
      ],
    });
    clock += 1_000;
    fake.seedMessage(CHANNEL_ID, { content: "unrelated chatter", author: bob });
    clock += 60_000;
    const b = fake.seedMessage(CHANNEL_ID, { author: bot, content: "Answer one", replyTo: a.id });
    clock += 3_600_000;
    const c = fake.seedMessage(CHANNEL_ID, { author: bob, content: "why?", replyTo: b.id });
    clock += 1;
    const d = fake.seedMessage(CHANNEL_ID, { author: bot, content: "Because.", replyTo: c.id });
    clock += 86_400_000;
    const q = fake.seedMessage(CHANNEL_ID, { content: "thanks, and then?", replyTo: d.id });

    const history = await adapter.fetchHistory(questionFor(q.id, CHANNEL_ID));

    expect(history).toEqual([
      {
        id: a.id,
        author: { id: alice.id, name: "Alice" },
        fromBot: false,
        text: "@Quarry compare these",
        attachments: [
          {
            url: "https://cdn.discordapp.com/attachments/1/2/chart.png",
            name: "file",
            mimeType: "image/png",
            size: 1,
          },
        ],
        at: T0,
      },
      {
        id: b.id,
        author: { id: bot.id, name: "Quarry" },
        fromBot: true,
        text: "Answer one",
        at: T0 + 61_000,
      },
      {
        id: c.id,
        author: { id: bob.id, name: "Bob" },
        fromBot: false,
        text: "why?",
        at: T0 + 3_661_000,
      },
      {
        id: d.id,
        author: { id: bot.id, name: "Quarry" },
        fromBot: true,
        text: "Because.",
        at: T0 + 3_661_001,
      },
      {
        id: q.id,
        author: { id: alice.id, name: "Alice" },
        fromBot: false,
        text: "thanks, and then?",
        at: T0 + 90_061_001,
      },
    ]);
    // Each fetched message carries its parent one level deep, so only every other hop costs a call.
    expect(fake.calls("GET /channels").length).toBeLessThanOrEqual(3);
  });

  it("ends the chain quietly at a deleted message", async () => {
    const q = fake.seedMessage(CHANNEL_ID, {
      content: "still there?",
      reference: { message_id: "999", channel_id: CHANNEL_ID },
    });
    const history = await adapter.fetchHistory(questionFor(q.id, CHANNEL_ID));
    expect(history.map((h) => h.text)).toEqual(["still there?"]);
  });

  it("reads a thread up to the question, with the chain above its starter message first", async () => {
    fake.addChannel({ id: THREAD_ID, type: 11, guild_id: GUILD_ID, parent_id: CHANNEL_ID });
    const asked = fake.seedMessage(CHANNEL_ID, { content: "original question" });
    const answer = fake.seedMessage(CHANNEL_ID, {
      author: fake.botUser,
      content: "original answer",
      replyTo: asked.id,
    });
    fake.seedMessage(THREAD_ID, {
      type: 21,
      content: "",
      reference: { message_id: answer.id, channel_id: CHANNEL_ID },
    });
    fake.seedMessage(THREAD_ID, { author: bob, content: "in-thread remark" });
    fake.seedMessage(THREAD_ID, { type: 18, content: "pinned a message" });
    const q = fake.seedMessage(THREAD_ID, { content: "follow-up question" });
    fake.seedMessage(THREAD_ID, { author: bob, content: "after the question" });

    const question = questionFor(q.id, THREAD_ID, {
      trigger: "followup",
      delivery: discordDelivery({ channelId: THREAD_ID, replyTo: q.id, inThread: "1" }),
    });
    const history = await adapter.fetchHistory(question);

    expect(history.map((h) => [h.fromBot, h.text])).toEqual([
      [false, "original question"],
      [true, "original answer"],
      [false, "in-thread remark"],
      [false, "follow-up question"],
    ]);
    const list = fake.calls(`GET /channels/${THREAD_ID}/messages`)[0];
    expect(list?.query).toEqual({ limit: "100", before: (BigInt(q.id) + 1n).toString() });
  });

  it("puts an /ask question back in front of its answer when a reply continues it", async () => {
    fake.openInteraction("tok", CHANNEL_ID);
    const ask: Question = {
      ...questionFor("x", CHANNEL_ID),
      id: "discord:interaction:3000000000000000007",
      messageId: undefined,
      trigger: "command",
      text: "What is Quarry?",
      thread: {
        platform: "discord",
        workspaceId: GUILD_ID,
        channelId: CHANNEL_ID,
        threadId: "interaction:3000000000000000007",
      },
      delivery: discordDelivery({
        interactionToken: "tok",
        applicationId: fake.applicationId,
        interactionExpiresAt: String(Date.now() + 15 * 60_000),
        channelId: CHANNEL_ID,
      }),
    };
    expect((await adapter.fetchHistory(ask)).map((h) => h.text)).toEqual(["What is Quarry?"]);
    const answer = await adapter.post(ask, "A research bot.");
    await adapter.rememberAnswer?.(ask, answer);
    expect(await findConversationInKv(kv, answer.id)).toEqual(ask.thread);

    const reply = fake.seedMessage(CHANNEL_ID, {
      author: bob,
      content: "Who runs it?",
      replyTo: answer.id,
    });
    const history = await adapter.fetchHistory(
      questionFor(reply.id, CHANNEL_ID, { thread: ask.thread }),
    );
    expect(history.map((h) => [h.author.name, h.fromBot, h.text])).toEqual([
      ["Alice", false, "What is Quarry?"],
      ["Quarry", true, "A research bot."],
      ["Bob", false, "Who runs it?"],
    ]);
    // Every turn has its time; the asked question's is its interaction's snowflake.
    const interactionAt = Number((3000000000000000007n >> 22n) + 1420070400000n);
    expect(history.map((h) => h.at)).toEqual([interactionAt, T0, T0]);
  });

  it("remembers a thread conversation under the thread's id, so later messages there are follow-ups", async () => {
    fake.addChannel({ id: THREAD_ID, type: 11, guild_id: GUILD_ID, parent_id: CHANNEL_ID });
    const q = fake.seedMessage(THREAD_ID, { content: "in a thread" });
    const question = questionFor(q.id, THREAD_ID, {
      thread: {
        platform: "discord",
        workspaceId: GUILD_ID,
        channelId: CHANNEL_ID,
        threadId: THREAD_ID,
      },
      delivery: discordDelivery({ channelId: THREAD_ID, replyTo: q.id, inThread: "1" }),
    });
    const answer = await adapter.post(question, "answer");
    await adapter.rememberAnswer?.(question, answer);
    expect(await findConversationInKv(kv, THREAD_ID)).toEqual(question.thread);
    expect(await findConversationInKv(kv, answer.id)).toEqual(question.thread);
    expect(await findConversationInKv(kv, "424242")).toBeUndefined();
  });
});
