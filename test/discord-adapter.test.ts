import { beforeEach, describe, expect, it } from "vitest";
import { DiscordApi } from "../adapters/discord/api.ts";
import { discordMetaOf } from "../adapters/discord/delivery.ts";
import { createDiscordAdapter } from "../adapters/discord/discord-adapter.ts";
import type { ChatAdapter } from "../src/chat/adapter.ts";
import type { Question } from "../src/chat/types.ts";
import { ChatApiError } from "../src/errors.ts";
import { FAKE_DISCORD_URL, type FakeDiscord } from "./fakes/discord-api.ts";
import {
  DISCORD_START,
  discordAdapterFor,
  discordApiFor,
  fakeDiscordOn,
  mentionAsked,
  slashAsked,
  TestClock,
} from "./support/discord-adapter-fixture.ts";
import { CHANNEL_ID, GUILD_ID } from "./support/discord-payloads.ts";

const TOKEN = "interaction-token-1";
const START = DISCORD_START;

let fake: FakeDiscord;
let clock: TestClock;
let api: DiscordApi;
let adapter: ChatAdapter;

beforeEach(() => {
  clock = new TestClock();
  fake = fakeDiscordOn(clock);
  api = discordApiFor(fake, clock);
  adapter = discordAdapterFor(fake, clock, { api });
});

/** A `DiscordApi` on the test clock that records each wait in `waits` instead of sleeping. */
function pacedApi(waits: number[]): DiscordApi {
  return discordApiFor(fake, clock, {
    sleep: async (ms) => {
      waits.push(ms);
    },
  });
}

function askQuestion(): Question {
  fake.openInteraction(TOKEN, CHANNEL_ID);
  return slashAsked(fake, { token: TOKEN, text: "What changed?", receivedAt: START });
}

const mentionQuestion = (): Question => mentionAsked(fake, "what changed?", START);

const botAuth = `Bot ${"bot-token"}`;

describe("Discord adapter: posting an /ask answer", () => {
  it("fills the deferred @original first, then posts followups through the interaction webhook", async () => {
    const q = askQuestion();
    const first = await adapter.post(q, "part one");
    const second = await adapter.post(q, "part two", first);
    await adapter.edit(q, first, "part one, edited");
    await adapter.edit(q, second, "part two, edited");

    expect(fake.visible(CHANNEL_ID).map((m) => m.content)).toEqual([
      "part one, edited",
      "part two, edited",
    ]);
    expect(first.meta).toMatchObject({ via: "webhook", channelId: CHANNEL_ID, original: "1" });
    expect(second.meta).toMatchObject({ via: "webhook", channelId: CHANNEL_ID });
    const routes = fake.requests.map(
      (r) => `${r.method} ${r.path.replace(TOKEN, ":token").replace(second.id, ":id")}`,
    );
    expect(routes).toEqual([
      `GET /webhooks/${fake.applicationId}/:token/messages/@original`,
      `PATCH /webhooks/${fake.applicationId}/:token/messages/@original`,
      `POST /webhooks/${fake.applicationId}/:token`,
      `PATCH /webhooks/${fake.applicationId}/:token/messages/@original`,
      `PATCH /webhooks/${fake.applicationId}/:token/messages/:id`,
    ]);
    // Interaction webhooks authenticate with the token in the path, never the bot token.
    expect(fake.requests.every((r) => r.headers.authorization === undefined)).toBe(true);
  });

  it("continues with bot-token channel messages once the token is within a minute of expiry, without gap or duplicate", async () => {
    const q = askQuestion();
    const first = await adapter.post(q, "part one");
    clock.at = START + 14 * 60_000 + 1;
    const second = await adapter.post(q, "part two", first);
    await adapter.edit(q, first, "part one, final");
    await adapter.edit(q, second, "part two, final");

    expect(second.meta).toMatchObject({ via: "channel", channelId: CHANNEL_ID });
    expect(fake.visible(CHANNEL_ID)).toEqual([
      { id: first.id, content: "part one, final", replyTo: undefined, fromBot: true },
      { id: second.id, content: "part two, final", replyTo: first.id, fromBot: true },
    ]);
    const late = fake.requests.slice(2);
    expect(late.map((r) => `${r.method} ${r.path}`)).toEqual([
      `POST /channels/${CHANNEL_ID}/messages`,
      `PATCH /channels/${CHANNEL_ID}/messages/${first.id}`,
      `PATCH /channels/${CHANNEL_ID}/messages/${second.id}`,
    ]);
    expect(late.every((r) => r.headers.authorization === botAuth)).toBe(true);
  });

  it("falls back to the bot token when Discord has already retired the interaction token", async () => {
    const q = askQuestion();
    const first = await adapter.post(q, "part one");
    fake.expireInteraction(TOKEN);
    await adapter.edit(q, first, "part one, edited");
    const second = await adapter.post(q, "part two", first);

    expect(discordMetaOf(second).via).toBe("channel");
    expect(fake.visible(CHANNEL_ID).map((m) => m.content)).toEqual([
      "part one, edited",
      "part two",
    ]);
    const refused = fake.requests.filter((r) => r.path.startsWith("/webhooks/")).slice(2);
    expect(refused.map((r) => r.method)).toEqual(["PATCH", "POST"]);
  });

  it("posts a stand-in when the bot token may not edit a webhook message, and hands it back to be edited afterwards", async () => {
    const q = askQuestion();
    const first = await adapter.post(q, "draft");
    fake.botCanEditWebhookMessages = false;
    clock.at = START + 15 * 60_000;
    const standIn = await adapter.edit(q, first, "final text");
    expect(standIn).toMatchObject({ meta: { via: "channel", channelId: CHANNEL_ID } });
    // A fresh adapter (as after a restart) holds nothing in memory: the stand-in is all it needs.
    const afterRestart = createDiscordAdapter({
      api,
      botUserId: fake.applicationId,
      now: clock.now,
      sleep: clock.sleep,
    });
    expect(await afterRestart.edit(q, standIn ?? first, "final text, polished")).toBeUndefined();

    const shown = fake.visible(CHANNEL_ID);
    expect(shown.map((m) => m.content)).toEqual(["draft", "final text, polished"]);
    expect(shown[1]?.replyTo).toBe(first.id);
    expect(fake.calls(/^POST \/channels\/\d+\/messages$/)).toHaveLength(1);
  });
});

describe("Discord adapter: answering a message", () => {
  it("replies to the question, then chains each further chunk to the one before, also after a restart", async () => {
    const q = mentionQuestion();
    const first = await adapter.post(q, "first chunk");
    // A fresh adapter (as after a restart) chains from the message the core hands it.
    const afterRestart = createDiscordAdapter({
      api,
      botUserId: fake.applicationId,
      now: clock.now,
    });
    const second = await afterRestart.post(q, "second chunk", first);

    const posts = fake.calls(/^POST \/channels\/\d+\/messages$/);
    expect(posts.map((r) => (r.body as { message_reference?: unknown }).message_reference)).toEqual(
      [
        { message_id: q.messageId, fail_if_not_exists: false },
        { message_id: first.id, fail_if_not_exists: false },
      ],
    );
    expect(
      fake
        .visible(CHANNEL_ID)
        .slice(1)
        .map((m) => m.replyTo),
    ).toEqual([q.messageId, first.id]);
    expect(second.meta).toEqual({ via: "channel", channelId: CHANNEL_ID });
  });

  it("suppresses link previews on the messages it creates", async () => {
    const q = mentionQuestion();
    await adapter.post(q, "see https://example.com");
    expect(fake.calls("POST /channels")[0]?.body).toMatchObject({ flags: 4 });
  });

  it("shows typing in the channel it answers in", async () => {
    const q = mentionQuestion();
    await adapter.showWorking?.(q, "is researching…");
    expect(fake.calls("/typing").map((r) => [r.method, r.path, r.headers.authorization])).toEqual([
      ["POST", `/channels/${CHANNEL_ID}/typing`, botAuth],
    ]);
  });

  it("sends allowed_mentions {parse: []} with every message it creates or edits", async () => {
    const ask = askQuestion();
    const a = await adapter.post(ask, "@everyone look");
    await adapter.post(ask, "followup", a);
    await adapter.edit(ask, a, "edited");
    clock.at = START + 20 * 60_000;
    await adapter.edit(ask, a, "edited by bot");
    const q = mentionQuestion();
    const m = await adapter.post(q, "reply");
    await adapter.edit(q, m, "reply, edited");
    const writes = fake.requests.filter((r) => r.method === "POST" || r.method === "PATCH");
    expect(writes).toHaveLength(6);
    for (const w of writes)
      expect((w.body as { allowed_mentions?: unknown }).allowed_mentions).toEqual({ parse: [] });
  });

  it("limits messages to Discord's 2,000 characters and edits at most about once per 1.2 s", () => {
    expect(adapter.maxMessageChars).toBe(2000);
    expect(adapter.editIntervalMs).toBeGreaterThanOrEqual(1000);
    expect(adapter.render("@here")).toBe("@\u200bhere");
  });
});

describe("DiscordApi", () => {
  it("overrides allowed_mentions a caller passed", async () => {
    await api.createMessage(CHANNEL_ID, {
      content: "hi @everyone",
      allowed_mentions: { parse: ["everyone" as never] },
    });
    expect(fake.requests[0]?.body).toMatchObject({
      content: "hi @everyone",
      allowed_mentions: { parse: [] },
    });
  });

  it("switches mentions off in out-of-band interaction replies that carry a message", async () => {
    await api.interactionCallback("3000000000000000001", "tok", {
      type: 4,
      data: { content: "@everyone hi", allowed_mentions: { parse: ["everyone" as never] } },
    });
    await api.interactionCallback("3000000000000000002", "tok2", {
      type: 8,
      data: { choices: [] },
    });
    expect(fake.calls("/callback").map((r) => r.body)).toEqual([
      { type: 4, data: { content: "@everyone hi", allowed_mentions: { parse: [] } } },
      { type: 8, data: { choices: [] } },
    ]);
  });

  it("turns a 429 into rate_limited with retry_after in ms, and waits it out before the next call on that route", async () => {
    const waits: number[] = [];
    const paced = pacedApi(waits);
    fake.rateLimitNext("POST /channels", 1, 1.5);
    const err = await paced.createMessage(CHANNEL_ID, { content: "x" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChatApiError);
    expect(err).toMatchObject({
      code: "rate_limited",
      status: 429,
      retryable: true,
      retryAfterMs: 1500,
    });
    await paced.triggerTyping(CHANNEL_ID);
    expect(waits).toEqual([]);
    await paced.createMessage(CHANNEL_ID, { content: "x" });
    expect(waits).toEqual([1500]);
    expect(fake.calls("POST /channels").length).toBe(3);
  });

  it("reads Retry-After when a 429 body has no retry_after", async () => {
    const limited = new DiscordApi({
      baseUrl: FAKE_DISCORD_URL,
      token: "t",
      applicationId: "1",
      fetch: async () =>
        new Response("rate limited", { status: 429, headers: { "Retry-After": "3" } }),
    });
    await expect(limited.getChannel(CHANNEL_ID)).rejects.toMatchObject({
      code: "rate_limited",
      retryAfterMs: 3000,
    });
  });

  it("waits Reset-After before the next call on a route whose bucket reported Remaining 0", async () => {
    const waits: number[] = [];
    const paced = pacedApi(waits);
    fake.exhaustNext("POST /channels", 0.75);
    await paced.createMessage(CHANNEL_ID, { content: "one" });
    await paced.getChannel(CHANNEL_ID);
    expect(waits).toEqual([]);
    await paced.createMessage(CHANNEL_ID, { content: "two" });
    expect(waits).toEqual([750]);
  });

  it("maps Discord's error codes: 50035 for content over 2,000 characters, 10015 for a dead token", async () => {
    await expect(
      api.createMessage(CHANNEL_ID, { content: "x".repeat(2001) }),
    ).rejects.toMatchObject({
      code: "invalid_form_body",
      status: 400,
      retryable: false,
      platformError: "50035",
    });
    await expect(api.editOriginal("never-issued", { content: "x" })).rejects.toMatchObject({
      code: "interaction_expired",
      platformError: "10015",
    });
  });

  it("authenticates bot calls, and rejects a wrong token as unauthorized", async () => {
    const wrong = new DiscordApi({
      baseUrl: FAKE_DISCORD_URL,
      token: "nope",
      applicationId: fake.applicationId,
      fetch: async (input, init) => fake.handle(new Request(input, init)),
    });
    await expect(wrong.getGatewayBot()).rejects.toMatchObject({
      code: "unauthorized",
      status: 401,
    });
    expect(await api.getGatewayBot()).toMatchObject({
      url: "wss://gateway.discord.test",
      shards: 1,
    });
  });

  it("overwrites commands globally or in one guild", async () => {
    await api.bulkOverwriteCommands([{ name: "ask", description: "Ask" }], GUILD_ID);
    await api.bulkOverwriteCommands([{ name: "ask", description: "Ask" }]);
    expect(fake.calls("PUT").map((r) => r.path)).toEqual([
      `/applications/${fake.applicationId}/guilds/${GUILD_ID}/commands`,
      `/applications/${fake.applicationId}/commands`,
    ]);
  });
});
