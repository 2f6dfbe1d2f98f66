/**
 * `.dev.vars` is dotenv syntax: `KEY=value` lines, `#` comments, optional `export ` and
 * quotes. Pure (no file system) so both the Node scripts and `register.ts` can use it.
 */
export function parseDotenv(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    if (line.trimStart().startsWith("#")) continue;
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m) continue;
    vars[m[1] as string] = (m[2] as string).replace(/^(["'])(.*)\1$/, "$2");
  }
  return vars;
}

/** `[vars]` of a wrangler.toml: the `NAME = "value"` lines of that table only. */
export function tomlVars(toml: string): Record<string, string> {
  const vars: Record<string, string> = {};
  let inVars = false;
  for (const line of toml.split(/\r?\n/)) {
    const table = /^\s*\[\[?([^\]]*)\]\]?\s*(?:#.*)?$/.exec(line);
    if (table) {
      inVars = table[1]?.trim() === "vars";
      continue;
    }
    const m = inVars && /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"/.exec(line);
    if (m) vars[m[1] as string] = m[2] as string;
  }
  return vars;
}

/** Where `wrangler dev` takes secrets from: `.dev.vars` if it exists, else `.env`. */
export type SecretsFile = ".dev.vars" | ".env";
