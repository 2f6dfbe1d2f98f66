/**
 * The `user` id sent to OpenRouter: stable per person (so OpenRouter's abuse tracking
 * works) but not the platform's id, and not a bare hash of it either: Slack and Discord ids
 * are short and guessable, so SHA-256 of one could be reversed by trying them all. It is
 * an HMAC-SHA256 of `quarry:{platform}:{userId}` keyed with a secret (the OpenRouter API
 * key: only someone who has it could link an id back), hex, first 32 characters.
 */
export async function hashUser(secret: string, platform: string, userId: string): Promise<string> {
  const mac = new Uint8Array(
    await crypto.subtle.sign(
      "HMAC",
      await keyOf(secret),
      encoder.encode(`quarry:${platform}:${userId}`),
    ),
  );
  let hex = "";
  for (const byte of mac) hex += byte.toString(16).padStart(2, "0");
  return hex.slice(0, 32);
}

const encoder = new TextEncoder();

/**
 * The imported key of the last secret: every answer signs with the same one, and a
 * `CryptoKey` is a plain value the isolate may keep (it holds no connection).
 */
let imported: { secret: string; key: CryptoKey } | undefined;

async function keyOf(secret: string): Promise<CryptoKey> {
  if (imported?.secret === secret) return imported.key;
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  imported = { secret, key };
  return key;
}
