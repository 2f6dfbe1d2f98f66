import { env } from "cloudflare:workers";
import { beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { DiscordApi } from "../adapters/discord/api.ts";
import { DEFERRAL_RETRY } from "../adapters/discord/deferral.ts";
import { discordMetaOf } from "../adapters/discord/delivery.ts";
import { handleDiscordInteraction } from "../adapters/discord/interactions.ts";
import type { ChatAdapter } from "../src/chat/adapter.ts";
import type { Env } from "../src/config.ts";
import type { SubmitResult } from "../src/conversation/conversation-object.ts";
import type { FakeDiscord, PendingCode } from "./fakes/discord-api.ts";
import {
  DISCORD_START,
  discordAdapterFor,
  discordApiFor,
  fakeDiscordOn,
  slashAsked,
  TestClock,
} from "./support/discord-adapter-fixture.ts";
import { APP_ID, askInteraction, CHANNEL_ID } from "./support/discord-payloads.ts";
import { createDiscordSigner, type DiscordSigner } from "./support/discord-signing.ts";

/**
 * Discord applies an `/ask` deferral only once the Worker's response has reached it; the
 * conversation object may get there first. All on the fake's clock: waits pass at once.
 */

const START = DISCORD_START;
const TOKEN = "interaction-token-late";
const originalRoute = `/webhooks/${APP_ID}/${TOKEN}/messages/@original`;

let clock: TestClock;
let fake: FakeDiscord;
let api: DiscordApi;
let adapter: ChatAdapter;

beforeEach(() => {
  clock = new TestClock();
  fake = fakeDiscordOn(clock, APP_ID);
  api = discordApiFor(fake, clock);
  adapter = discordAdapterFor(fake, clock, { api });
});

/** An `/ask` Discord delivered at `receivedAt`, whose deferral it registers at `deferredAt` (never if unset). */
function lateAsk(opts: { deferredAt?: number; code?: PendingCode; receivedAt?: number } = {}) {
  fake.pendInteraction(TOKEN, CHANNEL_ID, { deferredAt: opts.deferredAt, code: opts.code });
  return slashAsked(fake, {
    token: TOKEN,
    text: "late?",
    receivedAt: opts.receivedAt ?? START,
    interactionId: "3000000000000000042",
  });
}

const originalGets = () => fake.calls(`GET ${originalRoute}`);

describe("Discord adapter: a deferral Discord registers late", () => {
  it("fills @original when the deferral arrives 3 s after the first attempt", async () => {
    const q = lateAsk({ deferredAt: START + 3_000 });
    const first = await adapter.post(q, "the answer");

    expect(first.meta).toMatchObject({ via: "webhook", original: "1" });
    expect(clock.at).toBeGreaterThanOrEqual(START + 3_000);
    expect(clock.at).toBeLessThan(START + 5_000);
    expect(originalGets().map((r) => r.status)).toEqual([404, 404, 404, 404, 200]);
    expect(fake.visible(CHANNEL_ID)).toEqual([
      { id: first.id, content: "the answer", replyTo: undefined, fromBot: true },
    ]);
    expect(fake.message(first.id)?.flags).toBe(4);
    expect(fake.calls("/channels/")).toEqual([]);
  });

  it("waits the same way when Discord answers 10015 Unknown Webhook before the deferral", async () => {
    const q = lateAsk({ deferredAt: START + 1_200, code: 10015 });
    const first = await adapter.post(q, "the answer");
    expect(first.meta).toMatchObject({ via: "webhook", original: "1" });
    expect(originalGets()[0]?.status).toBe(404);
  });

  it("falls back to a channel message once 10 s of retries pass without a deferral", async () => {
    const q = lateAsk();
    const first = await adapter.post(q, "the answer");

    expect(first.meta).toMatchObject({ via: "channel", channelId: CHANNEL_ID });
    expect(clock.at - START).toBeGreaterThanOrEqual(DEFERRAL_RETRY.minMs);
    // Backoff 250 ms doubling to 2 s; the last attempt lands at 10 s.
    expect(originalGets().map((r) => r.at - START)).toEqual([
      0, 250, 750, 1_750, 3_750, 5_750, 7_750, 9_750, 10_000,
    ]);
    expect(fake.visible(CHANNEL_ID).map((m) => m.content)).toEqual(["the answer"]);
    // The answer then carries on in the channel, chained to its first part.
    const second = await adapter.post(q, "part two", first);
    expect(discordMetaOf(second).via).toBe("channel");
    expect(fake.visible(CHANNEL_ID).at(-1)?.replyTo).toBe(first.id);
    expect(fake.calls(`POST /webhooks/${APP_ID}/${TOKEN}`)).toEqual([]);
  });

  it("falls back at once when the token is really gone: an old interaction, or a followup refused", async () => {
    const q = lateAsk({ receivedAt: START - 5 * 60_000 });
    fake.expireInteraction(TOKEN);
    const first = await adapter.post(q, "after a restart");
    expect(discordMetaOf(first).via).toBe("channel");
    expect(clock.at).toBe(START);
    expect(originalGets()).toHaveLength(1);

    const young = lateAsk({ deferredAt: START });
    const opened = await adapter.post(young, "part one");
    expect(discordMetaOf(opened).original).toBe("1");
    fake.expireInteraction(TOKEN);
    const next = await adapter.post(young, "part two", opened);
    expect(discordMetaOf(next).via).toBe("channel");
    expect(clock.at).toBe(START);
  });

  it("does not wait for a deferral once the token is near its end", async () => {
    const q = lateAsk();
    clock.at = START + 14 * 60_000 + 1;
    const first = await adapter.post(q, "late in the token's life");
    expect(discordMetaOf(first).via).toBe("channel");
    expect(originalGets()).toEqual([]);
  });
});

describe("/ask whose hand-over fails after the deferral", () => {
  let signer: DiscordSigner;
  beforeAll(async () => {
    signer = await createDiscordSigner();
  });

  async function slowAsk(submit: () => Promise<SubmitResult>, deferredAfterMs: number) {
    const body = { ...askInteraction("slow and failing"), token: TOKEN };
    const raw = JSON.stringify(body);
    const kept: Promise<unknown>[] = [];
    const res = await handleDiscordInteraction({
      env: env as unknown as Env,
      config: { applicationId: APP_ID, publicKey: signer.publicKeyHex, botToken: "t", apiUrl: "" },
      rawBody: raw,
      headers: await signer.sign(raw, Math.floor(clock.at / 1000)),
      waitUntil: (p) => kept.push(p),
      submit,
      api,
      now: clock.now,
      sleep: clock.sleep,
    });
    expect(await res.json()).toEqual({ type: 5 });
    // Discord registers the deferral this long after the response reached it.
    fake.pendInteraction(TOKEN, CHANNEL_ID, { deferredAt: clock.at + deferredAfterMs });
    await Promise.all(kept);
  }

  it("edits the deferred @original into a plain error, waiting until Discord has the deferral", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    let fail: (err: Error) => void = () => {};
    const submit = () =>
      new Promise<SubmitResult>((_, reject) => {
        fail = reject;
      });
    const asking = slowAsk(submit, 1_500);
    await new Promise((r) => setTimeout(r, 2_100));
    fail(new Error("conversation object overloaded"));
    await asking;

    const shown = fake.visible(CHANNEL_ID);
    expect(shown).toHaveLength(1);
    expect(shown[0]?.content).toMatch(/could not take that question.*try again/i);
    expect(fake.message(shown[0]?.id ?? "")?.flags ?? 0).not.toBe(128);
    expect(originalGets().map((r) => r.status)).toEqual([404, 404, 404, 200]);
    const patches = fake.calls(`PATCH ${originalRoute}`);
    expect(patches.map((r) => r.status)).toEqual([200]);
    expect(patches[0]?.body).toMatchObject({ allowed_mentions: { parse: [] } });
  }, 10_000);

  it("leaves @original to the answer when the late hand-over succeeds", async () => {
    let take: (r: SubmitResult) => void = () => {};
    const submit = () =>
      new Promise<SubmitResult>((resolve) => {
        take = resolve;
      });
    const asking = slowAsk(submit, 0);
    await new Promise((r) => setTimeout(r, 2_100));
    take({ status: "queued", position: 0 });
    await asking;
    expect(fake.calls("/webhooks/")).toEqual([]);
  }, 10_000);
});
