/**
 * Compares the `Env` interface of src/config.ts with what `wrangler types` generates from
 * wrangler.toml (and, for the secrets, .dev.vars.example), so a binding, var or secret added
 * on one side only fails CI. Pure: `check-env.ts` runs wrangler and reads the files.
 */

/** Member name → type text of the first `interface <name> {…}` in `source`. */
export function interfaceMembers(source: string, name: string): Map<string, string> {
  const start = new RegExp(`interface\\s+${name}\\b[^{]*\\{`).exec(source);
  if (!start) throw new Error(`no interface ${name}`);
  const members = new Map<string, string>();
  let depth = 1;
  let i = start.index + start[0].length;
  let body = "";
  for (; i < source.length && depth > 0; i++) {
    const ch = source[i] as string;
    if (ch === "{") depth++;
    if (ch === "}") depth--;
    if (depth > 0) body += ch;
  }
  const withoutComments = body.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  for (const m of withoutComments.matchAll(/^\s*([A-Za-z_][A-Za-z0-9_]*)\??\s*:\s*([^;]+);/gm))
    members.set(m[1] as string, (m[2] as string).trim());
  return members;
}

/** What kind of binding a type text is: KV, a Durable Object namespace, or a string var/secret. */
function kind(type: string): string {
  if (/^KVNamespace\b/.test(type)) return "KVNamespace";
  if (/^DurableObjectNamespace\b/.test(type)) return "DurableObjectNamespace";
  if (/^(string|"[^"]*")$/.test(type)) return "string";
  return type;
}

/** Every disagreement between the generated Env and the hand-written one; empty when they match. */
export function envMismatches(
  generated: Map<string, string>,
  declared: Map<string, string>,
): string[] {
  const problems: string[] = [];
  for (const [name, type] of generated) {
    const mine = declared.get(name);
    if (mine === undefined)
      problems.push(
        `${name} (${kind(type)}) is in wrangler.toml or .dev.vars.example but not in Env`,
      );
    else if (kind(mine) !== kind(type))
      problems.push(`${name} is ${kind(type)} for wrangler but ${mine} in Env`);
  }
  for (const name of declared.keys())
    if (!generated.has(name))
      problems.push(`${name} is in Env but neither in wrangler.toml nor in .dev.vars.example`);
  return problems;
}
