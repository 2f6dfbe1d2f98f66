/**
 * `npm start`: prints the checklist, then runs `wrangler dev` (arguments after `--` are
 * passed on), and while it runs fires the Worker's cron every minute, as production does,
 * so the Discord Gateway connects and stays connected (wrangler dev runs no crons).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { lookup } from "node:dns/promises";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import {
  type CatalogResult,
  type ChecklistInput,
  devChecklist,
  discordOn,
  portOf,
} from "./dev-checklist.ts";
import { parseDotenv, type SecretsFile, tomlVars } from "./dev-vars.ts";

const CATALOG_TIMEOUT_MS = 4_000;
const CRON_EVERY_MS = 60_000;
const READY_WAIT_MS = 120_000;

function secretsFile(): ChecklistInput["file"] {
  for (const name of [".dev.vars", ".env"] as SecretsFile[])
    if (existsSync(name)) return { name, vars: parseDotenv(readFileSync(name, "utf8")) };
  return undefined;
}

async function fetchCatalog(baseUrl: string, apiKey: string | undefined): Promise<CatalogResult> {
  if (!apiKey) return { kind: "skipped" };
  try {
    const res = await fetch(`${baseUrl.replace(/\/+$/, "")}/models`, {
      headers: { Authorization: `Bearer ${apiKey}` },
      signal: AbortSignal.timeout(CATALOG_TIMEOUT_MS),
    });
    if (!res.ok) return { kind: "refused", status: res.status };
    const body = (await res.json()) as { data?: { id?: unknown }[] };
    return { kind: "listed", ids: (body.data ?? []).map((m) => String(m.id)) };
  } catch (err) {
    return { kind: "unreachable", reason: oneLine(err) };
  }
}

/** "getaddrinfo ENOTFOUND openrouter.ai" rather than a stack trace. */
function oneLine(err: unknown): string {
  if (err instanceof Error && err.name === "TimeoutError")
    return `no answer in ${CATALOG_TIMEOUT_MS / 1000} s`;
  const cause = err instanceof Error ? (err.cause as { message?: string } | undefined) : undefined;
  return (
    (cause?.message ?? (err instanceof Error ? err.message : String(err))).split("\n")[0] ?? ""
  );
}

function startWrangler(args: string[]): ChildProcess {
  const require = createRequire(import.meta.url);
  const bin = join(dirname(require.resolve("wrangler/package.json")), "bin", "wrangler.js");
  // --test-scheduled only silences wrangler's "crons are not triggered" warning: this script
  // triggers them. CLOUDFLARE_CF_FETCH_ENABLED=false skips the request.cf download, which
  // prints stack traces offline; Quarry never reads request.cf.
  return spawn(process.execPath, [bin, "dev", "--test-scheduled", ...args], {
    stdio: "inherit",
    env: { CLOUDFLARE_CF_FETCH_ENABLED: "false", ...process.env },
  });
}

const say = (text: string) => console.log(`[npm start] ${text}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms).unref());

/**
 * Fires the scheduled handler (which connects the Gateway) once the server answers, then
 * every minute. Offline it waits instead: a Gateway dial to a host that does not resolve
 * only fills the terminal with workerd's DNS errors.
 */
async function runCron(port: number, discordHost: string, child: ChildProcess): Promise<void> {
  const url = `http://127.0.0.1:${port}/cdn-cgi/local/scheduled?cron=${encodeURIComponent("* * * * *")}`;
  const fire = () =>
    fetch(url, { signal: AbortSignal.timeout(10_000) }).then(
      (r) => r.ok,
      () => false,
    );
  const deadline = Date.now() + READY_WAIT_MS;
  let ready = false;
  let online: boolean | undefined;
  while (child.exitCode === null) {
    const reachable = await lookup(discordHost).then(
      () => true,
      () => false,
    );
    if (reachable !== online) {
      online = reachable;
      if (!online)
        say(
          `Discord: ${discordHost} does not resolve (offline?); the Gateway connects once it does`,
        );
      else if (ready) say(`Discord: ${discordHost} is back; the Gateway reconnects`);
    }
    if (online) {
      const fired = await fire();
      if (fired && !ready)
        say("Discord: Gateway connection requested; the cron repeats every minute");
      ready ||= fired;
      if (!ready && Date.now() > deadline)
        return say("Discord: the dev server never answered the cron");
    }
    await sleep(ready || !online ? CRON_EVERY_MS : 1_000);
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const file = secretsFile();
  const toml = tomlVars(readFileSync("wrangler.toml", "utf8"));
  const baseUrl =
    file?.vars.OPENROUTER_BASE_URL || toml.OPENROUTER_BASE_URL || "https://openrouter.ai/api/v1";
  const apiKey = file?.vars.OPENROUTER_API_KEY?.trim() || process.env.OPENROUTER_API_KEY?.trim();
  const input: ChecklistInput = {
    file,
    shell: process.env,
    tomlVars: toml,
    port: portOf(args),
    catalog: await fetchCatalog(baseUrl, apiKey),
  };
  console.log(`${devChecklist(input).join("\n")}\n`);

  const child = startWrangler(args);
  if (discordOn(input)) {
    const api = file?.vars.DISCORD_API_URL || toml.DISCORD_API_URL || "https://discord.com/api/v10";
    void runCron(input.port, new URL(api).hostname, child);
  }
  for (const signal of ["SIGINT", "SIGTERM"] as const)
    process.on(signal, () => {
      // Ctrl-C reaches wrangler from the terminal too; this covers a plain `kill`.
      if (child.exitCode === null) child.kill(signal);
    });
  child.on("exit", (code, signal) => {
    process.exitCode = code ?? (signal ? 1 : 0);
  });
}

await main();
