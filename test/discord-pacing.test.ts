import { beforeEach, describe, expect, it } from "vitest";
import { discordSent } from "../adapters/discord/delivery.ts";
import { DISCORD_RATE_RULES } from "../adapters/discord/discord-adapter.ts";
import { nonceFor } from "../adapters/discord/nonce.ts";
import type { ChatAdapter } from "../src/chat/adapter.ts";
import type { Question, SentMessage } from "../src/chat/types.ts";
import { localRateLimiter, type RateLimiter } from "../src/delivery/rate-limit.ts";
import { ChatApiError } from "../src/errors.ts";
import type { FakeDiscord } from "./fakes/discord-api.ts";
import {
  DISCORD_START,
  discordAdapterFor,
  fakeDiscordOn,
  mentionAsked,
  TestClock,
} from "./support/discord-adapter-fixture.ts";
import { APP_ID, CHANNEL_ID } from "./support/discord-payloads.ts";

/** Keyed posts (nonce + enforce_nonce) and the pacing all answers of a channel share, on the fake's clock. */

const START = DISCORD_START;
let clock: TestClock;
let fake: FakeDiscord;

beforeEach(() => {
  clock = new TestClock();
  fake = fakeDiscordOn(clock, APP_ID);
});

/** One conversation object's adapter: its own REST client, as each object has. */
const adapterFor = (limiter?: RateLimiter): ChatAdapter =>
  discordAdapterFor(fake, clock, { limiter, timeoutMs: 50 });

const mention = (text = "what changed?"): Question => mentionAsked(fake, text, clock.at);

const creates = () => fake.calls(`POST /channels/${CHANNEL_ID}/messages`);
const botShown = () => fake.visible(CHANNEL_ID).filter((m) => m.fromBot);

describe("Discord adapter: keyed posts", () => {
  it("sends a stable nonce of at most 25 characters derived from the key, with enforce_nonce", async () => {
    const q = mention();
    await adapterFor().post(q, "part one", undefined, `${q.id}:0`);
    await adapterFor().post(q, "part two", undefined, `${q.id}:1`);
    const bodies = creates().map((r) => r.body as { nonce?: string; enforce_nonce?: boolean });
    expect(bodies.map((b) => b.enforce_nonce)).toEqual([true, true]);
    const [a, b] = bodies.map((x) => x.nonce ?? "");
    expect(a).toBe(await nonceFor(`${q.id}:0`));
    expect(a?.length).toBeLessThanOrEqual(25);
    expect(a).not.toBe(b);
    // Unkeyed posts carry none.
    await adapterFor().post(q, "note");
    expect(creates().at(-1)?.body).not.toHaveProperty("nonce");
  });

  it("shows a post once when its first attempt went through but the answer was lost", async () => {
    const q = mention();
    const adapter = adapterFor();
    fake.loseResponseNext("POST /channels");
    const err = await adapter.post(q, "the answer", undefined, "k1").catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: "transient", ambiguous: true });
    const retried = await adapter.post(q, "the answer", undefined, "k1");
    expect(botShown()).toEqual([
      { id: retried.id, content: "the answer", replyTo: q.messageId, fromBot: true },
    ]);
    expect(creates()).toHaveLength(2);
  });

  it("brings a deduped post up to the text of the retry, which had grown meanwhile", async () => {
    const q = mention();
    const adapter = adapterFor();
    fake.hangNext("POST /channels", 1, { applied: true });
    await expect(adapter.post(q, "draft", undefined, "k2")).rejects.toMatchObject({
      code: "timeout",
      ambiguous: true,
    });
    const retried = await adapter.post(q, "draft, and more", undefined, "k2");
    expect(botShown().map((m) => [m.id, m.content])).toEqual([[retried.id, "draft, and more"]]);
  });

  it("posts anew under a second nonce when someone deleted the first attempt's message", async () => {
    const q = mention();
    const adapter = adapterFor();
    const first = await adapter.post(q, "short-lived", undefined, "k3");
    fake.deleteMessage(first.id);
    const again = await adapter.post(q, "short-lived", undefined, "k3");
    expect(again.id).not.toBe(first.id);
    expect(botShown().map((m) => m.content)).toEqual(["short-lived"]);
    // And a retry of that one is deduped again.
    expect((await adapter.post(q, "short-lived", undefined, "k3")).id).toBe(again.id);
  });

  it("gives a stand-in post a nonce, so a retried stand-in is not shown twice", async () => {
    const q = mention();
    const adapter = adapterFor();
    const webhookMessage: SentMessage = discordSent(fake.openInteraction("tok", CHANNEL_ID).id, {
      via: "webhook",
      channelId: CHANNEL_ID,
      original: "1",
    });
    fake.botCanEditWebhookMessages = false;
    const one = await adapter.edit(q, webhookMessage, "text");
    const two = await adapter.edit(q, webhookMessage, "text");
    expect(two?.id).toBe(one?.id);
    expect(creates()[0]?.body).toMatchObject({ enforce_nonce: true });
  });
});

describe("Discord adapter: pacing shared by a channel's answers", () => {
  it("keeps the rule about 10% under Discord's 5 writes per 5 s, one at a time", () => {
    const { limit, windowMs, burst } = DISCORD_RATE_RULES.messages;
    expect((limit / windowMs) * 5_000).toBeCloseTo(4.5, 5);
    expect(burst).toBe(1);
  });

  /** Two answers in one channel, each with its own adapter, writing in turn: 30 writes in all. */
  async function thirtyWrites(limiter?: RateLimiter): Promise<number> {
    const answers = [adapterFor(limiter), adapterFor(limiter)].map((adapter) => ({
      adapter,
      q: mention(),
      message: undefined as SentMessage | undefined,
    }));
    let refused = 0;
    for (let i = 0; i < 30; i++) {
      const a = answers[i % 2] as (typeof answers)[number];
      await a.adapter.pace?.(a.q, a.message ? "edit" : "post");
      try {
        if (a.message) await a.adapter.edit(a.q, a.message, `draft ${i}`);
        else a.message = await a.adapter.post(a.q, `draft ${i}`);
      } catch (err) {
        if (!(err instanceof ChatApiError && err.kind === "rate_limited")) throw err;
        refused++;
      }
    }
    return refused;
  }

  it("paced by a shared limiter, 30 writes in a row meet no 429", async () => {
    const limiter = localRateLimiter({ now: clock.now, sleep: clock.sleep });
    expect(await thirtyWrites(limiter)).toBe(0);
    expect(fake.rateLimited).toEqual([]);
    // The limiter spaced them: 29 gaps of 10 s / 9.
    expect(clock.at - START).toBeGreaterThanOrEqual((29 * 10_000) / 9 - 1);
  });

  it("without it, the same writes run into Discord's limit", async () => {
    expect(await thirtyWrites()).toBeGreaterThan(0);
    expect(fake.rateLimited.length).toBeGreaterThan(0);
  });

  it("paces typing under its own key, and drops a refused typing quietly", async () => {
    const booked: string[] = [];
    const limiter: RateLimiter = {
      acquire: async (scope, key) => {
        booked.push(`${scope} ${key}`);
      },
    };
    const adapter = adapterFor(limiter);
    const q = mention();
    fake.rateLimitNext("/typing", 1, 3);
    await expect(adapter.showWorking?.(q, "is researching…")).resolves.toBeUndefined();
    await adapter.pace?.(q, "post");
    expect(booked).toEqual([
      `discord:channel:${CHANNEL_ID} typing`,
      `discord:channel:${CHANNEL_ID} messages`,
    ]);
    expect(adapterFor().pace).toBeUndefined();
  });
});
