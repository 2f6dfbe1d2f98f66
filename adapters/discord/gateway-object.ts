import { DurableObject } from "cloudflare:workers";
import type { GatewayMessageCreateDispatchData } from "discord-api-types/v10";
import type { Question } from "../../src/chat/types.ts";
import { type DiscordConfig, discordConfig, type Env, isOff } from "../../src/config.ts";
import { submitQuestion } from "../../src/conversation/submit.ts";
import { ChatApiError } from "../../src/errors.ts";
import { DiscordApi } from "./api.ts";
import { MessageForwarder } from "./gateway-forwarder.ts";
import { identifiesLeft } from "./gateway-identify-budget.ts";
import { GatewayOutbox } from "./gateway-outbox.ts";
import {
  type GatewayAction,
  type GatewayPayload,
  GatewayProtocol,
  gatewayIntents,
  gatewaySocketUrl,
  type Phase,
} from "./gateway-protocol.ts";
import { fingerprintOf, GatewayStore } from "./gateway-store.ts";
import { botRoleLookup, mayAskBot, threadParentLookup } from "./parse-message.ts";

/**
 * A fatal close (bad token, disallowed intents) is tried again this much later: often
 * enough to notice a fix made in the Developer Portal, rare enough (48 a day) to stay far
 * inside the 1,000 identifies a day.
 */
const FATAL_RETRY_MS = 30 * 60_000;

export interface GatewayStatus {
  /** `off` (not configured), `stopped` (needs a fix), `waiting` (identify budget), `backoff`, `connecting`, `disconnected`, or the protocol phase. */
  state: "off" | "stopped" | "waiting" | "backoff" | "connecting" | Phase;
  detail?: string;
  sessionId?: string;
  seq?: number | null;
  identifiesLeft?: number;
}

interface DiscordClients {
  token: string;
  api: DiscordApi;
  threadParentOf: (threadId: string) => Promise<string | undefined>;
  botRoleIn: (guildId: string) => Promise<string | undefined>;
}

// Outbound WebSockets cannot hibernate and an idle object is evicted after 70–140 s; the
// alarm keeps it alive and brings the socket back after an eviction or deploy.
const KEEPALIVE_MS = 30_000;

/**
 * Holds the one Discord Gateway connection (Discord delivers @mentions and replies only
 * there). Never streams from OpenRouter: a workerd bug closes the socket when a streaming
 * fetch ends in the same object, so questions go to their conversation objects by RPC.
 */
export class DiscordGatewayObject extends DurableObject<Env> {
  private readonly store = new GatewayStore(this.ctx.storage);
  private readonly forwarder = new MessageForwarder();
  private readonly outbox = new GatewayOutbox(this.ctx.storage, (at) => this.store.wakeBy(at));
  private socket?: WebSocket;
  private protocol?: GatewayProtocol;
  private fingerprint?: string;
  private heartbeat?: number;
  /** When the next connection attempt is due; the alarm wakes the object for it. */
  private retryAt?: number;
  private connecting?: Promise<void>;
  /** Bumped by `disconnect` so a connection still being opened is dropped. */
  private epoch = 0;
  private discord?: DiscordClients;

  /** Called by the cron every minute and by the alarm: connects unless off, stopped or already up. */
  async ensureConnected(): Promise<GatewayStatus> {
    const config = this.config();
    if (isOff(config)) {
      await this.disconnect();
      return { state: "off", detail: config.off };
    }
    const stop = await this.store.stopped();
    if (stop) {
      // A new token or new intents clear a stop at once; otherwise it is tried again at
      // `retryAt` (e.g. someone turned on MESSAGE CONTENT in the Developer Portal meanwhile).
      const sameBot = stop.fingerprint === (await fingerprintOf(config.botToken, this.intents()));
      const stillStopped = sameBot && Date.now() < (stop.retryAt ?? Number.POSITIVE_INFINITY);
      if (stillStopped) return this.status();
      await this.store.clearStop();
      this.protocol?.clearStop();
    }
    await this.store.wakeBy(Date.now() + KEEPALIVE_MS);
    if (!this.socket && !this.connecting) {
      if (this.retryAt && this.retryAt > Date.now()) await this.store.wakeBy(this.retryAt);
      else await this.dial(config);
    }
    return this.status();
  }

  async status(): Promise<GatewayStatus> {
    const config = this.config();
    if (isOff(config)) return { state: "off", detail: config.off };
    const stop = await this.store.stopped();
    if (stop)
      return { state: stop.code !== undefined ? "stopped" : "waiting", detail: stop.reason };
    const { session, ledger } = this.protocol ?? (await this.store.peek());
    const now = Date.now();
    const base = {
      sessionId: session?.sessionId,
      seq: session?.seq,
      identifiesLeft: identifiesLeft(ledger, now),
    };
    if (this.connecting) return { state: "connecting", ...base };
    if (this.socket && this.protocol) return { state: this.protocol.phase, ...base };
    if (this.retryAt) {
      const detail = `reconnecting in ${Math.max(0, Math.ceil((this.retryAt - now) / 1000))} s`;
      return { state: "backoff", detail, ...base };
    }
    return { state: "disconnected", ...base };
  }

  /** Closes the connection, forgets the session and any stop; the next `ensureConnected` starts afresh. */
  async disconnect(): Promise<GatewayStatus> {
    this.epoch++;
    this.dropSocket(1000, "disconnect requested");
    this.retryAt = undefined;
    this.protocol = undefined;
    await this.store.forget();
    return this.status();
  }

  override async alarm(): Promise<void> {
    await this.ensureConnected();
    if (this.socket && this.protocol) this.run(this.protocol.handle({ type: "watchdog" }));
    const config = this.config();
    if (!isOff(config)) await this.outbox.retryDue(this.deliverer(config));
  }

  /** Discord settings; a seam for tests. */
  protected config(): DiscordConfig | { off: string } {
    return discordConfig(this.env);
  }

  /** Intents to IDENTIFY with; drop MESSAGE_CONTENT here with `gatewayIntents({ messageContent: false })`. */
  protected intents(): number {
    return gatewayIntents();
  }

  /** Hands a question to its conversation object; a seam for tests. */
  protected submit(question: Question): Promise<unknown> {
    return submitQuestion(this.env, question);
  }

  private dial(config: DiscordConfig): Promise<void> {
    this.retryAt = undefined;
    this.connecting ??= this.open(config, this.epoch)
      .catch((err: unknown) => this.openFailed(err))
      .finally(() => {
        this.connecting = undefined;
      });
    return this.connecting;
  }

  private async open(config: DiscordConfig, epoch: number): Promise<void> {
    const protocol = await this.loadProtocol(config);
    let url = protocol.session?.resumeUrl;
    if (!url) {
      const info = await this.clients(config).api.getGatewayBot();
      this.run(protocol.noteSessionStartLimit(info.session_start_limit));
      const refusal = protocol.identifyRefusal();
      if (refusal) {
        this.stop({ type: "stop", reason: refusal.reason, retryAt: refusal.retryAt });
        return;
      }
      url = info.url;
    }
    const response = await globalThis.fetch(gatewaySocketUrl(url), {
      headers: { Upgrade: "websocket" },
    });
    const ws = response.webSocket;
    if (!ws) {
      const message = `Discord Gateway answered ${response.status} instead of a WebSocket`;
      throw new ChatApiError("gateway_upgrade", message, {
        status: response.status,
        retryable: true,
      });
    }
    ws.accept();
    if (epoch !== this.epoch) {
      ws.close(1000, "disconnected meanwhile");
      return;
    }
    this.socket = ws;
    ws.addEventListener("message", (event) => this.onMessage(ws, event.data));
    ws.addEventListener("close", (event) => this.onSocketGone(ws, event.code, event.reason));
    ws.addEventListener("error", () => this.onSocketGone(ws, 1006, "socket error"));
    this.run(protocol.handle({ type: "open" }));
  }

  private openFailed(err: unknown): void {
    console.error(`discord gateway: connect failed: ${String(err)}`);
    const apiError = err instanceof ChatApiError ? err : undefined;
    if (apiError?.status === 401) {
      const reason =
        "Discord rejected DISCORD_BOT_TOKEN (GET /gateway/bot answered 401): copy the bot token from the Developer Portal again";
      this.stop({ type: "stop", reason, code: 401 });
      return;
    }
    if (!this.protocol) return; // The alarm tries again.
    const waitMs = apiError?.retryAfterMs ?? 0;
    const actions = this.protocol.handle({ type: "connect-failed", error: String(err) });
    this.run(
      actions.map((a) =>
        a.type === "reconnect" ? { ...a, delayMs: Math.max(a.delayMs, waitMs) } : a,
      ),
    );
  }

  /** One REST client per token, so Discord's rate-limit buckets carry over between calls. */
  private clients(config: DiscordConfig): DiscordClients {
    if (this.discord?.token !== config.botToken) {
      const { apiUrl: baseUrl, botToken: token, applicationId } = config;
      const api = new DiscordApi({ baseUrl, token, applicationId });
      this.discord = {
        token,
        api,
        threadParentOf: threadParentLookup(api),
        botRoleIn: botRoleLookup(api, applicationId),
      };
    }
    return this.discord;
  }

  private async loadProtocol(config: DiscordConfig): Promise<GatewayProtocol> {
    const intents = this.intents();
    const fingerprint = await fingerprintOf(config.botToken, intents);
    if (this.protocol && this.fingerprint === fingerprint) return this.protocol;
    const { session, ledger } = await this.store.load(fingerprint);
    this.protocol = new GatewayProtocol({ token: config.botToken, intents, session, ledger });
    this.fingerprint = fingerprint;
    return this.protocol;
  }

  private onMessage(ws: WebSocket, data: string | ArrayBuffer): void {
    if (ws !== this.socket || !this.protocol) return;
    let payload: GatewayPayload;
    try {
      payload = JSON.parse(typeof data === "string" ? data : new TextDecoder().decode(data));
    } catch {
      console.error("discord gateway: dropped a frame that is not JSON");
      return;
    }
    this.run(this.protocol.handle({ type: "payload", payload }));
  }

  private onSocketGone(ws: WebSocket, code: number, reason: string): void {
    if (ws !== this.socket || !this.protocol) return;
    this.socket = undefined;
    cancel(this.heartbeat);
    try {
      ws.close();
    } catch {
      // Already answered: workerd replies to a close frame by itself.
    }
    console.log(`discord gateway: closed ${code} ${reason}`);
    this.run(this.protocol.handle({ type: "closed", code, reason }));
  }

  // Synchronous, so frames go out in the order the protocol asked for them.
  private run(actions: GatewayAction[]): void {
    for (const action of actions) {
      switch (action.type) {
        case "send":
          this.socket?.send(JSON.stringify(action.payload));
          break;
        case "schedule-heartbeat":
          this.scheduleHeartbeat(action.delayMs);
          break;
        case "close":
          this.dropSocket(action.code, action.reason);
          break;
        case "reconnect":
          this.scheduleReconnect(action.delayMs);
          break;
        case "save-session":
          this.store.saveSession(action.session);
          break;
        case "save-ledger":
          this.store.saveLedger(action.ledger);
          break;
        case "dispatch":
          this.onDispatch(action.event, action.data);
          break;
        case "stop":
          this.dropSocket(1000, "stopped");
          this.stop(action);
          break;
      }
    }
  }

  private scheduleHeartbeat(delayMs: number): void {
    const ws = this.socket;
    cancel(this.heartbeat);
    this.heartbeat = setTimeout(() => {
      if (ws === this.socket && this.protocol)
        this.run(this.protocol.handle({ type: "heartbeat-due" }));
    }, delayMs);
  }

  // The alarm, not a timer, waits out the backoff: a pending setTimeout pins the object in
  // memory (it cannot be evicted), and an alarm also survives an eviction.
  private scheduleReconnect(delayMs: number): void {
    const config = this.config();
    if (isOff(config)) return;
    if (delayMs <= 0) {
      void this.dial(config);
      return;
    }
    this.retryAt = Date.now() + delayMs;
    void this.store.wakeBy(this.retryAt);
  }

  private dropSocket(code: number, reason: string): void {
    const ws = this.socket;
    this.socket = undefined;
    cancel(this.heartbeat);
    try {
      ws?.close(code, reason);
    } catch {
      // Already closed by the other side.
    }
  }

  private stop(action: Extract<GatewayAction, { type: "stop" }>): void {
    console.error(`discord gateway: stopped: ${action.reason}`);
    const { reason, code } = action;
    const retryAt = action.retryAt ?? Date.now() + FATAL_RETRY_MS;
    this.store.saveStop({ reason, code, retryAt, fingerprint: this.fingerprint ?? "" });
  }

  /**
   * A MESSAGE_CREATE that may be a question goes into the outbox in this same turn, so it is
   * stored atomically with the `seq` saved just before: it counts as handled only once it is
   * on disk, and leaves the outbox once its conversation object took it.
   */
  private onDispatch(event: string, data: unknown): void {
    const config = this.config();
    if (event !== "MESSAGE_CREATE" || isOff(config)) return;
    const message = data as GatewayMessageCreateDispatchData;
    if (!mayAskBot(message, config.applicationId)) return;
    // A replay after RESUME of a message already handed on, or on its way.
    if (this.forwarder.knows(message.id) || this.outbox.isBusy(message.id)) return;
    const entry = this.outbox.hold(message, Date.now());
    void this.outbox.attempt(entry, this.deliverer(config));
  }

  private deliverer(config: DiscordConfig) {
    const { threadParentOf, botRoleIn } = this.clients(config);
    return (message: GatewayMessageCreateDispatchData, receivedAt: number) =>
      this.forwarder.forward(message, {
        botUserId: config.applicationId,
        kv: this.env.SETTINGS,
        threadParentOf,
        botRoleIn,
        submit: (question: Question) => this.submit(question),
        receivedAt,
      });
  }
}

function cancel(timer: number | undefined): void {
  if (timer !== undefined) clearTimeout(timer);
}
