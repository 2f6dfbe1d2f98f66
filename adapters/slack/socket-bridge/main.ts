/**
 * `npm run slack:socket`: connects to Slack in Socket Mode and forwards everything to the
 * Worker that `npm start` runs, so a real workspace works without a public URL.
 * Reads SLACK_APP_TOKEN and SLACK_SIGNING_SECRET from the environment or `.dev.vars`;
 * `--url` (or QUARRY_SLACK_URL) names the Worker route, default http://localhost:8787/slack/events.
 */
import { existsSync, readFileSync } from "node:fs";
import { parseDotenv } from "../../../scripts/dev-vars.ts";
import { startBridge } from "./bridge.ts";

function settings(): { appToken: string; signingSecret: string; workerUrl: string } {
  const file = existsSync(".dev.vars") ? parseDotenv(readFileSync(".dev.vars", "utf8")) : {};
  const vars: Record<string, string | undefined> = { ...file, ...process.env };
  const appToken = vars.SLACK_APP_TOKEN?.trim() ?? "";
  const signingSecret = vars.SLACK_SIGNING_SECRET?.trim() ?? "";
  const problems: string[] = [];
  if (!appToken.startsWith("xapp-"))
    problems.push(
      `SLACK_APP_TOKEN ${appToken ? "is not an app-level token (xapp-…)" : "is not set"}: make one with the connections:write scope under Basic Information → App-Level Tokens and put it in .dev.vars`,
    );
  if (!signingSecret)
    problems.push("SLACK_SIGNING_SECRET is not set: the same value as the Worker's, in .dev.vars");
  if (problems.length) throw new Error(problems.join("\n  "));
  const flag = process.argv.indexOf("--url");
  const workerUrl =
    (flag >= 0 ? process.argv[flag + 1] : undefined) ??
    vars.QUARRY_SLACK_URL ??
    "http://localhost:8787/slack/events";
  return { appToken, signingSecret, workerUrl };
}

try {
  const opts = settings();
  const bridge = await startBridge(opts);
  console.log(`[slack:socket] connected to Slack; forwarding to ${opts.workerUrl} (Ctrl-C stops)`);
  const stop = () => void bridge.stop().finally(() => process.exit(0));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
} catch (err) {
  // Slack's refusals (invalid_auth, not_allowed_token_type…) are one line, never a stack.
  const data = (err as { data?: { error?: string } }).data;
  const reason = data?.error ?? (err instanceof Error ? err.message : String(err));
  console.error(`slack:socket: ${reason}`);
  process.exitCode = 1;
}
