/**
 * The invite URL for Quarry's bot: exactly the OAuth2 scopes and channel permissions the
 * code uses, named, so the number in the URL is never a magic constant.
 * https://discord.com/developers/docs/topics/oauth2#bot-authorization-flow
 */
import { PermissionFlagsBits } from "discord-api-types/v10";

/** `bot` joins the server; `applications.commands` lets it register `/ask` and `/settings`. */
export const INVITE_SCOPES = ["bot", "applications.commands"] as const;

/**
 * What the bot does in a channel: see it and read @mentions (ViewChannel), reply and show
 * typing (SendMessages), reply in threads started from its answers (SendMessagesInThreads),
 * and fetch reply chains and thread history (ReadMessageHistory). Not Embed Links: every
 * message it sends suppresses embeds. `/ask` answers through the interaction webhook, which
 * needs no permission.
 */
export const INVITE_PERMISSIONS = [
  "ViewChannel",
  "SendMessages",
  "SendMessagesInThreads",
  "ReadMessageHistory",
] as const satisfies readonly (keyof typeof PermissionFlagsBits)[];

/** The permission integer of `names`, as Discord's `permissions=` parameter takes it. */
export function permissionInteger(names: readonly (keyof typeof PermissionFlagsBits)[]): string {
  return names.reduce((sum, name) => sum | PermissionFlagsBits[name], 0n).toString();
}

export function inviteUrl(applicationId: string): string {
  if (!/^\d{17,20}$/.test(applicationId))
    throw new Error(
      "DISCORD_APPLICATION_ID must be the numeric Application ID from the Developer Portal",
    );
  const params = new URLSearchParams({
    client_id: applicationId,
    scope: INVITE_SCOPES.join(" "),
    permissions: permissionInteger(INVITE_PERMISSIONS),
  });
  return `https://discord.com/oauth2/authorize?${params}`;
}
