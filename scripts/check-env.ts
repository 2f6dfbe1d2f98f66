/**
 * `npm run check:env` (CI runs it): `wrangler types` from wrangler.toml, with the secrets of
 * .dev.vars.example, must give the same names and kinds as `Env` in src/config.ts. This
 * wrangler's `types --check` only compares against a generated file, and Quarry's `Env` is
 * written by hand (with a doc comment per field), so the two are compared here instead.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { envMismatches, interfaceMembers } from "./env-check.ts";

const dir = mkdtempSync(join(tmpdir(), "quarry-env-"));
try {
  const out = join(dir, "env.d.ts");
  const bin = join(
    dirname(createRequire(import.meta.url).resolve("wrangler/package.json")),
    "bin",
    "wrangler.js",
  );
  execFileSync(
    process.execPath,
    [bin, "types", out, "--include-runtime=false", "--env-file", ".dev.vars.example"],
    {
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" },
    },
  );
  const generated = interfaceMembers(readFileSync(out, "utf8"), "__BaseEnv_Env");
  const declared = interfaceMembers(readFileSync("src/config.ts", "utf8"), "Env");
  const problems = envMismatches(generated, declared);
  if (problems.length) {
    console.error(
      `check:env: Env (src/config.ts) and wrangler.toml disagree:\n  ${problems.join("\n  ")}`,
    );
    process.exitCode = 1;
  } else {
    console.log(
      `check:env: Env matches wrangler.toml and .dev.vars.example (${declared.size} names)`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
