/**
 * The `user` id sent to OpenRouter: stable per person (so abuse tracking works) but not
 * the platform's raw id. SHA-256 hex of `quarry:{platform}:{userId}`, first 32 chars.
 */
export async function hashUser(platform: string, userId: string): Promise<string> {
  const bytes = new TextEncoder().encode(`quarry:${platform}:${userId}`);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  let hex = "";
  for (const byte of digest) hex += byte.toString(16).padStart(2, "0");
  return hex.slice(0, 32);
}
