/**
 * Who may change a Slack channel's settings, and so stop anyone's answer there: workspace
 * admins and owners (`users.info`); in a DM with the bot, the one person in it.
 */
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
