/**
 * The floor for ack latency: the least a webhook route can do and still be safe. It checks
 * the signature with the same algorithms Quarry uses (Slack: HMAC-SHA256 over
 * `v0:{timestamp}:{body}`; Discord: Ed25519 over `timestamp + body`, Web Crypto), then makes
 * one Durable Object call that stores the request durably, one object per thread as
 * Quarry's conversation objects are, and answers. Run by `npm run bench:load`.
 */
import { DurableObject } from "cloudflare:workers";

interface FloorEnv {
  SLACK_SIGNING_SECRET: string;
  DISCORD_PUBLIC_KEY: string;
  FLOOR: DurableObjectNamespace<FloorObject>;
}

export class FloorObject extends DurableObject<FloorEnv> {
  take(body: string): boolean {
    if (this.ctx.storage.kv.get("q") !== undefined) return false;
    this.ctx.storage.kv.put("q", body);
    return true;
  }
}

const fromHex = (s: string) =>
  new Uint8Array((s.match(/../g) ?? []).map((h) => Number.parseInt(h, 16)));
const encoder = new TextEncoder();

async function slackOk(env: FloorEnv, req: Request, body: string): Promise<boolean> {
  const ts = req.headers.get("x-slack-request-timestamp") ?? "";
  const sig = /^v0=([0-9a-f]{64})$/.exec(req.headers.get("x-slack-signature") ?? "")?.[1];
  if (!sig) return false;
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(env.SLACK_SIGNING_SECRET),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["verify"],
  );
  return crypto.subtle.verify("HMAC", key, fromHex(sig), encoder.encode(`v0:${ts}:${body}`));
}

async function discordOk(env: FloorEnv, req: Request, body: string): Promise<boolean> {
  const ts = req.headers.get("x-signature-timestamp") ?? "";
  const key = await crypto.subtle.importKey(
    "raw",
    fromHex(env.DISCORD_PUBLIC_KEY),
    { name: "Ed25519" },
    false,
    ["verify"],
  );
  return crypto.subtle.verify(
    { name: "Ed25519" },
    key,
    fromHex(req.headers.get("x-signature-ed25519") ?? ""),
    encoder.encode(`${ts}${body}`),
  );
}

export default {
  async fetch(req, env) {
    const path = new URL(req.url).pathname;
    if (req.method !== "POST") return new Response("floor", { status: 200 });
    const body = await req.text();
    const slack = path === "/slack/events";
    if (!(await (slack ? slackOk(env, req, body) : discordOk(env, req, body))))
      return new Response("invalid signature", { status: 401 });
    const parsed = JSON.parse(body) as { event?: { channel?: string; ts?: string }; id?: string };
    const thread = slack
      ? `${parsed.event?.channel}:${parsed.event?.ts}`
      : `interaction:${parsed.id}`;
    await env.FLOOR.get(env.FLOOR.idFromName(thread)).take(body);
    return slack ? new Response(null, { status: 200 }) : Response.json({ type: 5 });
  },
} satisfies ExportedHandler<FloorEnv>;
