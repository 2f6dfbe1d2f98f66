/**
 * Signs requests the way Discord does: a real Ed25519 key pair generated with Web Crypto,
 * the signature over `timestamp + raw body`, hex in `X-Signature-Ed25519`.
 */

export interface DiscordSigner {
  /** The public key as the Developer Portal shows it: 64 hex characters. */
  publicKeyHex: string;
  /** Signature headers for this body, stamped `timestamp` (unix seconds, default now). */
  sign(rawBody: string, timestamp?: number): Promise<Headers>;
  /** The hex signature of exactly these bytes (`timestamp + body` already joined). */
  signBytes(data: Uint8Array): Promise<string>;
}

export const toHex = (bytes: ArrayBuffer | Uint8Array) =>
  [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");

export async function createDiscordSigner(): Promise<DiscordSigner> {
  const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, [
    "sign",
    "verify",
  ])) as CryptoKeyPair;
  const publicKeyHex = toHex((await crypto.subtle.exportKey("raw", pair.publicKey)) as ArrayBuffer);
  const signBytes = async (data: Uint8Array) =>
    toHex(await crypto.subtle.sign({ name: "Ed25519" }, pair.privateKey, data));
  return {
    publicKeyHex,
    signBytes,
    async sign(rawBody, timestamp = Math.floor(Date.now() / 1000)) {
      return new Headers({
        "Content-Type": "application/json",
        "X-Signature-Ed25519": await signBytes(new TextEncoder().encode(`${timestamp}${rawBody}`)),
        "X-Signature-Timestamp": String(timestamp),
      });
    },
  };
}
