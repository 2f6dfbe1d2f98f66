/**
 * The test fakes (test/fakes) served over real HTTP, so a Worker under `wrangler dev` reaches
 * them as it would reach Slack, Discord and OpenRouter. Each fake keeps its own rate limits:
 * FakeSlack per workspace and method (chat.postMessage 1/s per channel, chat.update 50/min),
 * FakeDiscord 5 message writes per 5 s per channel, both answering 429 with Retry-After.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { FakeDiscord } from "../../test/fakes/discord-api.ts";
import { FakeOpenRouter, type ScriptedReply } from "../../test/fakes/openrouter.ts";
import { FakeSlack } from "../../test/fakes/slack-api.ts";

type Handler = (req: Request) => Promise<Response>;

export const SLACK_TOKEN = "xoxb-load-bench";
export const DISCORD_TOKEN = "discord-bot-token-load";
export const DISCORD_APP_ID = "1100000000000000001";

/** Serves a fetch-shaped handler on 127.0.0.1 at a free port; SSE bodies are streamed as they come. */
export async function serve(
  handler: Handler,
  onDone?: () => void,
): Promise<Server & { url: string }> {
  const server = createServer((req, res) => void bridge(handler, req, res).finally(onDone));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return Object.assign(server, { url: `http://127.0.0.1:${port}` });
}

async function bridge(handler: Handler, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const abort = new AbortController();
  res.on("close", () => {
    if (!res.writableFinished) abort.abort(new DOMException("client went away", "AbortError"));
  });
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers.set(k, v);
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  let response: Response;
  try {
    response = await handler(
      new Request(`http://${req.headers.host}${req.url}`, {
        method: req.method,
        headers,
        body: hasBody ? Buffer.concat(chunks) : undefined,
        signal: abort.signal,
      }),
    );
  } catch {
    // A fake "losing" its answer, or a request the client abandoned: drop the connection.
    res.destroy();
    return;
  }
  res.writeHead(response.status, Object.fromEntries(response.headers));
  if (!response.body) return void res.end();
  try {
    for await (const chunk of response.body) res.write(chunk);
  } catch {
    // The client aborted the stream (Quarry stopping an answer).
  }
  res.end();
}

/** One FakeSlack per workspace; a call goes to the workspace that owns its channel (or user). */
export class SlackWorkspaces {
  readonly byTeam = new Map<string, FakeSlack>();
  private readonly owner = new Map<string, FakeSlack>();

  add(teamId: string, channels: string[], users: string[]): FakeSlack {
    const fake = new FakeSlack({ token: SLACK_TOKEN, teamId, nativeStreaming: "ok" });
    this.byTeam.set(teamId, fake);
    for (const c of channels) this.owner.set(c, fake);
    for (const u of users) {
      this.owner.set(u, fake);
      fake.seedUser({ id: u, name: u.toLowerCase() });
    }
    return fake;
  }

  readonly handle: Handler = async (req) => {
    const raw = new Uint8Array(await req.arrayBuffer());
    const text = new TextDecoder().decode(raw);
    const url = new URL(req.url);
    let args: Record<string, unknown> = Object.fromEntries(url.searchParams);
    try {
      args = { ...args, ...JSON.parse(text || "{}") };
    } catch {
      args = { ...args, ...Object.fromEntries(new URLSearchParams(text)) };
    }
    const key = [args.channel, args.channel_id, args.user].find((v) => typeof v === "string");
    const fake = this.owner.get(key as string) ?? [...this.byTeam.values()][0];
    if (!fake) return new Response("no workspace", { status: 500 });
    return fake.handle(
      new Request(req.url, {
        method: req.method,
        headers: req.headers,
        body: raw,
        signal: req.signal,
      }),
    );
  };
}

export function newDiscord(): FakeDiscord {
  return new FakeDiscord({ token: DISCORD_TOKEN, applicationId: DISCORD_APP_ID });
}

/**
 * OpenRouter: the catalog from one shared fake, each chat completion from a fresh fake
 * scripted with the answer `answerFor` derives from the request (so concurrent requests
 * never take each other's script).
 */
export function openRouterHandler(answerFor: (body: string) => ScriptedReply): {
  handle: Handler;
  chatRequests: () => number;
} {
  const catalog = new FakeOpenRouter();
  let chats = 0;
  return {
    chatRequests: () => chats,
    handle: async (req) => {
      if (req.method !== "POST" || !new URL(req.url).pathname.endsWith("/chat/completions"))
        return catalog.handle(req);
      chats++;
      const body = await req.text();
      const one = new FakeOpenRouter().reply(answerFor(body));
      return one.handle(
        new Request(req.url, { method: "POST", headers: req.headers, body, signal: req.signal }),
      );
    },
  };
}
