import { describe, expect, it } from "vitest";
import { INVITE_PERMISSIONS, inviteUrl, permissionInteger } from "../../scripts/discord-invite.ts";

describe("Discord invite", () => {
  it("computes the permission integer from the named bits", () => {
    // ViewChannel 1<<10, SendMessages 1<<11, ReadMessageHistory 1<<16, SendMessagesInThreads 1<<38.
    const expected = (1n << 10n) | (1n << 11n) | (1n << 16n) | (1n << 38n);
    expect(permissionInteger(INVITE_PERMISSIONS)).toBe(expected.toString());
    expect(permissionInteger(["Administrator"])).toBe("8");
  });

  it("asks for exactly the bot and applications.commands scopes and those permissions", () => {
    const url = new URL(inviteUrl("1100000000000000001"));
    expect(url.origin + url.pathname).toBe("https://discord.com/oauth2/authorize");
    expect(Object.fromEntries(url.searchParams)).toEqual({
      client_id: "1100000000000000001",
      scope: "bot applications.commands",
      permissions: "274877975552",
    });
  });

  it("refuses an application id that is not a snowflake", () => {
    expect(() => inviteUrl("my-app")).toThrow(/numeric Application ID/);
  });
});
