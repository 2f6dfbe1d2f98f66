/**
 * An in-process Discord Gateway. Reached through the fake network (`installFakeNetwork`) at
 * the hosts of `GET /gateway/bot` (`discord.test`), the Gateway (`gateway.discord.test`) and
 * the resume URL (`resume.discord.test`). It answers an `Upgrade: websocket` request with a
 * 101 and one end of a `WebSocketPair`, then speaks the real protocol: HELLO, IDENTIFY and
 * RESUME checks with Discord's close codes, READY, heartbeat ACKs, replay on RESUME.
 * Everything it receives is recorded for the test to assert on.
 *
 * workerd ties a socket to the I/O context that created it, here the Durable Object that
 * called `fetch`. The test's own context may not touch it, so commands from the test are
 * queued and run by a timer that lives in the object's context.
 */
import type { GatewayMessageCreateDispatchData, GuildMemberFlags } from "discord-api-types/v10";
import type { FakeHost } from "./network.ts";

export const FAKE_GATEWAY_URL = "wss://gateway.discord.test";
export const FAKE_RESUME_URL = "wss://resume.discord.test";

export interface GatewayFrame {
  op: number;
  d: unknown;
  s?: number | null;
  t?: string | null;
}

export interface FakeGatewayOptions {
  /** The bot token IDENTIFY and RESUME must carry (`Bot ` prefix on REST). */
  token: string;
  applicationId: string;
  /** Intents the app may ask for; others close with 4014 as when a privileged toggle is off. */
  allowedIntents?: number;
  heartbeatIntervalMs?: number;
  sessionStartLimit?: {
    total?: number;
    remaining?: number;
    reset_after?: number;
    max_concurrency?: number;
  };
}

export interface FakeConnection {
  id: number;
  /** The URL the client fetched, query included. */
  url: string;
  /** Every frame the client sent on this connection. */
  received: GatewayFrame[];
  /** Set once closed: by the server (with the code it sent) or by the client. */
  closed?: { by: "server" | "client"; code: number; reason: string };
  sessionId?: string;
}

interface Command {
  run: (socket: WebSocket, conn: FakeConnection) => void;
  done: boolean;
  error?: unknown;
}

interface Session {
  id: string;
  seq: number;
  log: GatewayFrame[];
}

const ALL_INTENTS = (1 << 9) | (1 << 12) | (1 << 15);
const VALID_INTENT_BITS = (1 << 26) - 1;

export class FakeDiscordGateway implements FakeHost {
  readonly connections: FakeConnection[] = [];
  readonly restRequests: { method: string; path: string; authorization: string | null }[] = [];
  /** Answer heartbeats with op 11; off simulates a zombie connection. */
  ackHeartbeats = true;
  /** Answer the next RESUME with INVALID_SESSION d:false, as when Discord dropped the session. */
  refuseResume = false;
  /** On RESUME, replay from this seq instead of the client's: Discord re-sending events already seen. */
  replayFrom?: number;
  /** Answer WebSocket upgrades with this HTTP status instead of a 101 (an outage). */
  refuseUpgrades?: number;
  /** Upgrade requests refused so far. */
  refusedUpgrades = 0;
  /** Answer `GET /gateway/bot` with this status and body instead (e.g. 401, 429 with retry_after). */
  restFailure?: { status: number; body: unknown; headers?: Record<string, string> };

  private readonly sessions = new Map<string, Session>();
  private readonly queue: Command[] = [];

  constructor(private readonly opts: FakeGatewayOptions) {}

  /** The most recent connection. */
  get current(): FakeConnection | undefined {
    return this.connections.at(-1);
  }

  /** Every frame received, in order, across connections. */
  get received(): GatewayFrame[] {
    return this.connections.flatMap((c) => c.received);
  }

  /** Frames with this opcode across connections (2 IDENTIFY, 6 RESUME, 1 heartbeat). */
  sent(op: number): GatewayFrame[] {
    return this.received.filter((f) => f.op === op);
  }

  handle(req: Request): Response {
    const url = new URL(req.url);
    if (url.pathname.endsWith("/gateway/bot")) return this.gatewayBot(req, url);
    if (req.headers.get("Upgrade")?.toLowerCase() !== "websocket") {
      return new Response("Expected Upgrade: websocket", { status: 426 });
    }
    if (this.refuseUpgrades) {
      this.refusedUpgrades++;
      return new Response("upstream connect error", { status: this.refuseUpgrades });
    }
    return this.accept(req.url);
  }

  /** Sends a dispatch on the live connection; resolves with its seq. */
  async dispatch(event: string, data: unknown): Promise<number> {
    let seq = 0;
    await this.command((socket, conn) => {
      const session = this.sessions.get(conn.sessionId ?? "");
      if (!session) throw new Error("fake gateway: no session on the current connection");
      seq = ++session.seq;
      const frame = { op: 0, s: seq, t: event, d: data };
      session.log.push(frame);
      socket.send(JSON.stringify(frame));
    });
    return seq;
  }

  /** Sends a raw frame (op 1 heartbeat request, op 7 RECONNECT, op 9 INVALID_SESSION …). */
  send(frame: GatewayFrame): Promise<void> {
    return this.command((socket) => socket.send(JSON.stringify({ s: null, t: null, ...frame })));
  }

  /** Closes the live connection from Discord's side with `code`. */
  close(code: number, reason = "closed by fake gateway"): Promise<void> {
    return this.command((socket, conn) => {
      conn.closed = { by: "server", code, reason };
      socket.close(code, reason);
    });
  }

  // Polled from the caller's context: a promise resolved inside the object's context would
  // resume the test there, where its own stubs may not be used.
  private async command(run: (socket: WebSocket, conn: FakeConnection) => void): Promise<void> {
    const cmd: Command = { run, done: false };
    this.queue.push(cmd);
    const deadline = Date.now() + 10_000;
    while (!cmd.done) {
      if (Date.now() > deadline)
        throw new Error("fake gateway: no live connection to run the command on");
      await new Promise((r) => setTimeout(r, 5));
    }
    if (cmd.error !== undefined) throw cmd.error;
  }

  private gatewayBot(req: Request, url: URL): Response {
    const authorization = req.headers.get("Authorization");
    this.restRequests.push({ method: req.method, path: url.pathname, authorization });
    if (this.restFailure) {
      const { status, body, headers } = this.restFailure;
      return Response.json(body, { status, headers });
    }
    if (authorization !== `Bot ${this.opts.token}`) {
      return Response.json({ message: "401: Unauthorized", code: 0 }, { status: 401 });
    }
    return Response.json({
      url: FAKE_GATEWAY_URL,
      shards: 1,
      session_start_limit: {
        total: 1000,
        remaining: 998,
        reset_after: 14_400_000,
        max_concurrency: 1,
        ...this.opts.sessionStartLimit,
      },
    });
  }

  private accept(url: string): Response {
    const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
    const conn: FakeConnection = { id: this.connections.length + 1, url, received: [] };
    this.connections.push(conn);
    server.accept();
    server.addEventListener("message", (event) => this.onFrame(server, conn, String(event.data)));
    server.addEventListener("close", (event) => {
      conn.closed ??= { by: "client", code: event.code, reason: event.reason };
    });
    // Runs the test's commands from this (the object's) context while this connection lives.
    const pump = setInterval(() => {
      if (conn.closed) {
        clearInterval(pump);
      } else if (conn === this.current) {
        for (const cmd of this.queue.splice(0)) {
          try {
            cmd.run(server, conn);
          } catch (err) {
            cmd.error = err;
          }
          cmd.done = true;
        }
      }
    }, 5);
    this.reply(server, {
      op: 10,
      d: { heartbeat_interval: this.opts.heartbeatIntervalMs ?? 41_250 },
    });
    return new Response(null, { status: 101, webSocket: client });
  }

  private onFrame(socket: WebSocket, conn: FakeConnection, text: string): void {
    let frame: GatewayFrame;
    try {
      frame = JSON.parse(text) as GatewayFrame;
    } catch {
      this.serverClose(socket, conn, [4002, "Error while decoding payload."]);
      return;
    }
    conn.received.push(frame);
    const d = (frame.d ?? {}) as Record<string, unknown>;
    if (frame.op === 1) {
      if (this.ackHeartbeats) this.reply(socket, { op: 11, d: null });
    } else if (frame.op === 2) {
      const refusal = this.identifyRefusal(conn, d);
      if (refusal) this.serverClose(socket, conn, refusal);
      else this.ready(socket, conn);
    } else if (frame.op === 6) {
      if (d.token === this.opts.token) this.resume(socket, conn, d);
      else this.serverClose(socket, conn, [4004, "Authentication failed."]);
    } else if (!conn.sessionId) {
      this.serverClose(socket, conn, [4003, "Not authenticated."]);
    }
  }

  /** The close Discord answers a bad IDENTIFY with, or undefined when it is fine. */
  private identifyRefusal(
    conn: FakeConnection,
    d: Record<string, unknown>,
  ): [number, string] | undefined {
    if (conn.sessionId) return [4005, "Already authenticated."];
    if (d.token !== this.opts.token) return [4004, "Authentication failed."];
    const props = d.properties as Record<string, unknown> | undefined;
    if (!props || ["os", "browser", "device"].some((k) => typeof props[k] !== "string")) {
      return [4002, "Error while decoding payload."];
    }
    const intents = d.intents;
    if (
      typeof intents !== "number" ||
      !Number.isInteger(intents) ||
      (intents & ~VALID_INTENT_BITS) !== 0
    ) {
      return [4013, "Invalid intent(s)."];
    }
    if ((intents & ~(this.opts.allowedIntents ?? ALL_INTENTS)) !== 0)
      return [4014, "Disallowed intent(s)."];
    return undefined;
  }

  private ready(socket: WebSocket, conn: FakeConnection): void {
    const session: Session = { id: `session-${this.sessions.size + 1}`, seq: 0, log: [] };
    this.sessions.set(session.id, session);
    conn.sessionId = session.id;
    const id = this.opts.applicationId;
    const user = {
      id,
      username: "Quarry",
      discriminator: "0",
      global_name: null,
      avatar: null,
      bot: true,
    };
    this.sendDispatch(socket, session, "READY", {
      v: 10,
      user,
      guilds: [],
      session_id: session.id,
      resume_gateway_url: FAKE_RESUME_URL,
      shard: [0, 1],
      application: { id, flags: 0 },
    });
  }

  private resume(socket: WebSocket, conn: FakeConnection, d: Record<string, unknown>): void {
    const session = this.sessions.get(String(d.session_id));
    if (!session || this.refuseResume || typeof d.seq !== "number") {
      this.refuseResume = false;
      this.reply(socket, { op: 9, d: false });
      return;
    }
    conn.sessionId = session.id;
    const from = this.replayFrom ?? d.seq;
    this.replayFrom = undefined;
    for (const frame of session.log) if ((frame.s ?? 0) > from) socket.send(JSON.stringify(frame));
    this.sendDispatch(socket, session, "RESUMED", null);
  }

  private sendDispatch(socket: WebSocket, session: Session, event: string, data: unknown): void {
    const frame = { op: 0, s: ++session.seq, t: event, d: data };
    session.log.push(frame);
    socket.send(JSON.stringify(frame));
  }

  private reply(socket: WebSocket, frame: GatewayFrame): void {
    socket.send(JSON.stringify({ s: null, t: null, ...frame }));
  }

  private serverClose(
    socket: WebSocket,
    conn: FakeConnection,
    [code, reason]: [number, string],
  ): void {
    conn.closed = { by: "server", code, reason };
    socket.close(code, reason);
  }
}

let nextMessageId = 1_400_000_000_000_000_000n;

/** A MESSAGE_CREATE payload as Discord sends it for a guild message; `mentions` lists who it pings. */
export function messageCreate(opts: {
  content: string;
  channelId?: string;
  guildId?: string;
  authorId?: string;
  mentions?: string[];
  id?: string;
}): GatewayMessageCreateDispatchData {
  const id = opts.id ?? String(nextMessageId++);
  const user = (uid: string, name: string) => ({
    id: uid,
    username: name,
    discriminator: "0",
    global_name: name,
    avatar: null,
    public_flags: 0,
  });
  return {
    id,
    type: 0,
    channel_id: opts.channelId ?? "1100000000000000001",
    guild_id: opts.guildId ?? "1000000000000000001",
    author: user(opts.authorId ?? "1200000000000000001", "asker"),
    member: {
      roles: [],
      joined_at: "2025-01-01T00:00:00.000000+00:00",
      deaf: false,
      mute: false,
      flags: 0 as GuildMemberFlags,
    },
    content: opts.content,
    timestamp: new Date().toISOString(),
    edited_timestamp: null,
    tts: false,
    mention_everyone: false,
    mentions: (opts.mentions ?? []).map((uid) => ({ ...user(uid, "Quarry"), bot: true })),
    mention_roles: [],
    attachments: [],
    embeds: [],
    pinned: false,
    components: [],
    nonce: id,
  };
}
