/**
 * The checklist `npm start` prints before `wrangler dev` starts: which secrets the Worker
 * will have (never their values), whether DEFAULT_MODEL exists at OpenRouter, the URLs to
 * give Slack and Discord, and the plan limits that cut long answers. Pure: `dev.ts` reads
 * the files and the catalog and hands them in, so tests can give any situation.
 */
import type { SecretsFile } from "./dev-vars.ts";

/** Fallback of DEFAULT_MODEL when neither .dev.vars nor wrangler.toml sets it (src/config.ts). */
export const BUILT_IN_MODEL = "openai/o4-mini-deep-research";

export type CatalogResult =
  /** Not asked: no OpenRouter key. */
  | { kind: "skipped" }
  | { kind: "listed"; ids: string[] }
  /** No answer (offline, DNS, timeout): `reason` is one short line. */
  | { kind: "unreachable"; reason: string }
  | { kind: "refused"; status: number };

export interface ChecklistInput {
  /** The file `wrangler dev` reads secrets from, when there is one, and what it holds. */
  file?: { name: SecretsFile; vars: Record<string, string> };
  /** The shell's environment (wrangler dev does not hand it to the Worker). */
  shell: Record<string, string | undefined>;
  /** `[vars]` of wrangler.toml. */
  tomlVars: Record<string, string>;
  port: number;
  catalog: CatalogResult;
}

const PLATFORMS = [
  { name: "OpenRouter", keys: ["OPENROUTER_API_KEY"], off: "no question can be answered" },
  { name: "Slack", keys: ["SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"], off: "Slack is off" },
  {
    name: "Discord",
    keys: ["DISCORD_APPLICATION_ID", "DISCORD_PUBLIC_KEY", "DISCORD_BOT_TOKEN"],
    off: "Discord is off",
  },
] as const;

/** Read by the Node tools only, never by the Worker. */
const TOOL_SECRETS = [
  { key: "SLACK_APP_TOKEN", use: "npm run slack:socket" },
  { key: "DISCORD_GUILD_ID", use: "npm run register in one server" },
] as const;

const has = (vars: Record<string, string | undefined> | undefined, key: string) =>
  Boolean(vars?.[key]?.trim());

/** A secret the Worker under `wrangler dev` will see. */
export function workerHas(input: ChecklistInput, key: string): boolean {
  return has(input.file?.vars, key);
}

/** True when the Worker will have a well-formed Discord configuration (so the Gateway connects). */
export function discordOn(input: ChecklistInput): boolean {
  const keys = PLATFORMS[2].keys;
  return (
    keys.every((k) => workerHas(input, k)) &&
    /^[0-9a-f]{64}$/i.test(input.file?.vars.DISCORD_PUBLIC_KEY?.trim() ?? "")
  );
}

/** DEFAULT_MODEL as the Worker will see it: .dev.vars over wrangler.toml over the built-in. */
export function defaultModelOf(input: ChecklistInput): string {
  return (
    input.file?.vars.DEFAULT_MODEL?.trim() || input.tomlVars.DEFAULT_MODEL?.trim() || BUILT_IN_MODEL
  );
}

function secretLines(input: ChecklistInput): string[] {
  const source = input.file ? `from ${input.file.name}` : "no .dev.vars yet";
  const lines = [`Secrets (${source}; values are never shown):`];
  for (const p of PLATFORMS) {
    const missing = p.keys.filter((k) => !workerHas(input, k));
    if (!missing.length) {
      lines.push(`  ✓ ${p.name}: ${p.keys.join(", ")}`);
      if (p.name === "Discord" && !discordOn(input))
        lines.push("  ✗ DISCORD_PUBLIC_KEY is not the 64 hex characters of the Developer Portal");
      continue;
    }
    lines.push(`  ✗ ${p.name}: ${missing.join(", ")} missing (${p.off})`);
  }
  for (const t of TOOL_SECRETS)
    lines.push(
      `  ${workerHas(input, t.key) || has(input.shell, t.key) ? "✓" : "·"} ${t.key} (${t.use})`,
    );
  const shellOnly = PLATFORMS.flatMap((p) => p.keys).filter(
    (k) => !workerHas(input, k) && has(input.shell, k),
  );
  if (shellOnly.length)
    lines.push(
      `  ! ${shellOnly.join(", ")} set in your shell only: wrangler dev passes .dev.vars to the Worker, not the shell; add ${shellOnly.length > 1 ? "them" : "it"} there`,
    );
  if (!input.file)
    lines.push("  → cp .dev.vars.example .dev.vars, fill it in, and run npm start again");
  return lines;
}

function modelLine(input: ChecklistInput): string {
  const model = defaultModelOf(input);
  const c = input.catalog;
  switch (c.kind) {
    case "skipped":
      return `· DEFAULT_MODEL ${model}: not checked against OpenRouter's catalog (no OPENROUTER_API_KEY)`;
    case "unreachable":
      return `· DEFAULT_MODEL ${model}: not checked, OpenRouter is unreachable (${c.reason})`;
    case "refused":
      return `! DEFAULT_MODEL ${model}: not checked, OpenRouter's catalog answered HTTP ${c.status}`;
    case "listed": {
      if (c.ids.includes(model)) return `✓ DEFAULT_MODEL ${model} is in OpenRouter's catalog`;
      const similar = c.ids.filter((id) => id.includes("deep-research")).slice(0, 3);
      const hint = similar.length
        ? ` (deep-research models listed now: ${similar.join(", ")})`
        : "";
      return `✗ DEFAULT_MODEL ${model} is not in OpenRouter's catalog: retired or misspelt, answers will fail. Set DEFAULT_MODEL in .dev.vars or wrangler.toml${hint}`;
    }
  }
}

function urlLines(input: ChecklistInput): string[] {
  const local = `http://localhost:${input.port}`;
  return [
    "URLs:",
    `  health    ${local}/health`,
    `  Slack     npm run slack:socket (Socket Mode: no public URL needed), or with a tunnel to ${local}:`,
    "            https://<tunnel>/slack/events as the request URL (events, commands, interactivity)",
    `  Discord   Interactions Endpoint URL https://<tunnel>/discord/interactions (a tunnel to ${local});`,
    `            the Gateway (@mentions) ${discordOn(input) ? "is connected by npm start, no tunnel needed" : "connects once Discord's three secrets are set"}`,
  ];
}

/** The checklist, one string per line. */
export function devChecklist(input: ChecklistInput): string[] {
  return [
    "Quarry: npm start checklist",
    ...secretLines(input),
    modelLine(input),
    ...urlLines(input),
    "! Deployed on Workers Free, long answers are cut (10 ms CPU, 50 subrequests per invocation): deep research needs Workers Paid",
  ];
}

/** `--port 9000` / `--port=9000` among the arguments for wrangler, else wrangler's default. */
export function portOf(args: string[]): number {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    const value = arg.startsWith("--port=") ? arg.slice(7) : arg === "--port" ? args[i + 1] : "";
    if (value && /^\d+$/.test(value)) return Number(value);
  }
  return 8787;
}
