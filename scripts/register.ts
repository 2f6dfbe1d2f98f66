/**
 * Registers Quarry's slash commands with Discord: `npm run register`.
 * Reads DISCORD_APPLICATION_ID and DISCORD_BOT_TOKEN (and optionally DISCORD_GUILD_ID, to
 * register in one server only, which takes effect at once: handy while developing) from the
 * environment or `.dev.vars`. Commands are overwritten as a whole, so this is safe to rerun.
 */
import { DiscordApi } from "../adapters/discord/api.ts";
import { COMMANDS } from "../adapters/discord/commands.ts";
import { ConfigError } from "../src/errors.ts";
import { parseDotenv } from "./dev-vars.ts";

// This script reuses the Worker's Discord client, so it type-checks with the Worker code
// (Workers types, no @types/node): the two Node facilities it needs are typed here by hand.
interface NodeProcess {
  env: Record<string, string | undefined>;
  exitCode?: number;
}
interface NodeFs {
  readFileSync(path: string, encoding: "utf8"): string;
}
const nodeProcess = (globalThis as unknown as { process: NodeProcess }).process;
const fsModule = "node:fs";

/** `.dev.vars`, parsed; empty when there is none. */
async function readDevVars(path = ".dev.vars"): Promise<Record<string, string>> {
  try {
    const fs = (await import(fsModule)) as NodeFs;
    return parseDotenv(fs.readFileSync(path, "utf8"));
  } catch {
    return {};
  }
}

async function main(): Promise<void> {
  const vars = { ...(await readDevVars()), ...nodeProcess.env };
  const need = (name: string): string => {
    const value = vars[name]?.trim();
    if (!value) throw new ConfigError(name, "is not set (in the environment or .dev.vars)");
    return value;
  };
  const applicationId = need("DISCORD_APPLICATION_ID");
  const token = need("DISCORD_BOT_TOKEN");
  const guildId = vars.DISCORD_GUILD_ID?.trim() || undefined;
  const api = new DiscordApi({
    baseUrl: vars.DISCORD_API_URL?.trim() || "https://discord.com/api/v10",
    token,
    applicationId,
  });
  const registered = await api.bulkOverwriteCommands(COMMANDS, guildId);
  const where = guildId ? `in guild ${guildId}` : "globally";
  console.log(
    `Registered ${registered.length} commands ${where} for application ${applicationId}:`,
  );
  for (const c of registered) console.log(`  /${c.name} — ${c.description}`);
}

main().catch((err: unknown) => {
  console.error(`register: ${err instanceof Error ? err.message : String(err)}`);
  nodeProcess.exitCode = 1;
});
