import { describe, expect, it } from "vitest";
import {
  DAY_MS,
  type IdentifyLedger,
  identifiesLeft,
  recordIdentify,
} from "../adapters/discord/gateway-identify-budget.ts";
import {
  backoffDelay,
  type GatewayAction,
  type GatewayPayload,
  GatewayProtocol,
  type GatewaySession,
  gatewayIntents,
} from "../adapters/discord/gateway-protocol.ts";

const TOKEN = "bot-token";
const INTENTS = (1 << 9) | (1 << 12) | (1 << 15);
const HELLO: GatewayPayload = { op: 10, d: { heartbeat_interval: 41_250 }, s: null, t: null };
const STORED: GatewaySession = {
  sessionId: "s-old",
  resumeUrl: "wss://resume.discord.test",
  seq: 42,
};

function machine(
  opts: { session?: GatewaySession; ledger?: IdentifyLedger; random?: () => number } = {},
) {
  const clock = { now: 1_700_000_000_000 };
  const protocol = new GatewayProtocol({
    token: TOKEN,
    intents: INTENTS,
    session: opts.session,
    ledger: opts.ledger,
    now: () => clock.now,
    random: opts.random ?? (() => 0.5),
  });
  const feed = (payload: GatewayPayload) => protocol.handle({ type: "payload", payload });
  return { protocol, clock, feed };
}

function ready(seq = 1): GatewayPayload {
  return {
    op: 0,
    s: seq,
    t: "READY",
    d: {
      v: 10,
      session_id: "s-new",
      resume_gateway_url: "wss://resume.discord.test",
      user: { id: "app" },
    },
  };
}

const sent = (actions: GatewayAction[]) =>
  actions.flatMap((a) => (a.type === "send" ? [a.payload] : []));
const ofType = <T extends GatewayAction["type"]>(actions: GatewayAction[], type: T) =>
  actions.filter((a): a is Extract<GatewayAction, { type: T }> => a.type === type);

/** A machine that has identified and received READY (seq 1). */
function readyMachine(opts: { random?: () => number; ledger?: IdentifyLedger } = {}) {
  const m = machine(opts);
  m.protocol.handle({ type: "open" });
  m.feed(HELLO);
  m.feed(ready());
  return m;
}

describe("Discord Gateway protocol", () => {
  it("asks for GUILD_MESSAGES, DIRECT_MESSAGES and MESSAGE_CONTENT unless message content is turned off", () => {
    expect(gatewayIntents()).toBe(INTENTS);
    expect(gatewayIntents({ messageContent: false })).toBe((1 << 9) | (1 << 12));
  });

  it("on HELLO schedules the first beat at interval × jitter and IDENTIFYs with token, intents and properties", () => {
    const { protocol, feed } = machine({ random: () => 0.25 });
    protocol.handle({ type: "open" });
    const actions = feed(HELLO);
    expect(ofType(actions, "schedule-heartbeat")).toEqual([
      { type: "schedule-heartbeat", delayMs: 10_313 },
    ]);
    expect(sent(actions)).toEqual([
      {
        op: 2,
        d: {
          token: TOKEN,
          intents: INTENTS,
          properties: { os: "cloudflare", browser: "quarry", device: "quarry" },
        },
      },
    ]);
    expect(ofType(actions, "save-ledger")[0]?.ledger.sentAt).toHaveLength(1);
    expect(protocol.phase).toBe("identifying");
  });

  it("RESUMEs with the stored session id and last seq instead of identifying", () => {
    const { protocol, feed } = machine({ session: STORED });
    protocol.handle({ type: "open" });
    const actions = feed(HELLO);
    expect(sent(actions)).toEqual([{ op: 6, d: { token: TOKEN, session_id: "s-old", seq: 42 } }]);
    expect(ofType(actions, "save-ledger")).toEqual([]);
    expect(protocol.phase).toBe("resuming");
  });

  it("stores session_id, resume_gateway_url and seq from READY and passes every dispatch on", () => {
    const { protocol, feed } = machine();
    protocol.handle({ type: "open" });
    feed(HELLO);
    const onReady = feed(ready(1));
    expect(ofType(onReady, "save-session")).toEqual([
      {
        type: "save-session",
        session: { sessionId: "s-new", resumeUrl: "wss://resume.discord.test", seq: 1 },
      },
    ]);
    expect(protocol.phase).toBe("ready");
    const onMessage = feed({ op: 0, s: 2, t: "MESSAGE_CREATE", d: { id: "m1" } });
    expect(onMessage).toEqual([
      {
        type: "save-session",
        session: { sessionId: "s-new", resumeUrl: "wss://resume.discord.test", seq: 2 },
      },
      { type: "dispatch", event: "MESSAGE_CREATE", data: { id: "m1" } },
    ]);
  });

  it("heartbeats with the last seq every interval while ACKs arrive", () => {
    const { protocol, feed } = readyMachine();
    feed({ op: 0, s: 7, t: "TYPING_START", d: {} });
    const beat = protocol.handle({ type: "heartbeat-due" });
    expect(sent(beat)).toEqual([{ op: 1, d: 7 }]);
    expect(ofType(beat, "schedule-heartbeat")).toEqual([
      { type: "schedule-heartbeat", delayMs: 41_250 },
    ]);
    feed({ op: 11, d: null, s: null, t: null });
    expect(sent(protocol.handle({ type: "heartbeat-due" }))).toEqual([{ op: 1, d: 7 }]);
  });

  it("treats a missing ACK before the next beat as a zombie: closes resumably and resumes", () => {
    const { protocol } = readyMachine({ random: () => 1 });
    protocol.handle({ type: "heartbeat-due" });
    const actions = protocol.handle({ type: "heartbeat-due" });
    const close = ofType(actions, "close")[0];
    expect(close?.code).not.toBe(1000);
    expect(close?.code).not.toBe(1001);
    expect(ofType(actions, "reconnect")).toEqual([
      { type: "reconnect", resume: true, delayMs: 1000 },
    ]);
    expect(sent(actions)).toEqual([]);
  });

  it("answers a heartbeat request from Discord at once", () => {
    const { feed } = readyMachine();
    expect(sent(feed({ op: 1, d: null, s: null, t: null }))).toEqual([{ op: 1, d: 1 }]);
  });

  it("on op 7 RECONNECT closes resumably and resumes without waiting", () => {
    const { protocol, feed } = readyMachine();
    const actions = feed({ op: 7, d: null, s: null, t: null });
    expect(actions).toEqual([
      { type: "close", code: 4000, reason: "Discord asked to reconnect" },
      { type: "reconnect", resume: true, delayMs: 0 },
    ]);
    expect(protocol.handle({ type: "closed", code: 4000 })).toEqual([]);
  });

  it("on INVALID_SESSION d:false forgets the session and re-identifies after 1–5 s", () => {
    const { protocol, clock, feed } = readyMachine({ random: () => 0.5 });
    clock.now += 60_000;
    const actions = feed({ op: 9, d: false, s: null, t: null });
    expect(ofType(actions, "save-session")).toEqual([{ type: "save-session", session: null }]);
    expect(ofType(actions, "reconnect")).toEqual([
      { type: "reconnect", resume: false, delayMs: 3000 },
    ]);
    expect(protocol.session).toBeNull();
    protocol.handle({ type: "open" });
    expect(sent(feed(HELLO))[0]?.op).toBe(2);
  });

  it("on INVALID_SESSION d:true keeps the session and resumes", () => {
    const { feed } = readyMachine({ random: () => 0 });
    const actions = feed({ op: 9, d: true, s: null, t: null });
    expect(ofType(actions, "reconnect")).toEqual([
      { type: "reconnect", resume: true, delayMs: 1000 },
    ]);
    expect(ofType(actions, "save-session")).toEqual([]);
  });

  it("never sends two IDENTIFYs within 5 s, even when Discord invalidates the session at once", () => {
    const { feed } = readyMachine({ random: () => 0 });
    const actions = feed({ op: 9, d: false, s: null, t: null });
    expect(ofType(actions, "reconnect")).toEqual([
      { type: "reconnect", resume: false, delayMs: 5000 },
    ]);
  });

  it.each([4004, 4010, 4011, 4012, 4013, 4014])(
    "stops for good on close %i and says why",
    (code) => {
      const { protocol } = readyMachine();
      const actions = protocol.handle({ type: "closed", code });
      expect(actions).toHaveLength(1);
      expect(actions[0]).toMatchObject({
        type: "stop",
        code,
        reason: expect.stringContaining(String(code)),
      });
      expect(protocol.phase).toBe("stopped");
      protocol.handle({ type: "open" });
      expect(protocol.handle({ type: "payload", payload: HELLO })).toEqual([]);
    },
  );

  it("names the portal toggle when Discord refuses the privileged intent (4014)", () => {
    const { protocol } = readyMachine();
    const [stop] = protocol.handle({ type: "closed", code: 4014 });
    expect(stop).toMatchObject({ reason: expect.stringContaining("MESSAGE CONTENT INTENT") });
  });

  it.each([4007, 4009])("starts a new session after close %i", (code) => {
    const { protocol } = readyMachine({ random: () => 0 });
    const actions = protocol.handle({ type: "closed", code });
    expect(ofType(actions, "save-session")).toEqual([{ type: "save-session", session: null }]);
    expect(ofType(actions, "reconnect")[0]).toMatchObject({ resume: false });
  });

  it("resumes after other closes with backoff doubling from 1 s to 60 s", () => {
    const { protocol, clock } = readyMachine({ random: () => 1 });
    const delays: number[] = [];
    for (let i = 0; i < 9; i++) {
      protocol.handle({ type: "open" });
      const [reconnect] = protocol.handle({ type: "closed", code: i % 2 ? 1006 : 4000 });
      expect(reconnect).toMatchObject({ type: "reconnect", resume: true });
      delays.push(reconnect?.type === "reconnect" ? reconnect.delayMs : -1);
      clock.now += 1000;
    }
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000, 60_000]);
  });

  it("jitters each backoff within the upper half of its step", () => {
    for (let failures = 1; failures <= 10; failures++) {
      const base = Math.min(60_000, 1000 * 2 ** (failures - 1));
      const delay = backoffDelay(failures, Math.random);
      expect(delay).toBeGreaterThanOrEqual(base / 2);
      expect(delay).toBeLessThanOrEqual(base);
    }
  });

  it("resets the backoff once a RESUME succeeds", () => {
    const { protocol, feed } = readyMachine({ random: () => 1 });
    protocol.handle({ type: "open" });
    protocol.handle({ type: "closed", code: 1006 });
    protocol.handle({ type: "open" });
    protocol.handle({ type: "closed", code: 1006 });
    protocol.handle({ type: "open" });
    feed(HELLO);
    feed({ op: 0, s: 2, t: "RESUMED", d: {} });
    protocol.handle({ type: "open" });
    expect(protocol.handle({ type: "closed", code: 1006 })).toEqual([
      { type: "reconnect", resume: true, delayMs: 1000 },
    ]);
  });

  it("closes a connection that stays silent for two heartbeat intervals", () => {
    const { protocol, clock } = readyMachine();
    clock.now += 41_250;
    expect(protocol.handle({ type: "watchdog" })).toEqual([]);
    clock.now += 2 * 41_250;
    expect(ofType(protocol.handle({ type: "watchdog" }), "close")).toHaveLength(1);
  });

  it("closes a connection that never says HELLO", () => {
    const { protocol, clock } = machine();
    protocol.handle({ type: "open" });
    clock.now += 31_000;
    expect(ofType(protocol.handle({ type: "watchdog" }), "reconnect")).toHaveLength(1);
  });

  it("refuses to IDENTIFY when Discord reports fewer than 10 session starts left, until its reset", () => {
    const { protocol, clock, feed } = machine();
    protocol.noteSessionStartLimit({
      total: 1000,
      remaining: 9,
      reset_after: 3_600_000,
      max_concurrency: 1,
    });
    protocol.handle({ type: "open" });
    const actions = feed(HELLO);
    expect(sent(actions)).toEqual([]);
    const stop = ofType(actions, "stop")[0];
    expect(stop?.retryAt).toBe(clock.now + 3_600_000);
    expect(stop?.reason).toMatch(/identify budget/);
    expect(protocol.phase).toBe("stopped");
  });

  it("counts its own IDENTIFYs over 24 h and refuses when fewer than 10 remain", () => {
    const now = 1_700_000_000_000;
    let ledger: IdentifyLedger = { sentAt: [] };
    for (let i = 0; i < 991; i++) ledger = recordIdentify(ledger, now - DAY_MS + 60_000 + i);
    expect(identifiesLeft(ledger, now)).toBe(9);
    const { protocol, clock, feed } = machine({ ledger });
    clock.now = now;
    expect(protocol.identifyRefusal()?.retryAt).toBe(now + 60_000);
    protocol.handle({ type: "open" });
    expect(sent(feed(HELLO))).toEqual([]);
    clock.now += 61_000;
    protocol.clearStop();
    expect(protocol.identifyRefusal()).toBeNull();
    protocol.handle({ type: "open" });
    expect(sent(feed(HELLO))[0]?.op).toBe(2);
  });

  it("subtracts IDENTIFYs sent since Discord's report from its remaining count", () => {
    const now = 1_700_000_000_000;
    const ledger = recordIdentify(
      {
        sentAt: [],
        limit: { total: 1000, remaining: 12, resetAt: now + 1000, checkedAt: now - 10 },
      },
      now - 5,
    );
    expect(identifiesLeft(ledger, now)).toBe(11);
    expect(identifiesLeft(ledger, now + 2000)).toBe(999);
  });
});
