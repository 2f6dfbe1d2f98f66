import type { Platform } from "../chat/types.ts";
import type { DmSettingsPolicy } from "../config.ts";

/**
 * Who is asking to change settings, as the adapter found out from the platform:
 * `true` / `false` in a channel (Slack: a workspace admin or owner; Discord: Manage
 * Channels), or, in a direct message with the bot, `{ dm: true, admin }`, which the
 * operator's `DM_SETTINGS` decides (Discord DMs have no admins).
 */
export type SettingsAccess = boolean | { dm: true; admin: boolean };

/** Whether `access` may change settings under the operator's DM policy. */
export function mayChange(access: SettingsAccess, policy: DmSettingsPolicy): boolean {
  if (typeof access === "boolean") return access;
  if (policy === "user") return true;
  return policy === "admins" && access.admin;
}

const CHANNEL_CHANGERS: Record<Platform, string> = {
  slack: "workspace admins and owners",
  discord: "members with the Manage Channels permission",
};

/**
 * Who may change settings there: the person in the DM, only the operator (nobody on the
 * platform), or the people a role names ("workspace admins and owners").
 */
export type Changer = { kind: "self" } | { kind: "operator" } | { kind: "role"; who: string };

export function changerOf(platform: Platform, dm: boolean, policy: DmSettingsPolicy): Changer {
  if (!dm) return { kind: "role", who: CHANNEL_CHANGERS[platform] };
  if (policy === "user") return { kind: "self" };
  // Discord DMs belong to no server, so nobody there is an admin.
  if (policy === "admins" && platform === "slack")
    return { kind: "role", who: CHANNEL_CHANGERS.slack };
  return { kind: "operator" };
}

/** Who may change the settings there, for help texts ("Only … can change them"). */
export function whoMayChange(platform: Platform, dm: boolean, policy: DmSettingsPolicy): string {
  const changer = changerOf(platform, dm, policy);
  if (changer.kind === "self") return "the person in this direct message";
  if (changer.kind === "operator") return "Quarry's operator (`DM_SETTINGS`)";
  return changer.who;
}

/** The refusal for someone who may not change settings; nothing was changed. */
export function changeRefusal(platform: Platform, dm: boolean, policy: DmSettingsPolicy): string {
  if (changerOf(platform, dm, policy).kind === "operator") {
    return "Settings of direct messages with Quarry are fixed by its operator (`DM_SETTINGS`). Nothing was changed.";
  }
  const where = dm ? "direct message's" : "channel's";
  return `Only ${whoMayChange(platform, dm, policy)} can change this ${where} settings. Nothing was changed.`;
}

/** Whether the settings command runs in a direct message with the bot. */
export function inDm(access: SettingsAccess, platform: Platform, channelId: string): boolean {
  // Slack shows settings without asking who you are, so a DM is known by its id there.
  return typeof access !== "boolean" || (platform === "slack" && channelId.startsWith("D"));
}
