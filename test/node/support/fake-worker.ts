/**
 * A fake of the local Worker's `POST /slack/events`: records every request and checks its
 * signature with the Worker's own verifier, then answers as a test tells it to.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { verifySlackRequest } from "../../../adapters/slack/verify.ts";

export interface ReceivedRequest {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** True when the Worker's `verifySlackRequest` accepts the signature. */
  verified: boolean;
}

export interface WorkerAnswer {
  status: number;
  contentType?: string;
  body?: string;
}

export class FakeWorker {
  readonly received: ReceivedRequest[] = [];
  /** How the next requests are answered (default: an empty 200). */
  answer: (req: ReceivedRequest) => WorkerAnswer = () => ({ status: 200 });

  private readonly server: Server;
  private readonly signingSecret: string;

  private constructor(server: Server, signingSecret: string) {
    this.server = server;
    this.signingSecret = signingSecret;
  }

  static async start(signingSecret: string): Promise<FakeWorker> {
    const server = createServer();
    const fake = new FakeWorker(server, signingSecret);
    server.on("request", (req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", async () => {
        const body = Buffer.concat(chunks).toString("utf8");
        const verified = await verifySlackRequest({
          signingSecret: fake.signingSecret,
          timestamp: (req.headers["x-slack-request-timestamp"] as string | undefined) ?? null,
          signature: (req.headers["x-slack-signature"] as string | undefined) ?? null,
          rawBody: body,
        });
        const record = { path: req.url ?? "", headers: req.headers, body, verified };
        fake.received.push(record);
        const answer = verified ? fake.answer(record) : { status: 401, body: "invalid_signature" };
        res.statusCode = answer.status;
        if (answer.contentType) res.setHeader("content-type", answer.contentType);
        res.end(answer.body ?? "");
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return fake;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/slack/events`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
