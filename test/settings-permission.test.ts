import { describe, expect, it } from "vitest";
import { settingsAccess as mayChangeSettings } from "../adapters/slack/permissions.ts";
import { mayChange } from "../src/settings/settings-access.ts";

/** A Slack API that knows these users, and records whom it was asked about. */
function api(users: Record<string, { is_admin?: boolean; is_owner?: boolean }>) {
  const asked: string[] = [];
  return {
    asked,
    async userInfo(id: string) {
      asked.push(id);
      const user = users[id];
      if (!user) throw new Error("user_not_found");
      return { id, name: id, ...user };
    },
  };
}

describe("Slack mayChangeSettings", () => {
  it("lets workspace admins and owners change a channel's settings, and nobody else", async () => {
    const slack = api({ U0ADMIN: { is_admin: true }, U0OWNER: { is_owner: true }, U0ANA: {} });
    const check = (userId: string) => mayChangeSettings(slack, { channelId: "C0CHAN", userId });
    expect(await check("U0ADMIN")).toBe(true);
    expect(await check("U0OWNER")).toBe(true);
    expect(await check("U0ANA")).toBe(false);
    // Unknown rights are no rights.
    expect(await check("U0GONE")).toBe(false);
    expect(slack.asked).toEqual(["U0ADMIN", "U0OWNER", "U0ANA", "U0GONE"]);
  });

  it("in a DM, says whether the person is an admin so DM_SETTINGS can decide", async () => {
    const slack = api({ U0ADMIN: { is_admin: true }, U0ANA: {} });
    expect(await mayChangeSettings(slack, { channelId: "D0DM", userId: "U0ANA" })).toEqual({
      dm: true,
      admin: false,
    });
    expect(await mayChangeSettings(slack, { channelId: "D0DM", userId: "U0ADMIN" })).toEqual({
      dm: true,
      admin: true,
    });
    expect(await mayChangeSettings(slack, { channelId: "D0DM", userId: "U0GONE" })).toEqual({
      dm: true,
      admin: false,
    });
  });
});

describe("mayChange", () => {
  it("follows the platform in channels and DM_SETTINGS in DMs", () => {
    for (const policy of ["user", "admins", "nobody"] as const) {
      expect(mayChange(true, policy)).toBe(true);
      expect(mayChange(false, policy)).toBe(false);
    }
    const person = { dm: true as const, admin: false };
    const admin = { dm: true as const, admin: true };
    expect([mayChange(person, "user"), mayChange(admin, "user")]).toEqual([true, true]);
    expect([mayChange(person, "admins"), mayChange(admin, "admins")]).toEqual([false, true]);
    expect([mayChange(person, "nobody"), mayChange(admin, "nobody")]).toEqual([false, false]);
  });
});
