/**
 * For the route fuzz and the security tests: every fake upstream behind the Worker's fetch
 * (Slack's Web API and response URLs, Discord's REST API and CDN, OpenRouter), and senders
 * that sign arbitrary bytes for real, so garbage gets past the signature check and reaches
 * the parsers.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { vi } from "vitest";
import worker from "../../src/index.ts";
import { clearModelCatalogCache, MODELS_KV_KEY } from "../../src/openrouter/model-catalog.ts";
import { FakeDiscord } from "../fakes/discord-api.ts";
import { CDN_HOST, FakeDiscordCdn, MEDIA_HOST } from "../fakes/discord-files.ts";
import { installFakeNetwork } from "../fakes/network.ts";
import { FakeOpenRouter } from "../fakes/openrouter.ts";
import { FakeSlack } from "../fakes/slack-api.ts";
import { FakeSlackFiles, SLACK_FILES_HOST } from "../fakes/slack-files.ts";
import { FakeSlackHooks } from "../fakes/slack-hooks.ts";
import { createDiscordSigner, type DiscordSigner, toHex } from "./discord-signing.ts";
import { SIGNING_SECRET } from "./slack-requests.ts";

export async function fuzzWorld() {
  vi.restoreAllMocks();
  clearModelCatalogCache();
  await env.SETTINGS.delete(MODELS_KV_KEY);
  // Thousands of requests, one log line each: the assertions say what went wrong.
  for (const level of ["log", "info", "warn", "error"] as const)
    vi.spyOn(console, level).mockImplementation(() => {});
  const slack = new FakeSlack();
  slack.seedUser({ id: "U0ANA", name: "ana", real_name: "Ana Lima" });
  const hooks = new FakeSlackHooks();
  const openrouter = new FakeOpenRouter();
  const discord = new FakeDiscord({ token: "discord-bot-token-test", applicationId: APP_ID });
  const cdn = new FakeDiscordCdn();
  const network = installFakeNetwork({
    "slack.test": slack,
    "hooks.slack.test": hooks,
    [SLACK_FILES_HOST]: new FakeSlackFiles({ token: slack.token, teamId: slack.teamId }),
    "openrouter.test": openrouter,
    "discord.test": discord,
    [CDN_HOST]: cdn,
    [MEDIA_HOST]: cdn,
  });
  /** Everything any fake received, and every call to a host no fake serves: work started. */
  const outbound = () => ({
    network: network.log.map((l) => l.url),
    unknown: network.unknown,
    slack: slack.calls.length,
    hooks: hooks.posts.length,
    openrouter: openrouter.requests.length,
    discord: discord.requests.length,
  });
  return { slack, hooks, openrouter, discord, cdn, network, outbound };
}

/** What `outbound()` reads when no work started. */
export const NO_WORK = { network: [], unknown: [], slack: 0, hooks: 0, openrouter: 0, discord: 0 };

const APP_ID = "1100000000000000001";
const encoder = new TextEncoder();
const bytesOf = (body: string | Uint8Array) =>
  typeof body === "string" ? encoder.encode(body) : body;

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Slack's `v0` signature over the exact bytes: `v0:{timestamp}:` then the body as sent. */
export async function signSlackBytes(
  body: Uint8Array,
  timestamp: string,
  secret = SIGNING_SECRET,
): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = await crypto.subtle.sign(
    "HMAC",
    key,
    concat(encoder.encode(`v0:${timestamp}:`), body),
  );
  return `v0=${toHex(mac)}`;
}

/** Hands a request to the Worker and waits for what it left running after its response. */
export async function deliver(request: Request, over: Partial<Env> = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(request, { ...env, ...over }, ctx);
  const body = await res.arrayBuffer();
  await waitOnExecutionContext(ctx);
  const empty = [101, 204, 205, 304].includes(res.status);
  return new Response(empty ? null : body, { status: res.status, headers: res.headers });
}

/** `POST /slack/events` with `body` signed for real (unless `signed: false`). */
export async function postSlack(
  body: string | Uint8Array,
  opts: { contentType?: string | null; timestamp?: number; signed?: boolean } = {},
): Promise<Response> {
  const bytes = bytesOf(body);
  const ts = String(opts.timestamp ?? Math.floor(Date.now() / 1000));
  const headers = new Headers({ "x-slack-request-timestamp": ts });
  if (opts.contentType !== null)
    headers.set("content-type", opts.contentType ?? "application/json");
  if (opts.signed !== false) headers.set("x-slack-signature", await signSlackBytes(bytes, ts));
  return deliver(
    new Request("https://quarry.test/slack/events", { method: "POST", headers, body: bytes }),
  );
}

let signer: Promise<DiscordSigner> | undefined;

/** Ed25519 over the exact bytes `timestamp + body`, with a key pair the test made. */
async function discordHeaders(body: Uint8Array, timestamp: number): Promise<Headers> {
  signer ??= createDiscordSigner();
  const keys = await signer;
  const stamp = String(timestamp);
  return new Headers({
    "X-Signature-Ed25519": await keys.signBytes(concat(encoder.encode(stamp), body)),
    "X-Signature-Timestamp": stamp,
  });
}

/** `POST /discord/interactions` with `body` signed for real, to a Worker that trusts the test's key. */
export async function postDiscord(
  body: string | Uint8Array,
  opts: { timestamp?: number; contentType?: string; signed?: boolean } = {},
): Promise<Response> {
  signer ??= createDiscordSigner();
  const keys = await signer;
  const bytes = bytesOf(body);
  const headers =
    opts.signed === false
      ? new Headers()
      : await discordHeaders(bytes, opts.timestamp ?? Math.floor(Date.now() / 1000));
  headers.set("content-type", opts.contentType ?? "application/json");
  return deliver(
    new Request("https://quarry.test/discord/interactions", {
      method: "POST",
      headers,
      body: bytes,
    }),
    { DISCORD_PUBLIC_KEY: keys.publicKeyHex },
  );
}

type Env = import("../../src/config.ts").Env;
