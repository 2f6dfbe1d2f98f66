/**
 * `npm run bench:load`: Quarry under `wrangler dev` (local mode) against the test fakes served
 * over HTTP with the platforms' rate limits, then (1) 100 concurrent conversations checked
 * for losses, duplicates and wrong threads, and (2) ack latency against a floor Worker.
 * `-- --load-only` / `-- --ack-only` run one part. Exits 1 on any loss, duplicate or wrong thread.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { runAck } from "./ack.ts";
import {
  DISCORD_APP_ID,
  DISCORD_TOKEN,
  newDiscord,
  openRouterHandler,
  SLACK_TOKEN,
  SlackWorkspaces,
  serve,
} from "./http-fakes.ts";
import { runLoad } from "./load.ts";
import { type Conversation, discordSigner, replyFor, SIGNING_SECRET } from "./scenario.ts";
import { stopSender, type World } from "./send.ts";
import { load, machine } from "./stats.ts";
import { markCompleted } from "./verify.ts";
import { type DevWorker, quarryConfig, startWorker } from "./wrangler-dev.ts";

/** Pause between streamed deltas (1-4 words each): a 162-word answer streams for about 2 s. */
const DELTA_MS = 25;

const root = fileURLToPath(new URL("../../", import.meta.url));
const args = new Set(process.argv.slice(2));
const doLoad = !args.has("--ack-only");
const doAck = !args.has("--load-only");

const w: World = {
  slack: new SlackWorkspaces(),
  discord: newDiscord(),
  signer: discordSigner(),
};
const watched: Conversation[] = [];
const answers = new Map<string, string>();
const watch = (list: Conversation[]) => {
  watched.push(...list);
  for (const c of list) answers.set(c.id, c.answer);
};
// Completion is stamped when the fake has handled the write that completed the answer.
const check = () => void markCompleted(watched, w.slack, w.discord);
const openrouter = openRouterHandler(replyFor(answers, DELTA_MS));
const servers = [
  await serve(w.slack.handle, check),
  await serve((req) => w.discord.handle(req), check),
  await serve(openrouter.handle),
];
const [slackServer, discordServer, openrouterServer] = servers;
const secrets = {
  OPENROUTER_API_KEY: "sk-or-load-bench",
  SLACK_BOT_TOKEN: SLACK_TOKEN,
  SLACK_SIGNING_SECRET: SIGNING_SECRET,
  DISCORD_APPLICATION_ID: DISCORD_APP_ID,
  DISCORD_BOT_TOKEN: DISCORD_TOKEN,
  DISCORD_PUBLIC_KEY: w.signer.publicKeyHex,
};
const workers: DevWorker[] = [];
let failed = false;

async function shutdown(): Promise<void> {
  stopSender();
  await Promise.all(workers.map((x) => x.stop()));
  for (const s of servers) s.closeAllConnections();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
}
for (const signal of ["SIGINT", "SIGTERM"] as const)
  process.on(signal, () => void shutdown().finally(() => process.exit(130)));

try {
  console.log(`machine: ${machine()}`);
  console.log(`date: ${new Date().toISOString()}; load average ${load()}`);
  const quarry = await startWorker(
    "quarry",
    quarryConfig(readFileSync(`${root}wrangler.toml`, "utf8"), root),
    {
      ...secrets,
      SLACK_API_URL: `${slackServer?.url}/api`,
      DISCORD_API_URL: `${discordServer?.url}/api/v10`,
      OPENROUTER_BASE_URL: `${openrouterServer?.url}/api/v1`,
    },
  );
  workers.push(quarry);
  const health = await (await fetch(`${quarry.url}/health`)).json();
  console.log(`quarry under wrangler dev at ${quarry.url}: ${JSON.stringify(health)}`);
  if (doLoad) {
    console.log("\n## Load: 100 conversations");
    const load = await runLoad(quarry.url, w, watch);
    for (const line of load.lines) console.log(line);
    const v = load.verdict;
    failed ||= v.losses.length + v.duplicates.length + v.wrongThread.length > 0;
    console.log(`openrouter chat completions requested: ${openrouter.chatRequests()}`);
  }
  if (doAck) {
    console.log("\n## Ack latency");
    const floorConfig = [
      'name = "quarry-ack-floor"',
      `main = "${root}bench/load/worker/floor-worker.ts"`,
      'compatibility_date = "2026-10-20"',
      "[[durable_objects.bindings]]",
      'name = "FLOOR"',
      'class_name = "FloorObject"',
      "[[migrations]]",
      'tag = "v1"',
      'new_sqlite_classes = ["FloorObject"]',
    ].join("\n");
    const floor = await startWorker("floor", floorConfig, secrets);
    workers.push(floor);
    const ack = await runAck(quarry.url, floor.url, w, watch);
    for (const line of ack.lines) console.log(line);
    failed ||= ack.losses > 0;
  }
  console.log(`\nload average at the end: ${load()}`);
  console.log(
    `\nverdict: ${failed ? "FAIL (loss, duplicate or wrong thread)" : "ok: no loss, no duplicate, no wrong thread"}`,
  );
} catch (err) {
  console.error(err);
  failed = true;
} finally {
  await shutdown();
}
process.exit(failed ? 1 : 0);
