/**
 * The `nonce` a keyed channel message carries. With `enforce_nonce: true`, Discord returns
 * the message an earlier create with the same nonce made (for "the past few minutes")
 * instead of making another, so a post retried after a timeout is not shown twice. Discord
 * takes up to 25 characters; the key is hashed so any key fits and the nonce stays stable.
 * https://discord.com/developers/docs/resources/message#create-message
 */
const NONCE_CHARS = 25;

export async function nonceFor(key: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(key));
  const hex = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
  // A letter first, so Discord never reads it as an integer.
  return `q${hex}`.slice(0, NONCE_CHARS);
}
