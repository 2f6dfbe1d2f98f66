/**
 * Runs a Worker under `wrangler dev` (local mode) from a config written to a temp dir, with
 * its vars and secrets in that dir's .dev.vars: the developer's own .dev.vars and
 * .wrangler/state are never read or written. Stopped by killing wrangler's process group.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

export interface DevWorker {
  url: string;
  stop(): Promise<void>;
}

const READY_WAIT_MS = 120_000;

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

/** `config` is wrangler.toml text whose `main` is an absolute path; `vars` go to .dev.vars. */
export async function startWorker(
  label: string,
  config: string,
  vars: Record<string, string>,
): Promise<DevWorker> {
  const dir = mkdtempSync(join(tmpdir(), `quarry-${label}-`));
  writeFileSync(join(dir, "wrangler.toml"), config);
  const dotenv = Object.entries(vars).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  writeFileSync(join(dir, ".dev.vars"), `${dotenv.join("\n")}\n`);
  const [port, inspector] = [await freePort(), await freePort()];
  const require = createRequire(import.meta.url);
  const bin = join(dirname(require.resolve("wrangler/package.json")), "bin", "wrangler.js");
  const args = [bin, "dev", "--local", "--ip", "127.0.0.1", "--port", String(port)];
  args.push("--inspector-port", String(inspector), "--persist-to", join(dir, "state"));
  // Quiet unless BENCH_LOAD_LOG_DIR asks for the Worker's log lines (kept below).
  const logLevel = process.env.BENCH_LOAD_LOG_DIR ? "log" : "warn";
  args.push("--config", join(dir, "wrangler.toml"), "--log-level", logLevel);
  const child = spawn(process.execPath, args, {
    cwd: dir,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" },
  });
  let output = "";
  // BENCH_LOAD_LOG_DIR=dir keeps each Worker's whole output (its JSON log lines) in dir/<label>.log.
  const logDir = process.env.BENCH_LOAD_LOG_DIR;
  const keep = (b: Buffer) => {
    output = (output + b.toString()).slice(-20_000);
    if (logDir) appendFileSync(join(logDir, `${label}.log`), b);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const url = `http://127.0.0.1:${port}`;
  const worker: DevWorker = {
    url,
    stop: async () => {
      await killGroup(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  const deadline = Date.now() + READY_WAIT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    const ok = await fetch(`${url}/__ready`, { signal: AbortSignal.timeout(2_000) }).then(
      () => true,
      () => false,
    );
    if (ok) return worker;
    await new Promise((r) => setTimeout(r, 300));
  }
  await worker.stop();
  throw new Error(`${label}: wrangler dev did not come up\n${output}`);
}

async function killGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.pid === undefined) return;
  const exited = new Promise((r) => child.once("exit", r));
  try {
    process.kill(-child.pid, "SIGTERM");
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }, 5_000);
  await exited;
  clearTimeout(timer);
}

/** The repo's wrangler.toml with `main` made absolute, so it can live in a temp dir. */
export function quarryConfig(repoToml: string, repoRoot: string): string {
  return repoToml.replace(
    /^main = "(.+)"$/m,
    (_, main: string) => `main = "${join(repoRoot, main)}"`,
  );
}
