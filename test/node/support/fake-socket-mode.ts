/**
 * A fake of Slack's Socket Mode side: `apps.connections.open` over a fake Web API hands out
 * the URL of a local WebSocket server, which says `hello`, sends envelopes with an
 * `envelope_id` and records the acks the client sends back.
 * https://docs.slack.dev/apis/events-api/using-socket-mode
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type WebSocket, WebSocketServer } from "ws";

export interface Ack {
  envelope_id: string;
  payload?: Record<string, unknown>;
}

export class FakeSocketModeSlack {
  /** The Authorization header of every `apps.connections.open` call. */
  readonly opens: string[] = [];
  readonly acks: Ack[] = [];
  private socket?: WebSocket;
  private readonly waiters = new Map<string, (ack: Ack) => void>();
  private connectedWaiter?: () => void;
  private counter = 0;

  private readonly server: Server;
  private readonly wss: WebSocketServer;
  readonly appToken: string;

  private constructor(server: Server, wss: WebSocketServer, appToken: string) {
    this.server = server;
    this.wss = wss;
    this.appToken = appToken;
  }

  static async start(appToken: string): Promise<FakeSocketModeSlack> {
    const server = createServer();
    const wss = new WebSocketServer({ server });
    const fake = new FakeSocketModeSlack(server, wss, appToken);
    server.on("request", (req, res) => fake.webApi(req.url ?? "", req.headers.authorization, res));
    wss.on("connection", (ws) => fake.accept(ws));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return fake;
  }

  private get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** What the bridge takes as Slack's Web API base URL. */
  get apiUrl(): string {
    return `http://127.0.0.1:${this.port}/api/`;
  }

  private webApi(
    url: string,
    authorization: string | undefined,
    res: import("node:http").ServerResponse,
  ): void {
    res.setHeader("content-type", "application/json");
    if (!url.startsWith("/api/apps.connections.open")) {
      res.end(JSON.stringify({ ok: false, error: "unknown_method" }));
      return;
    }
    this.opens.push(authorization ?? "");
    if (authorization !== `Bearer ${this.appToken}`) {
      res.end(JSON.stringify({ ok: false, error: "invalid_auth" }));
      return;
    }
    const link = `ws://127.0.0.1:${this.port}/link/?ticket=t${this.opens.length}&app_id=A0QUARRY`;
    res.end(JSON.stringify({ ok: true, url: link }));
  }

  private accept(ws: WebSocket): void {
    this.socket = ws;
    ws.on("message", (data) => {
      const ack = JSON.parse(String(data)) as Ack;
      this.acks.push(ack);
      this.waiters.get(ack.envelope_id)?.(ack);
    });
    ws.send(
      JSON.stringify({
        type: "hello",
        num_connections: 1,
        debug_info: { host: "applink-fake", approximate_connection_time: 18060 },
        connection_info: { app_id: "A0QUARRY" },
      }),
    );
    this.connectedWaiter?.();
  }

  /** Sends an envelope of `type` around `payload`; returns its `envelope_id`. */
  send(
    type: "events_api" | "slash_commands" | "interactive",
    payload: Record<string, unknown>,
    opts: { retryAttempt?: number; retryReason?: string } = {},
  ): string {
    if (!this.socket) throw new Error("no Socket Mode client is connected");
    const envelope_id = `env-${++this.counter}`;
    this.socket.send(
      JSON.stringify({
        envelope_id,
        type,
        payload,
        accepts_response_payload: type !== "events_api",
        ...(type === "events_api"
          ? { retry_attempt: opts.retryAttempt ?? 0, retry_reason: opts.retryReason ?? "" }
          : {}),
      }),
    );
    return envelope_id;
  }

  /** Resolves with the ack of `envelopeId` when it arrives. */
  ackOf(envelopeId: string): Promise<Ack> {
    const seen = this.acks.find((a) => a.envelope_id === envelopeId);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiters.set(envelopeId, resolve));
  }

  /** Resolves once a client has connected and been greeted. */
  connected(): Promise<void> {
    if (this.socket) return Promise.resolve();
    return new Promise((resolve) => {
      this.connectedWaiter = resolve;
    });
  }

  async close(): Promise<void> {
    for (const client of this.wss.clients) client.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
