import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { DiscordGatewayObject } from "../adapters/discord/gateway-object.ts";
import {
  GatewayOutbox,
  OUTBOX_LIMITS,
  type OutboxEntry,
} from "../adapters/discord/gateway-outbox.ts";
import { mayAskBot } from "../adapters/discord/parse-message.ts";
import type { Question } from "../src/chat/types.ts";
import type { Env } from "../src/config.ts";
import { FakeDiscordGateway, messageCreate } from "./fakes/discord-gateway.ts";
import { eventually, installFakeNetwork } from "./fakes/network.ts";
import { restartDurableObject } from "./support/restart.ts";

/**
 * A MESSAGE_CREATE counts as handled (its seq saved) only together with a copy in the
 * Gateway object's outbox, which it leaves once its conversation object took it.
 */

const APP_ID = "1300000000000000000";
const TOKEN = "MTMwMDAw.test-bot-token";
const DISCORD_SECRETS = {
  DISCORD_APPLICATION_ID: APP_ID,
  DISCORD_PUBLIC_KEY: "ab".repeat(32),
  DISCORD_BOT_TOKEN: TOKEN,
};
const testEnv = env as unknown as Env;
const ns = testEnv.DISCORD_GATEWAY as unknown as DurableObjectNamespace<DiscordGatewayObject>;
const bindings = testEnv as unknown as Record<string, unknown>;
const original = Object.fromEntries(Object.keys(DISCORD_SECRETS).map((k) => [k, bindings[k]]));

type Stub = DurableObjectStub<DiscordGatewayObject>;
let gateway: FakeDiscordGateway;
let stubs: Stub[];
/** Questions the conversation objects took. */
let taken: Question[];
/** Every hand-off tried, taken or not. */
let tries: string[];
/** How the next hand-offs go: taken, refused (the object threw), or never answered. */
let handOff: "take" | "refuse" | "hang";

const mention = (text: string) =>
  messageCreate({ content: `<@${APP_ID}> ${text}`, mentions: [APP_ID] });
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeEach(() => {
  Object.assign(testEnv, DISCORD_SECRETS);
  stubs = [];
  taken = [];
  tries = [];
  handOff = "take";
  gateway = new FakeDiscordGateway({ token: TOKEN, applicationId: APP_ID });
  installFakeNetwork({
    "discord.test": gateway,
    "gateway.discord.test": gateway,
    "resume.discord.test": gateway,
  });
  const seam = DiscordGatewayObject.prototype as unknown as {
    submit(q: Question): Promise<unknown>;
  };
  vi.spyOn(seam, "submit").mockImplementation(async (question) => {
    tries.push(question.messageId ?? "");
    if (handOff === "refuse") throw new Error("conversation object overloaded");
    if (handOff === "hang") return new Promise(() => {});
    taken.push(question);
    return { status: "queued" };
  });
  vi.spyOn(console, "error").mockImplementation(() => {});
});

afterEach(async () => {
  for (const stub of stubs) await stub.disconnect().catch(() => undefined);
  vi.restoreAllMocks();
  for (const [key, value] of Object.entries(original)) {
    if (value === undefined) delete bindings[key];
    else bindings[key] = value;
  }
});

function objectNamed(name: string): Stub {
  const stub = ns.get(ns.idFromName(name));
  stubs.push(stub);
  return stub;
}

async function connected(name = crypto.randomUUID()): Promise<Stub> {
  const stub = objectNamed(name);
  await stub.ensureConnected();
  await eventually(async () => (await stub.status()).state === "ready");
  return stub;
}

/** What the object holds on disk: its outbox and the session's seq. */
function stored(stub: Stub) {
  return runInDurableObject(stub, async (_o: DiscordGatewayObject, state) => {
    const outbox = [...(await state.storage.list<OutboxEntry>({ prefix: "outbox:" })).values()];
    const session = await state.storage.get<{ seq: number | null }>("session");
    return { outbox, seq: session?.seq };
  });
}

describe("Discord Gateway outbox", () => {
  it("saves a message's seq only together with the message, and keeps it while the hand-off hangs", async () => {
    const stub = await connected();
    handOff = "hang";
    const asked = mention("is it on disk?");
    const seq = await gateway.dispatch("MESSAGE_CREATE", asked);
    await eventually(() => tries.length === 1);
    const disk = await stored(stub);
    expect(disk.seq).toBe(seq);
    expect(disk.outbox.map((e) => e.message.id)).toEqual([asked.id]);
  });

  it("hands on a message whose first hand-off failed once, from the outbox, and answers it once after a RESUME replay", async () => {
    const stub = await connected();
    handOff = "refuse";
    const asked = mention("try again?");
    const seq = await gateway.dispatch("MESSAGE_CREATE", asked);
    await eventually(() => tries.length === 1);
    handOff = "take";
    // The alarm retries it a second later.
    await eventually(() => taken.length === 1, 5_000);
    expect(taken[0]).toMatchObject({ messageId: asked.id, id: `discord:message:${asked.id}` });
    await eventually(async () => (await stored(stub)).outbox.length === 0);

    // The connection drops; Discord replays from before the message.
    gateway.replayFrom = seq - 1;
    await gateway.close(4000);
    await eventually(async () => (await stub.status()).seq === seq + 1);
    await pause(200);
    expect(gateway.sent(6)).toHaveLength(1);
    expect(taken.map((q) => q.messageId)).toEqual([asked.id]);
    expect(tries).toEqual([asked.id, asked.id]);
  });

  it("after a restart, the alarm hands on a message whose hand-off had failed, from storage", async () => {
    const name = crypto.randomUUID();
    const stub = await connected(name);
    handOff = "refuse";
    const asked = mention("still there after a deploy?");
    await gateway.dispatch("MESSAGE_CREATE", asked);
    await eventually(async () => (await stored(stub)).outbox[0]?.attempts === 1);
    await restartDurableObject(stub);
    handOff = "take";
    await pause(OUTBOX_LIMITS.firstRetryMs + 100);
    const after = objectNamed(name);
    await runDurableObjectAlarm(after);
    await eventually(() => taken.length === 1, 5_000);
    expect(taken[0]?.messageId).toBe(asked.id);
    // It keeps the time Discord delivered it, not the time it was finally handed on.
    expect(taken[0]?.receivedAt).toBeLessThan(Date.now() - OUTBOX_LIMITS.firstRetryMs);
    await eventually(async () => (await stored(after)).outbox.length === 0);
  });

  it("stores nothing for chatter that cannot ask the bot anything", async () => {
    const stub = await connected();
    handOff = "hang";
    const chatter = { ...messageCreate({ content: "lunch anyone?" }), channel_type: 0 };
    const seq = await gateway.dispatch("MESSAGE_CREATE", chatter);
    await eventually(async () => (await stored(stub)).seq === seq);
    expect((await stored(stub)).outbox).toEqual([]);
    expect(tries).toEqual([]);
  });
});

describe("which messages the outbox keeps", () => {
  it("keeps every message that may ask the bot something, and skips the rest without a lookup", () => {
    const plain = { ...messageCreate({ content: "hello" }), channel_type: 0 };
    const asks = {
      mention: mention("hi"),
      dm: { ...plain, guild_id: undefined },
      reply: { ...plain, message_reference: { message_id: "1", channel_id: plain.channel_id } },
      thread: { ...plain, channel_type: 11 },
      "role mention": { ...plain, mention_roles: ["42"] },
      "unknown channel type": { ...plain, channel_type: undefined },
    };
    for (const [why, m] of Object.entries(asks))
      expect([why, mayAskBot(m, APP_ID)]).toEqual([why, true]);
    const quiet = {
      chatter: plain,
      "the bot itself": { ...mention("x"), author: { ...plain.author, id: APP_ID } },
      "another bot": { ...mention("x"), author: { ...plain.author, bot: true } },
      "a system message": { ...mention("x"), type: 7 },
    };
    for (const [why, m] of Object.entries(quiet))
      expect([why, mayAskBot(m, APP_ID)]).toEqual([why, false]);
  });
});

describe("GatewayOutbox bounds", () => {
  const entry = (id: string, attempts: number, nextAt: number): OutboxEntry => ({
    message: mention(`question ${id}`),
    receivedAt: 0,
    attempts,
    nextAt,
  });

  it("drops the oldest entries past its size, and an entry that failed too often, saying so", async () => {
    const stub = objectNamed(crypto.randomUUID());
    const logged: string[] = [];
    vi.spyOn(console, "error").mockImplementation((line: unknown) => {
      logged.push(String(line));
    });
    const left = await runInDurableObject(stub, async (_o: DiscordGatewayObject, state) => {
      const now = 1_000_000;
      const wakes: number[] = [];
      const outbox = new GatewayOutbox(
        state.storage,
        async (at) => void wakes.push(at),
        () => now,
      );
      for (let i = 0; i < OUTBOX_LIMITS.maxEntries + 3; i++) {
        const e = entry("", 1, now + 60_000);
        await state.storage.put(`outbox:${e.message.id.padStart(20, "0")}`, e);
      }
      const last = entry("", OUTBOX_LIMITS.maxAttempts - 1, now);
      await state.storage.put(`outbox:${last.message.id.padStart(20, "0")}`, last);
      await outbox.retryDue(async () => {
        throw new Error("still overloaded");
      });
      const rest = await state.storage.list({ prefix: "outbox:" });
      return {
        size: rest.size,
        wakes,
        hasLast: rest.has(`outbox:${last.message.id.padStart(20, "0")}`),
      };
    });
    expect(left.size).toBe(OUTBOX_LIMITS.maxEntries - 1);
    expect(left.hasLast).toBe(false);
    expect(left.wakes).toEqual([1_060_000]);
    expect(logged.filter((l) => l.includes("outbox full"))).toHaveLength(4);
    expect(
      logged.filter((l) => l.includes(`after ${OUTBOX_LIMITS.maxAttempts} failed`)),
    ).toHaveLength(1);
  });
});
