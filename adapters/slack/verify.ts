/**
 * Slack request signing: `v0=` + hex HMAC-SHA256(signing secret, `v0:{timestamp}:{raw body}`).
 * https://docs.slack.dev/authentication/verifying-requests-from-slack
 */

/** Slack's replay window: requests more than five minutes off our clock are refused. */
export const SLACK_MAX_SKEW_SECONDS = 300;

export interface VerifySlackRequestOptions {
  signingSecret: string;
  /** `X-Slack-Request-Timestamp`. */
  timestamp: string | null;
  /** `X-Slack-Signature`. */
  signature: string | null;
  /**
   * The body exactly as received: re-serialised JSON would not match, nor would text
   * decoded from bytes that are not UTF-8 or that start with a BOM (decoding drops it).
   */
  rawBody: string | Uint8Array;
  /** Our clock in seconds; defaults to now. */
  nowSeconds?: number;
}

const encoder = new TextEncoder();

/** True only for a well-formed, fresh `v0` signature made with `signingSecret` over this body. */
export async function verifySlackRequest(opts: VerifySlackRequestOptions): Promise<boolean> {
  const { signingSecret, timestamp, signature, rawBody } = opts;
  if (!signingSecret || !timestamp || !signature) return false;
  if (!/^\d{1,12}$/.test(timestamp)) return false;
  const now = opts.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - Number(timestamp)) > SLACK_MAX_SKEW_SECONDS) return false;

  const match = /^v0=([0-9a-f]{64})$/i.exec(signature);
  if (!match?.[1]) return false;

  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(signingSecret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["verify"],
  );
  // `subtle.verify` compares the MACs in constant time, so the hex never meets `===`.
  const body = typeof rawBody === "string" ? encoder.encode(rawBody) : rawBody;
  const prefix = encoder.encode(`v0:${timestamp}:`);
  const signed = new Uint8Array(prefix.length + body.length);
  signed.set(prefix);
  signed.set(body, prefix.length);
  return crypto.subtle.verify("HMAC", key, hexToBytes(match[1]), signed);
}

function hexToBytes(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++)
    bytes[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}
