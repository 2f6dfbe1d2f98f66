/**
 * The Discord adapter on its own, against an in-process `FakeDiscord` on a test clock (no
 * Worker in between): the REST client, the adapter, and the two kinds of question the
 * adapter tests ask (a mention answered by channel replies, an `/ask` answered through its
 * interaction webhook).
 */
import { DiscordApi } from "../../adapters/discord/api.ts";
import { discordDelivery } from "../../adapters/discord/delivery.ts";
import { createDiscordAdapter } from "../../adapters/discord/discord-adapter.ts";
import type { ChatAdapter } from "../../src/chat/adapter.ts";
import type { Question } from "../../src/chat/types.ts";
import type { RateLimiter } from "../../src/delivery/rate-limit.ts";
import { FAKE_DISCORD_URL, FakeDiscord } from "../fakes/discord-api.ts";
import { alice, CHANNEL_ID, GUILD_ID } from "./discord-payloads.ts";

/** When every adapter test's clock starts. */
export const DISCORD_START = 1_790_000_000_000;

/** A clock whose `sleep` passes at once: waiting moves `now` on by the time waited. */
export class TestClock {
  at: number;
  constructor(start = DISCORD_START) {
    this.at = start;
  }
  now = (): number => this.at;
  sleep = async (ms: number): Promise<void> => {
    this.at += ms;
  };
}

/** A `FakeDiscord` on `clock` that has the guild channel `CHANNEL_ID`. */
export function fakeDiscordOn(clock: TestClock, applicationId?: string): FakeDiscord {
  const fake = new FakeDiscord({ applicationId, now: clock.now });
  fake.addChannel({ id: CHANNEL_ID, guild_id: GUILD_ID });
  return fake;
}

/** A `DiscordApi` whose every request goes to `fake`; `sleep` defaults to the clock's. */
export function discordApiFor(
  fake: FakeDiscord,
  clock: TestClock,
  opts: { sleep?: (ms: number) => Promise<void>; timeoutMs?: number } = {},
): DiscordApi {
  return new DiscordApi({
    baseUrl: FAKE_DISCORD_URL,
    token: fake.token,
    applicationId: fake.applicationId,
    fetch: async (input, init) => fake.handle(new Request(input, init)),
    now: clock.now,
    sleep: opts.sleep ?? clock.sleep,
    timeoutMs: opts.timeoutMs,
  });
}

/** The adapter under test, on `api` and `clock`, pacing through `limiter` when given. */
export function discordAdapterFor(
  fake: FakeDiscord,
  clock: TestClock,
  opts: { api?: DiscordApi; limiter?: RateLimiter; timeoutMs?: number } = {},
): ChatAdapter {
  return createDiscordAdapter({
    api: opts.api ?? discordApiFor(fake, clock, { timeoutMs: opts.timeoutMs }),
    botUserId: fake.applicationId,
    now: clock.now,
    sleep: clock.sleep,
    limiter: opts.limiter,
  });
}

/** Alice mentions the bot in `CHANNEL_ID` with `text`; the answer replies to her message. */
export function mentionAsked(fake: FakeDiscord, text: string, receivedAt: number): Question {
  const asked = fake.seedMessage(CHANNEL_ID, { content: `<@${fake.applicationId}> ${text}` });
  return {
    id: `discord:message:${asked.id}`,
    thread: {
      platform: "discord",
      workspaceId: GUILD_ID,
      channelId: CHANNEL_ID,
      threadId: asked.id,
    },
    text,
    trigger: "mention",
    user: { id: alice.id, name: "Alice" },
    messageId: asked.id,
    receivedAt,
    delivery: discordDelivery({ channelId: CHANNEL_ID, replyTo: asked.id }),
  };
}

/**
 * Alice's `/ask` with interaction token `token`, delivered at `receivedAt`; the fake must
 * already know the token (`openInteraction` or `pendInteraction`).
 */
export function slashAsked(
  fake: FakeDiscord,
  opts: { token: string; text: string; receivedAt: number; interactionId?: string },
): Question {
  const id = opts.interactionId ?? "3000000000000000001";
  return {
    id: `discord:interaction:${id}`,
    thread: {
      platform: "discord",
      workspaceId: GUILD_ID,
      channelId: CHANNEL_ID,
      threadId: `interaction:${id}`,
    },
    text: opts.text,
    trigger: "command",
    user: { id: alice.id, name: "Alice" },
    receivedAt: opts.receivedAt,
    delivery: discordDelivery({
      interactionToken: opts.token,
      applicationId: fake.applicationId,
      interactionExpiresAt: String(opts.receivedAt + 15 * 60_000),
      channelId: CHANNEL_ID,
    }),
  };
}
