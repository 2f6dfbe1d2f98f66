/**
 * Who may change a Slack channel's settings, and so stop anyone's answer there: workspace
 * admins and owners (`users.info`); in a DM with the bot, the one person in it.
 */
import type { SettingsAccess } from "../../src/settings/settings-access.ts";
import type { SlackApi } from "./api.ts";

/**
 * True for a workspace admin or owner, or anyone in a DM (`D…` channel). A failed lookup,
 * or one slower than `withinMs` when given, counts as no: the caller must stay inside
 * Slack's 3 s.
 */
export async function mayChangeSettings(
  api: SlackApi,
  channelId: string,
  userId: string,
  withinMs?: number,
): Promise<boolean> {
  if (channelId.startsWith("D")) return true;
  const lookup = api.userInfo(userId).then(
    (user) => Boolean(user.is_admin || user.is_owner || user.is_primary_owner),
    () => false,
  );
  if (withinMs === undefined) return lookup;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), withinMs);
  });
  try {
    return await Promise.race([lookup, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * What the settings command may let this person do. Workspace admins and owners may change
 * a channel's settings. In a DM with the bot the operator's `DM_SETTINGS` decides, so the
 * DM reports whether the person is an admin too.
 */
export async function settingsAccess(
  api: Pick<SlackApi, "userInfo">,
  command: { channelId: string; userId: string },
): Promise<SettingsAccess> {
  let admin = false;
  try {
    const user = await api.userInfo(command.userId);
    admin = Boolean(user.is_admin || user.is_owner || user.is_primary_owner);
  } catch {
    // Unknown rights are no rights: the person may still view the settings.
  }
  return command.channelId.startsWith("D") ? { dm: true, admin } : admin;
}
