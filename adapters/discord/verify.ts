/**
 * Discord signs every interaction with the application's Ed25519 key over
 * `X-Signature-Timestamp + raw body`; unsigned or mis-signed requests must get 401.
 * https://discord.com/developers/docs/interactions/overview#setting-up-an-endpoint-validating-security-request-headers
 */

/** Discord gives no replay window; we use the same five minutes as Slack. */
const MAX_SKEW_SECONDS = 5 * 60;

const keys = new Map<string, Promise<CryptoKey>>();

export interface VerifyDiscordOptions {
  /** The application's public key: 64 hex characters from the Developer Portal. */
  publicKeyHex: string;
  /** `X-Signature-Ed25519`: 128 hex characters. */
  signatureHex: string | null;
  /** `X-Signature-Timestamp`: unix seconds. */
  timestamp: string | null;
  /** The body exactly as received (text decoded from other bytes, or minus a BOM, would not match). */
  rawBody: string | Uint8Array;
  nowSeconds?: number;
}

/** True only for a well-formed, fresh request signed by the application's key. */
export async function verifyDiscordRequest(opts: VerifyDiscordOptions): Promise<boolean> {
  const { signatureHex, timestamp } = opts;
  if (!signatureHex || !timestamp || !/^\d{1,12}$/.test(timestamp)) return false;
  const now = opts.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - Number(timestamp)) > MAX_SKEW_SECONDS) return false;
  const signature = fromHex(signatureHex, 64);
  const publicKey = fromHex(opts.publicKeyHex, 32);
  if (!signature || !publicKey) return false;
  try {
    const key = await importKey(opts.publicKeyHex.toLowerCase(), publicKey);
    const data = signedBytes(timestamp, opts.rawBody);
    return await crypto.subtle.verify({ name: "Ed25519" }, key, signature, data);
  } catch {
    // A key that is not a valid curve point cannot have signed anything.
    return false;
  }
}

function signedBytes(timestamp: string, body: string | Uint8Array): Uint8Array {
  const encoder = new TextEncoder();
  if (typeof body === "string") return encoder.encode(timestamp + body);
  const prefix = encoder.encode(timestamp);
  const data = new Uint8Array(prefix.length + body.length);
  data.set(prefix);
  data.set(body, prefix.length);
  return data;
}

function importKey(hex: string, raw: Uint8Array): Promise<CryptoKey> {
  let key = keys.get(hex);
  if (!key) {
    // workerd accepts the standard `Ed25519` name (the older `NODE-ED25519` alias is not needed).
    key = crypto.subtle.importKey("raw", raw, { name: "Ed25519" }, false, ["verify"]);
    key.catch(() => keys.delete(hex));
    keys.set(hex, key);
  }
  return key;
}

/** Bytes of an even-length hex string of exactly `length` bytes, else undefined. */
function fromHex(hex: string, length: number): Uint8Array | undefined {
  if (hex.length !== length * 2 || !/^[0-9a-fA-F]+$/.test(hex)) return undefined;
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}
