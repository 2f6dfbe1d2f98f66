import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ensureGateway, GATEWAY_OBJECT_NAME } from "../adapters/discord/gateway-cron.ts";
import { DiscordGatewayObject, type GatewayStatus } from "../adapters/discord/gateway-object.ts";
import type { Question } from "../src/chat/types.ts";
import type { Env } from "../src/config.ts";
import { FakeDiscordGateway, messageCreate } from "./fakes/discord-gateway.ts";
import { eventually, installFakeNetwork } from "./fakes/network.ts";
import { restartDurableObject } from "./support/restart.ts";

const APP_ID = "1300000000000000000";
const TOKEN = "MTMwMDAw.test-bot-token";
const DISCORD_SECRETS = {
  DISCORD_APPLICATION_ID: APP_ID,
  DISCORD_PUBLIC_KEY: "ab".repeat(32),
  DISCORD_BOT_TOKEN: TOKEN,
};
const INTENTS = (1 << 9) | (1 << 12) | (1 << 15);
const testEnv = env as unknown as Env;
const ns = testEnv.DISCORD_GATEWAY as unknown as DurableObjectNamespace<DiscordGatewayObject>;

let gateway: FakeDiscordGateway;
let submitted: Question[];
let stubs: DurableObjectStub<DiscordGatewayObject>[];

function setupGateway(opts: Partial<ConstructorParameters<typeof FakeDiscordGateway>[0]> = {}) {
  gateway = new FakeDiscordGateway({ token: TOKEN, applicationId: APP_ID, ...opts });
  installFakeNetwork({
    "discord.test": gateway,
    "gateway.discord.test": gateway,
    "resume.discord.test": gateway,
  });
}

function freshObject(name: string = crypto.randomUUID()): DurableObjectStub<DiscordGatewayObject> {
  const stub = ns.get(ns.idFromName(name));
  stubs.push(stub);
  return stub;
}

/** Polls the object's status until `ok` holds; returns that status. */
async function statusWhen(
  stub: DurableObjectStub<DiscordGatewayObject>,
  ok: (status: GatewayStatus) => boolean,
): Promise<GatewayStatus> {
  let last: GatewayStatus | undefined;
  await eventually(async () => {
    last = await stub.status();
    return ok(last);
  });
  return last as GatewayStatus;
}

async function connected(stub: DurableObjectStub<DiscordGatewayObject>): Promise<GatewayStatus> {
  await stub.ensureConnected();
  return statusWhen(stub, (s) => s.state === "ready");
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

const bindings = testEnv as unknown as Record<string, unknown>;
const original = Object.fromEntries(Object.keys(DISCORD_SECRETS).map((k) => [k, bindings[k]]));

beforeEach(() => {
  Object.assign(testEnv, DISCORD_SECRETS);
  stubs = [];
  submitted = [];
  setupGateway();
  // Stands in for the conversation object: the Gateway's job ends at handing the question on.
  const seam = DiscordGatewayObject.prototype as unknown as {
    submit(q: Question): Promise<unknown>;
  };
  vi.spyOn(seam, "submit").mockImplementation(async (question) => {
    submitted.push(question);
    return { status: "queued" };
  });
});

afterEach(async () => {
  // A stub from before a restart stays broken; its object is gone by then.
  for (const stub of stubs) await stub.disconnect().catch(() => undefined);
  vi.restoreAllMocks();
  for (const [key, value] of Object.entries(original)) {
    if (value === undefined) delete bindings[key];
    else bindings[key] = value;
  }
});

describe("Discord Gateway object", () => {
  it("asks GET /gateway/bot for the URL, then IDENTIFYs with the bot token and the message intents", async () => {
    const stub = freshObject();
    const status = await connected(stub);
    expect(gateway.restRequests).toEqual([
      { method: "GET", path: "/api/v10/gateway/bot", authorization: `Bot ${TOKEN}` },
    ]);
    expect(gateway.connections.map((c) => c.url)).toEqual([
      "https://gateway.discord.test/?v=10&encoding=json",
    ]);
    expect(gateway.sent(2)).toEqual([
      {
        op: 2,
        d: {
          token: TOKEN,
          intents: INTENTS,
          properties: { os: "cloudflare", browser: "quarry", device: "quarry" },
        },
      },
    ]);
    expect(status).toMatchObject({ state: "ready", sessionId: "session-1", seq: 1 });
    expect(status.identifiesLeft).toBe(997);
  });

  it("heartbeats at the interval from HELLO with the last seq, and stays on one connection while ACKed", async () => {
    setupGateway({ heartbeatIntervalMs: 100 });
    const stub = freshObject();
    await connected(stub);
    await gateway.dispatch("TYPING_START", { channel_id: "1", user_id: "2", timestamp: 1 });
    await eventually(() => gateway.sent(1).length >= 4);
    expect(gateway.sent(1).at(-1)).toEqual({ op: 1, d: 2 });
    expect(gateway.connections).toHaveLength(1);
  });

  it("drops a zombie connection whose heartbeats go unACKed and RESUMEs on a new one", async () => {
    setupGateway({ heartbeatIntervalMs: 100 });
    gateway.ackHeartbeats = false;
    const stub = freshObject();
    await connected(stub);
    await eventually(() => gateway.sent(6).length === 1);
    expect(gateway.connections[0]?.closed).toMatchObject({ by: "client", code: 4000 });
    expect(gateway.sent(6)[0]).toEqual({
      op: 6,
      d: { token: TOKEN, session_id: "session-1", seq: 1 },
    });
  });

  it("hands a MESSAGE_CREATE that mentions the bot to the conversation, and skips its own messages", async () => {
    const stub = freshObject();
    await connected(stub);
    await gateway.dispatch(
      "MESSAGE_CREATE",
      messageCreate({ content: "an answer", authorId: APP_ID }),
    );
    const asked = messageCreate({ content: `<@${APP_ID}> what is a quarry?`, mentions: [APP_ID] });
    await gateway.dispatch("MESSAGE_CREATE", asked);
    await eventually(() => submitted.length === 1);
    await pause(100);
    expect(submitted).toHaveLength(1);
    expect(submitted[0]).toMatchObject({
      id: `discord:message:${asked.id}`,
      messageId: asked.id,
      trigger: "mention",
      user: { id: asked.author.id },
      thread: { platform: "discord", workspaceId: asked.guild_id, channelId: asked.channel_id },
    });
    expect(submitted[0]?.text).toContain("what is a quarry?");
  });

  it("after Discord closes with 4000 it RESUMEs on the resume URL with the stored session and seq", async () => {
    const stub = freshObject();
    await connected(stub);
    await gateway.dispatch("TYPING_START", { channel_id: "1", user_id: "2", timestamp: 1 });
    await gateway.close(4000, "Unknown error");
    const status = await statusWhen(
      stub,
      (s) => gateway.connections.length === 2 && s.state === "ready",
    );
    expect(gateway.connections[1]?.url).toBe("https://resume.discord.test/?v=10&encoding=json");
    expect(gateway.sent(6)).toEqual([
      { op: 6, d: { token: TOKEN, session_id: "session-1", seq: 2 } },
    ]);
    expect(gateway.sent(2)).toHaveLength(1);
    expect(status).toMatchObject({ sessionId: "session-1", seq: 3 });
  });

  it("after a deploy or restart kills the object, the alarm reconnects and RESUMEs from storage", async () => {
    const name = crypto.randomUUID();
    await connected(freshObject(name));
    await gateway.dispatch("TYPING_START", { channel_id: "1", user_id: "2", timestamp: 1 });
    await statusWhen(freshObject(name), (s) => s.seq === 2);
    // A live outbound socket keeps the object from being evicted gracefully, as a deploy would not.
    await restartDurableObject(freshObject(name));
    const stub = freshObject(name);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    await statusWhen(stub, (s) => s.state === "ready");
    expect(gateway.sent(6)).toEqual([
      { op: 6, d: { token: TOKEN, session_id: "session-1", seq: 2 } },
    ]);
    expect(gateway.sent(2)).toHaveLength(1);
    const asked = messageCreate({ content: `<@${APP_ID}> still there?`, mentions: [APP_ID] });
    await gateway.dispatch("MESSAGE_CREATE", asked);
    await eventually(() => submitted.some((q) => q.messageId === asked.id));
  });

  it("after an eviction while Discord was unreachable, the alarm RESUMEs from storage", async () => {
    const stub = freshObject();
    await connected(stub);
    gateway.refuseUpgrades = 503;
    await gateway.close(4000);
    await eventually(() => gateway.refusedUpgrades > 0);
    expect((await stub.status()).state).toBe("backoff");
    await evictDurableObject(stub);
    gateway.refuseUpgrades = undefined;
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    await statusWhen(stub, (s) => s.state === "ready");
    expect(gateway.sent(6)).toEqual([
      { op: 6, d: { token: TOKEN, session_id: "session-1", seq: 1 } },
    ]);
    expect(gateway.sent(2)).toHaveLength(1);
  });

  it("keeps the keep-alive alarm about 30 s ahead while connected", async () => {
    const stub = freshObject();
    await connected(stub);
    const alarm = await runInDurableObject(stub, (_obj: DiscordGatewayObject, state) =>
      state.storage.getAlarm(),
    );
    expect(alarm).toBeGreaterThan(Date.now() + 20_000);
    expect(alarm).toBeLessThanOrEqual(Date.now() + 30_000);
  });

  it("on INVALID_SESSION d:false starts a new session with a fresh IDENTIFY", async () => {
    const stub = freshObject();
    await connected(stub);
    await gateway.send({ op: 9, d: false });
    const status = await statusWhen(
      stub,
      (s) => s.state === "ready" && s.sessionId === "session-2",
    );
    expect(gateway.sent(2)).toHaveLength(2);
    expect(gateway.sent(6)).toHaveLength(0);
    expect(gateway.connections[1]?.url).toBe("https://gateway.discord.test/?v=10&encoding=json");
    expect(status.seq).toBe(1);
  });

  it("when Discord refuses a RESUME it forgets the session and IDENTIFYs", async () => {
    const stub = freshObject();
    await connected(stub);
    gateway.refuseResume = true;
    await gateway.close(4000);
    await statusWhen(stub, (s) => s.sessionId === "session-2");
    expect(gateway.received.map((f) => f.op).filter((op) => op !== 1)).toEqual([2, 6, 2]);
  });

  it("on close 4004 stops, says why, and does not reconnect until the token changes", async () => {
    const stub = freshObject();
    await connected(stub);
    await gateway.close(4004, "Authentication failed.");
    const stopped = await statusWhen(stub, (s) => s.state === "stopped");
    expect(stopped.detail).toMatch(/DISCORD_BOT_TOKEN.*4004/);
    expect(await stub.ensureConnected()).toMatchObject({ state: "stopped" });
    expect(await runDurableObjectAlarm(stub)).toBe(false);
    await pause(1500);
    expect(gateway.connections).toHaveLength(1);

    testEnv.DISCORD_BOT_TOKEN = "a-new-token";
    setupGateway({ token: "a-new-token" });
    await connected(stub);
    expect(gateway.sent(2)[0]?.d).toMatchObject({ token: "a-new-token" });
  });

  it("tries a fatal stop again later, so a fix made in the Developer Portal is picked up", async () => {
    const stub = freshObject();
    await connected(stub);
    await gateway.close(4014, "Disallowed intent(s).");
    const stopped = await statusWhen(stub, (s) => s.state === "stopped");
    expect(stopped.detail).toMatch(/MESSAGE CONTENT/);
    // Thirty minutes later (the stored retry time moved into the past):
    const scheduled = await runInDurableObject(stub, async (instance) => {
      const store = (instance as unknown as { store: { stop?: { retryAt?: number } } }).store;
      const at = store.stop?.retryAt;
      if (store.stop) store.stop.retryAt = Date.now() - 1;
      return at;
    });
    expect(scheduled).toBeGreaterThan(Date.now() + 29 * 60_000);
    await connected(stub);
    expect(gateway.connections).toHaveLength(2);
  });

  it("stops before opening a socket when GET /gateway/bot rejects the token", async () => {
    gateway.restFailure = { status: 401, body: { message: "401: Unauthorized", code: 0 } };
    const stub = freshObject();
    await stub.ensureConnected();
    const status = await statusWhen(stub, (s) => s.state === "stopped");
    expect(status.detail).toMatch(/DISCORD_BOT_TOKEN/);
    expect(gateway.connections).toHaveLength(0);
  });

  it("waits out a 429 from GET /gateway/bot for at least its retry_after", async () => {
    gateway.restFailure = {
      status: 429,
      body: { message: "You are being rate limited.", retry_after: 2.5, global: false },
      headers: { "Retry-After": "3" },
    };
    const stub = freshObject();
    const status = await stub.ensureConnected();
    expect(status.state).toBe("backoff");
    expect(status.detail).toMatch(/reconnecting in (2|3) s/);
    gateway.restFailure = undefined;
    await pause(1000);
    expect(gateway.restRequests).toHaveLength(1);
    await statusWhen(stub, (s) => s.state === "ready");
  });

  it("does not hand on a MESSAGE_CREATE that Discord replays after a RESUME", async () => {
    const stub = freshObject();
    await connected(stub);
    const asked = messageCreate({ content: `<@${APP_ID}> once only`, mentions: [APP_ID] });
    const seq = await gateway.dispatch("MESSAGE_CREATE", asked);
    await eventually(() => submitted.length === 1);
    gateway.replayFrom = seq - 1;
    await gateway.close(4000);
    await statusWhen(stub, (s) => s.seq === seq + 1);
    await pause(100);
    expect(gateway.sent(6)).toHaveLength(1);
    expect(submitted.map((q) => q.messageId)).toEqual([asked.id]);
  });

  it("refuses to IDENTIFY when fewer than 10 session starts remain, without opening a socket", async () => {
    setupGateway({ sessionStartLimit: { remaining: 9, reset_after: 3_600_000 } });
    const stub = freshObject();
    const status = await stub.ensureConnected();
    expect(status).toMatchObject({
      state: "waiting",
      detail: expect.stringMatching(/identify budget/),
    });
    expect(gateway.connections).toHaveLength(0);
  });

  it("is off, and connects nowhere, while a Discord secret is missing", async () => {
    delete bindings.DISCORD_BOT_TOKEN;
    const stub = freshObject();
    expect(await stub.ensureConnected()).toEqual({
      state: "off",
      detail: expect.stringContaining("DISCORD_BOT_TOKEN"),
    });
    expect(gateway.restRequests).toHaveLength(0);
    await ensureGateway(testEnv);
    expect(gateway.connections).toHaveLength(0);
  });

  it("the cron connects the object named for the Gateway", async () => {
    const stub = freshObject(GATEWAY_OBJECT_NAME);
    await ensureGateway(testEnv);
    await statusWhen(stub, (s) => s.state === "ready");
    expect(gateway.sent(2)).toHaveLength(1);
  });
});
