/** `npm run discord:invite`: prints the bot's invite URL (DISCORD_APPLICATION_ID from the environment or .dev.vars). */
import { existsSync, readFileSync } from "node:fs";
import { parseDotenv } from "./dev-vars.ts";
import { INVITE_PERMISSIONS, INVITE_SCOPES, inviteUrl } from "./discord-invite.ts";

const file = existsSync(".dev.vars") ? parseDotenv(readFileSync(".dev.vars", "utf8")) : {};
const applicationId = (
  process.env.DISCORD_APPLICATION_ID ??
  file.DISCORD_APPLICATION_ID ??
  ""
).trim();
try {
  if (!applicationId)
    throw new Error("DISCORD_APPLICATION_ID is not set (in the environment or .dev.vars)");
  console.log(inviteUrl(applicationId));
  console.log(`scopes: ${INVITE_SCOPES.join(", ")}; permissions: ${INVITE_PERMISSIONS.join(", ")}`);
} catch (err) {
  console.error(`discord:invite: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
}
