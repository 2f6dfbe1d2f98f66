import { beforeAll, describe, expect, it } from "vitest";
import { verifyDiscordRequest } from "../adapters/discord/verify.ts";
import { createDiscordSigner, type DiscordSigner } from "./support/discord-signing.ts";

const body = JSON.stringify({ type: 1, id: "1", application_id: "2", token: "t", version: 1 });
const now = 1_760_000_000;

let signer: DiscordSigner;
let other: DiscordSigner;

beforeAll(async () => {
  signer = await createDiscordSigner();
  other = await createDiscordSigner();
});

async function check(opts: {
  key?: string;
  rawBody?: string;
  headers?: Headers;
  nowSeconds?: number;
}) {
  const headers = opts.headers ?? (await signer.sign(body, now));
  return verifyDiscordRequest({
    publicKeyHex: opts.key ?? signer.publicKeyHex,
    signatureHex: headers.get("X-Signature-Ed25519"),
    timestamp: headers.get("X-Signature-Timestamp"),
    rawBody: opts.rawBody ?? body,
    nowSeconds: opts.nowSeconds ?? now,
  });
}

describe("verifyDiscordRequest", () => {
  it("accepts a body signed by the application's key", async () => {
    expect(await check({})).toBe(true);
  });

  it("accepts an upper-case hex public key", async () => {
    expect(await check({ key: signer.publicKeyHex.toUpperCase() })).toBe(true);
  });

  it("rejects a body changed after signing", async () => {
    expect(await check({ rawBody: body.replace('"type":1', '"type":2') })).toBe(false);
  });

  it("rejects a signature made with another key", async () => {
    expect(await check({ headers: await other.sign(body, now) })).toBe(false);
  });

  it("rejects a signature whose timestamp was swapped for a fresh one", async () => {
    const headers = await signer.sign(body, now - 600);
    headers.set("X-Signature-Timestamp", String(now));
    expect(await check({ headers })).toBe(false);
  });

  it("rejects a timestamp more than five minutes old, and one five minutes ahead", async () => {
    expect(await check({ headers: await signer.sign(body, now - 301) })).toBe(false);
    expect(await check({ headers: await signer.sign(body, now + 301) })).toBe(false);
    expect(await check({ headers: await signer.sign(body, now - 299) })).toBe(true);
  });

  it("rejects missing headers", async () => {
    const headers = await signer.sign(body, now);
    const noSig = new Headers(headers);
    noSig.delete("X-Signature-Ed25519");
    const noTs = new Headers(headers);
    noTs.delete("X-Signature-Timestamp");
    expect(await check({ headers: noSig })).toBe(false);
    expect(await check({ headers: noTs })).toBe(false);
  });

  it("rejects malformed hex in the signature or the public key", async () => {
    const headers = await signer.sign(body, now);
    const sig = headers.get("X-Signature-Ed25519") as string;
    const bad = new Headers(headers);
    bad.set("X-Signature-Ed25519", `zz${sig.slice(2)}`);
    const short = new Headers(headers);
    short.set("X-Signature-Ed25519", sig.slice(2));
    expect(await check({ headers: bad })).toBe(false);
    expect(await check({ headers: short })).toBe(false);
    expect(await check({ key: `${signer.publicKeyHex.slice(0, 62)}zz` })).toBe(false);
    expect(await check({ key: signer.publicKeyHex.slice(0, 60) })).toBe(false);
  });

  it("rejects a non-numeric timestamp", async () => {
    const headers = await signer.sign(body, now);
    headers.set("X-Signature-Timestamp", "soon");
    expect(await check({ headers })).toBe(false);
  });
});
