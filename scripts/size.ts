/**
 * `npm run size`: the deployable Worker's size and startup time as wrangler measures them,
 * beside a bare Worker measured in the same run.
 * - Size: `wrangler deploy --dry-run`, which builds with wrangler.toml (`minify = true`): its
 *   "Total Upload" raw and gzip figures, and which inputs take the most of the bundle.
 * - Startup: `wrangler check startup`, which loads the bundle in local workerd under the V8
 *   profiler and reports the CPU time the profiler saw active. Its sampler ticks about once
 *   a millisecond and charges the gap before its first tick to whatever runs then, so a
 *   Worker that does nothing can read 0–25 ms: the bare Worker shows that floor, and each
 *   figure is the median of several runs taken in turn. The last column counts the ticks
 *   that found the Worker busy (about a millisecond of work each), which leaves such gaps
 *   out.
 * `-- --chat-sdk` adds the Chat SDK's minimal Worker (scripts/chat-sdk-worker.ts), installed
 * from the npm registry into a temp directory and bundled by the same wrangler, as is and
 * minified. `-- --runs N` sets how many startup profiles each Worker gets (default 7).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { cpus, release, tmpdir, type } from "node:os";
import { dirname, join } from "node:path";
import { BARE_WORKER_FILES, CHAT_SDK_FILES } from "./chat-sdk-worker.ts";

interface Worker {
  name: string;
  /** Where its wrangler.toml is. */
  dir: string;
  /** Extra `wrangler deploy` flags. */
  flags: string[];
  bundle?: string;
  rawKiB?: number;
  gzipKiB?: number;
  /** `wrangler check startup`'s "Active" figure, one per run. */
  startupMs: number[];
  /** Ticks of the same profiles that found it busy, one count per run. */
  ticks: number[];
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string } }[];
  samples: number[];
  timeDeltas: number[];
}

const worker = (name: string, dir: string, flags: string[] = []): Worker => ({
  name,
  dir,
  flags,
  startupMs: [],
  ticks: [],
});

const WRANGLER = join(
  dirname(createRequire(import.meta.url).resolve("wrangler/package.json")),
  "bin",
  "wrangler.js",
);
const ENV = {
  ...process.env,
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  WRANGLER_SEND_METRICS: "false",
};

const args = process.argv.slice(2);
const runs = Number(args[args.indexOf("--runs") + 1]) || 7;
const withChatSdk = args.includes("--chat-sdk");
const tmp = mkdtempSync(join(tmpdir(), "quarry-size-"));

function wrangler(dir: string, argv: string[]): string {
  return execFileSync(process.execPath, [WRANGLER, ...argv], {
    cwd: dir,
    env: ENV,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
}

function writeFiles(dir: string, files: Record<string, string>): string {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

/** Builds the Worker as `wrangler deploy` would upload it, and reads wrangler's own sizes. */
function build(w: Worker): void {
  w.bundle = join(tmp, `${w.name.replace(/\W+/g, "-")}.bundle`);
  const out = wrangler(w.dir, ["deploy", "--dry-run", `--outfile=${w.bundle}`, ...w.flags]);
  const m = /Total Upload: ([\d.]+) KiB \/ gzip: ([\d.]+) KiB/.exec(out);
  if (!m) throw new Error(`no "Total Upload" line from wrangler for ${w.name}:\n${out}`);
  w.rawKiB = Number(m[1]);
  w.gzipKiB = Number(m[2]);
}

function startup(w: Worker): void {
  const profile = join(tmp, "startup.cpuprofile");
  const out = wrangler(w.dir, ["check", "startup", `--worker=${w.bundle}`, `--outfile=${profile}`]);
  const m = /Active: ([\d.]+) ms/.exec(out);
  if (!m) throw new Error(`no "Active" line from wrangler check startup for ${w.name}:\n${out}`);
  w.startupMs.push(Number(m[1]));
  w.ticks.push(activeTicks(JSON.parse(readFileSync(profile, "utf8"))));
}

/** Ticks that found the Worker busy: about a millisecond of work each. */
function activeTicks(profile: CpuProfile): number {
  const names = new Map(profile.nodes.map((n) => [n.id, n.callFrame.functionName]));
  return profile.samples.filter((id) => names.get(id) !== "(idle)").length;
}

/** Minified bytes per package (or per top folder of ours) in the shipped bundle. */
function largestInputs(): string {
  const outdir = join(tmp, "quarry-out");
  const meta = join(tmp, "quarry-meta.json");
  wrangler(".", ["deploy", "--dry-run", `--outdir=${outdir}`, `--metafile=${meta}`]);
  const outputs = JSON.parse(readFileSync(meta, "utf8")).outputs as Record<
    string,
    { inputs: Record<string, { bytesInOutput: number }> }
  >;
  const by = new Map<string, number>();
  for (const output of Object.values(outputs))
    for (const [path, { bytesInOutput }] of Object.entries(output.inputs)) {
      const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1];
      const key = pkg ?? path.split("/").slice(0, 2).join("/");
      by.set(key, (by.get(key) ?? 0) + bytesInOutput);
    }
  return [...by]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 8)
    .map(([key, bytes]) => `${key} ${(bytes / 1024).toFixed(1)}`)
    .join(", ");
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

function row(cells: (string | number)[]): string {
  const widths = [42, 8, 9, 28];
  return cells.map((c, i) => String(c).padEnd(widths[i] ?? 10)).join(" ");
}

try {
  const workers: Worker[] = [
    worker("Quarry (wrangler.toml: minify)", "."),
    worker("bare Worker (startup floor)", writeFiles(join(tmp, "bare"), BARE_WORKER_FILES)),
  ];
  if (withChatSdk) {
    const dir = writeFiles(join(tmp, "chat-sdk"), CHAT_SDK_FILES);
    console.log(`installing the Chat SDK minimal Worker in ${dir} (npm registry)…`);
    execFileSync("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error"], {
      cwd: dir,
      stdio: ["ignore", "ignore", "inherit"],
    });
    workers.push(
      worker("Chat SDK minimal (as wrangler builds it)", dir),
      worker("Chat SDK minimal (--minify)", dir, ["--minify"]),
    );
  }
  for (const w of workers) build(w);
  // In turn, so that whatever else the machine does weighs on every Worker alike.
  for (let i = 0; i < runs; i++) for (const w of workers) startup(w);

  const cpu = cpus();
  const version = wrangler(".", ["--version"]).trim();
  console.log(
    `machine: ${cpu[0]?.model ?? "?"}, ${cpu.length} cores, ${type()} ${release()}, Node ${process.version}, wrangler ${version}`,
  );
  console.log(`startup: median of ${runs} profiles each (range)`);
  console.log(`${row(["Worker", "raw KiB", "gzip KiB", "startup ms (wrangler)"])}busy ticks`);
  for (const w of workers) {
    const range = `${Math.min(...w.startupMs).toFixed(1)}–${Math.max(...w.startupMs).toFixed(1)}`;
    const cells = [
      w.name,
      w.rawKiB ?? "",
      w.gzipKiB ?? "",
      `${median(w.startupMs).toFixed(1)} (${range})`,
    ];
    console.log(`${row(cells)}${median(w.ticks)}`);
  }
  console.log(`largest inputs of Quarry's bundle (KiB of it): ${largestInputs()}`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
