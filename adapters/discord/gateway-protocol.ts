import type {
  APIGatewaySessionStartLimit,
  GatewayCloseCodes,
  GatewayHelloData,
  GatewayIdentifyData,
  GatewayIntentBits,
  GatewayOpcodes,
  GatewayReadyDispatchData,
  GatewayResumeData,
} from "discord-api-types/v10";
import {
  emptyLedger,
  type IdentifyLedger,
  type IdentifyRefusal,
  identifyRefusal,
  identifySpacingDelay,
  recordIdentify,
  withSessionStartLimit,
} from "./gateway-identify-budget.ts";

// Plain numbers checked against discord-api-types' enums, which are `undefined` at runtime
// inside the Vitest pool (see constants.ts).
export const Op = {
  Dispatch: 0,
  Heartbeat: 1,
  Identify: 2,
  Resume: 6,
  Reconnect: 7,
  InvalidSession: 9,
  Hello: 10,
  HeartbeatAck: 11,
} as const satisfies Partial<typeof GatewayOpcodes>;

export const Intent = {
  GuildMessages: 1 << 9,
  DirectMessages: 1 << 12,
  MessageContent: 1 << 15,
} as const satisfies Partial<typeof GatewayIntentBits>;

/**
 * GUILD_MESSAGES | DIRECT_MESSAGES, plus MESSAGE_CONTENT unless turned off. MESSAGE_CONTENT
 * is privileged (toggle it under Bot → Privileged Gateway Intents): without it Discord
 * blanks `content` of guild messages that do not mention the bot, so thread follow-ups and
 * replies sent with the ping switched off arrive empty. Mentions and DMs keep their content.
 * Asking for it while the toggle is off closes with 4014.
 */
export function gatewayIntents(opts: { messageContent?: boolean } = {}): number {
  const base = Intent.GuildMessages | Intent.DirectMessages;
  return opts.messageContent === false ? base : base | Intent.MessageContent;
}

/** The URL to `fetch` for a Gateway URL: `fetch` upgrades only http(s) URLs, Discord hands out wss://. */
export function gatewaySocketUrl(gatewayUrl: string): string {
  const url = new URL(gatewayUrl);
  url.protocol = url.protocol === "ws:" ? "http:" : "https:";
  url.searchParams.set("v", "10");
  url.searchParams.set("encoding", "json");
  return url.toString();
}

/** One Gateway frame (`encoding=json`). */
export interface GatewayPayload {
  op: number;
  d: unknown;
  s?: number | null;
  t?: string | null;
}

/** What a RESUME needs; persisted so a new instance of the object can resume. */
export interface GatewaySession {
  sessionId: string;
  resumeUrl: string;
  seq: number | null;
}

export type GatewayEvent =
  | { type: "open" }
  | { type: "payload"; payload: GatewayPayload }
  | { type: "heartbeat-due" }
  /** The alarm's periodic check that the connection still shows signs of life. */
  | { type: "watchdog" }
  | { type: "closed"; code: number; reason?: string }
  | { type: "connect-failed"; error: string };

export type GatewayAction =
  | { type: "send"; payload: GatewayPayload }
  | { type: "schedule-heartbeat"; delayMs: number }
  /** Close our socket (never with 1000/1001 when we mean to resume: those end the session). */
  | { type: "close"; code: number; reason: string }
  | { type: "reconnect"; resume: boolean; delayMs: number }
  | { type: "save-session"; session: GatewaySession | null }
  | { type: "save-ledger"; ledger: IdentifyLedger }
  | { type: "dispatch"; event: string; data: unknown }
  /** Stay disconnected. Without `retryAt` only a new token or intents may try again. */
  | { type: "stop"; reason: string; code?: number; retryAt?: number };

export type Phase = "disconnected" | "hello" | "identifying" | "resuming" | "ready" | "stopped";

const Close = {
  AuthenticationFailed: 4004,
  InvalidSeq: 4007,
  SessionTimedOut: 4009,
  InvalidShard: 4010,
  ShardingRequired: 4011,
  InvalidAPIVersion: 4012,
  InvalidIntents: 4013,
  DisallowedIntents: 4014,
} as const satisfies Partial<typeof GatewayCloseCodes>;

// Discord marks these "do not reconnect": retrying cannot help and only burns identifies.
const FATAL_CLOSES: Record<number, string> = {
  [Close.AuthenticationFailed]:
    "Discord rejected DISCORD_BOT_TOKEN (close 4004, authentication failed): copy the bot token from the Developer Portal again",
  [Close.InvalidShard]: "Discord closed the Gateway with 4010 (invalid shard)",
  [Close.ShardingRequired]:
    "Discord closed the Gateway with 4011 (sharding required): the bot is in too many servers for one connection",
  [Close.InvalidAPIVersion]: "Discord closed the Gateway with 4012 (invalid API version)",
  [Close.InvalidIntents]: "Discord closed the Gateway with 4013 (invalid intents)",
  [Close.DisallowedIntents]:
    "Discord closed the Gateway with 4014 (disallowed intents): turn on MESSAGE CONTENT INTENT under Bot → Privileged Gateway Intents in the Developer Portal",
};

/** What a close code from Discord means for the next connection. */
export function closeVerdict(
  code: number,
): { kind: "fatal"; reason: string } | { kind: "reidentify" | "resume" } {
  const fatal = FATAL_CLOSES[code];
  if (fatal) return { kind: "fatal", reason: fatal };
  // The session is gone (bad seq, or it timed out): start a new one.
  if (code === Close.InvalidSeq || code === Close.SessionTimedOut) return { kind: "reidentify" };
  return { kind: "resume" };
}

/** 1 s doubling to 60 s; equal jitter keeps at least half so retries never bunch at zero. */
export function backoffDelay(failures: number, random: () => number): number {
  const base = Math.min(60_000, 1000 * 2 ** Math.max(0, failures - 1));
  return Math.round(base / 2 + (random() * base) / 2);
}

const IDENTIFY_PROPERTIES = { os: "cloudflare", browser: "quarry", device: "quarry" };
// Code 4000 for our own closes: any code but 1000/1001 keeps the session resumable.
const RESUMABLE_CLOSE = 4000;
const HELLO_TIMEOUT_MS = 30_000;

export interface ProtocolOptions {
  token: string;
  intents: number;
  session?: GatewaySession | null;
  ledger?: IdentifyLedger;
  now?: () => number;
  random?: () => number;
}

/** The Gateway protocol as a pure state machine: events in, actions out, no I/O. */
export class GatewayProtocol {
  phase: Phase = "disconnected";
  session: GatewaySession | null;
  ledger: IdentifyLedger;
  /** Drops since the last READY/RESUMED; drives the backoff. */
  failures = 0;
  heartbeatIntervalMs?: number;
  stopReason?: string;
  private awaitingAck = false;
  private lastReceivedAt = 0;
  private openedAt = 0;
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(private readonly opts: ProtocolOptions) {
    this.session = opts.session ?? null;
    this.ledger = opts.ledger ?? emptyLedger();
    this.now = opts.now ?? Date.now;
    this.random = opts.random ?? Math.random;
  }

  /** Leaves `stopped` so a later `ensureConnected` may try again (after the budget refills). */
  clearStop(): void {
    if (this.phase === "stopped") this.phase = "disconnected";
    this.stopReason = undefined;
  }

  /** Null when a fresh IDENTIFY is allowed now. */
  identifyRefusal(): IdentifyRefusal | null {
    return identifyRefusal(this.ledger, this.now());
  }

  /** Takes in `session_start_limit` from `GET /gateway/bot`. */
  noteSessionStartLimit(limit: APIGatewaySessionStartLimit): GatewayAction[] {
    this.ledger = withSessionStartLimit(this.ledger, limit, this.now());
    return [{ type: "save-ledger", ledger: this.ledger }];
  }

  handle(event: GatewayEvent): GatewayAction[] {
    if (this.phase === "stopped") return [];
    switch (event.type) {
      case "open":
        this.phase = "hello";
        this.awaitingAck = false;
        this.heartbeatIntervalMs = undefined;
        this.openedAt = this.lastReceivedAt = this.now();
        return [];
      case "payload":
        this.lastReceivedAt = this.now();
        return this.onPayload(event.payload);
      case "heartbeat-due":
        return this.onHeartbeatDue();
      case "watchdog":
        return this.onWatchdog();
      case "closed":
        return this.onClosed(event.code);
      case "connect-failed":
        return this.dropped(this.session !== null);
    }
  }

  private onPayload(payload: GatewayPayload): GatewayAction[] {
    switch (payload.op) {
      case Op.Hello:
        return this.onHello(payload.d as GatewayHelloData);
      case Op.HeartbeatAck:
        this.awaitingAck = false;
        return [];
      case Op.Heartbeat:
        return [this.heartbeat()];
      case Op.Reconnect:
        return this.closeAndReconnect("Discord asked to reconnect", true, 0);
      case Op.InvalidSession:
        return this.onInvalidSession(payload.d === true);
      case Op.Dispatch:
        return this.onDispatch(payload);
      default:
        return [];
    }
  }

  private onHello(hello: GatewayHelloData): GatewayAction[] {
    this.heartbeatIntervalMs = hello.heartbeat_interval;
    const firstBeat: GatewayAction = {
      type: "schedule-heartbeat",
      delayMs: Math.round(hello.heartbeat_interval * this.random()),
    };
    const { token, intents } = this.opts;
    if (this.session) {
      this.phase = "resuming";
      const d: GatewayResumeData = {
        token,
        session_id: this.session.sessionId,
        seq: this.session.seq ?? 0,
      };
      return [firstBeat, { type: "send", payload: { op: Op.Resume, d } }];
    }
    const refusal = this.identifyRefusal();
    if (refusal) {
      return [
        { type: "close", code: 1000, reason: "identify budget" },
        ...this.stop(refusal.reason, { retryAt: refusal.retryAt }),
      ];
    }
    this.phase = "identifying";
    this.ledger = recordIdentify(this.ledger, this.now());
    const d: GatewayIdentifyData = { token, intents, properties: IDENTIFY_PROPERTIES };
    return [
      firstBeat,
      { type: "send", payload: { op: Op.Identify, d } },
      { type: "save-ledger", ledger: this.ledger },
    ];
  }

  private onDispatch(payload: GatewayPayload): GatewayAction[] {
    const seq = typeof payload.s === "number" ? payload.s : null;
    const actions: GatewayAction[] = [];
    if (payload.t === "READY") {
      const ready = payload.d as GatewayReadyDispatchData;
      this.session = { sessionId: ready.session_id, resumeUrl: ready.resume_gateway_url, seq };
      this.becameReady();
    } else if (payload.t === "RESUMED") {
      this.becameReady();
    }
    if (this.session && seq !== null) {
      this.session = { ...this.session, seq };
      actions.push({ type: "save-session", session: this.session });
    }
    if (payload.t) actions.push({ type: "dispatch", event: payload.t, data: payload.d });
    return actions;
  }

  private becameReady(): void {
    this.phase = "ready";
    this.failures = 0;
  }

  private onInvalidSession(resumable: boolean): GatewayAction[] {
    // Discord asks for a random 1–5 s wait before the next IDENTIFY.
    const delayMs = 1000 + Math.round(this.random() * 4000);
    if (resumable && this.session)
      return this.closeAndReconnect("session invalid, resumable", true, delayMs);
    this.session = null;
    const close: GatewayAction = { type: "close", code: 1000, reason: "session invalidated" };
    return [{ type: "save-session", session: null }, close, this.reconnect(false, delayMs)];
  }

  private onHeartbeatDue(): GatewayAction[] {
    if (this.phase === "disconnected" || this.heartbeatIntervalMs === undefined) return [];
    // No ACK since the last beat: a zombie connection. Discord's advice is to drop it and resume.
    if (this.awaitingAck) return this.zombie("no heartbeat ack");
    this.awaitingAck = true;
    return [this.heartbeat(), { type: "schedule-heartbeat", delayMs: this.heartbeatIntervalMs }];
  }

  private onWatchdog(): GatewayAction[] {
    if (this.phase === "disconnected") return [];
    const silentMs = this.now() - this.lastReceivedAt;
    if (this.heartbeatIntervalMs === undefined) {
      return this.now() - this.openedAt > HELLO_TIMEOUT_MS ? this.zombie("no HELLO") : [];
    }
    // Every beat is ACKed, so two intervals without a single frame means timers or the socket died.
    return silentMs > 2 * this.heartbeatIntervalMs + 5000 ? this.zombie("silent connection") : [];
  }

  private onClosed(code: number): GatewayAction[] {
    if (this.phase === "disconnected") return [];
    const verdict = closeVerdict(code);
    if (verdict.kind === "fatal") return this.stop(verdict.reason, { code });
    if (verdict.kind === "reidentify" && this.session) {
      this.session = null;
      return [{ type: "save-session", session: null }, ...this.dropped(false)];
    }
    return this.dropped(this.session !== null);
  }

  private zombie(why: string): GatewayAction[] {
    this.failures++;
    return this.closeAndReconnect(
      `zombie connection: ${why}`,
      true,
      backoffDelay(this.failures, this.random),
    );
  }

  private closeAndReconnect(reason: string, resume: boolean, delayMs: number): GatewayAction[] {
    const canResume = resume && this.session !== null;
    return [{ type: "close", code: RESUMABLE_CLOSE, reason }, this.reconnect(canResume, delayMs)];
  }

  private dropped(resume: boolean): GatewayAction[] {
    this.failures++;
    return [this.reconnect(resume, backoffDelay(this.failures, this.random))];
  }

  private reconnect(resume: boolean, delayMs: number): GatewayAction {
    this.phase = "disconnected";
    this.awaitingAck = false;
    const spacing = resume ? 0 : identifySpacingDelay(this.ledger, this.now());
    return { type: "reconnect", resume, delayMs: Math.max(delayMs, spacing) };
  }

  private stop(reason: string, extra: { code?: number; retryAt?: number }): GatewayAction[] {
    this.phase = "stopped";
    this.stopReason = reason;
    return [{ type: "stop", reason, ...extra }];
  }

  private heartbeat(): GatewayAction {
    return { type: "send", payload: { op: Op.Heartbeat, d: this.session?.seq ?? null } };
  }
}
