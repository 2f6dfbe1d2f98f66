/**
 * "100 conversations": 50 Slack mentions (5 workspaces, 2 channels each, 5 questions per
 * channel) and 50 Discord `/ask` (2 servers, 5 channels each, 5 per channel), sent at
 * once; then the answers are awaited and checked in the fakes' records.
 */
import type { FakeDiscord } from "../../test/fakes/discord-api.ts";
import type { SlackWorkspaces } from "./http-fakes.ts";
import { type Conversation, type Layout, plan } from "./scenario.ts";
import { sendAll, until, type World } from "./send.ts";
import { p50p99 } from "./stats.ts";
import { markCompleted, type Verdict, verdict } from "./verify.ts";

export const LOAD_LAYOUT: Layout = {
  prefix: "L",
  slackTeams: 5,
  discordGuilds: 2,
  channelsPerWorkspace: 2,
  perChannel: 5,
  words: 160,
};
/** Discord servers get 5 channels each (2 x 5 x 5 = 50), Slack workspaces 2 (5 x 2 x 5 = 50). */
const DISCORD_CHANNELS = 5;
const COMPLETION_TIMEOUT_MS = 300_000;

export interface LoadResult {
  lines: string[];
  verdict: Verdict;
  ackFailures: number;
}

export async function runLoad(
  workerUrl: string,
  w: World,
  watch: (list: Conversation[]) => void,
): Promise<LoadResult> {
  const slackPart = plan({ ...LOAD_LAYOUT, discordGuilds: 0 }, w.slack, w.discord);
  const discordPart = plan(
    { ...LOAD_LAYOUT, slackTeams: 0, channelsPerWorkspace: DISCORD_CHANNELS },
    w.slack,
    w.discord,
  );
  const list = [...slackPart, ...discordPart];
  watch(list);
  const started = Date.now();
  await sendAll(workerUrl, list, w);
  await until(() => markCompleted(list, w.slack, w.discord) === 0, COMPLETION_TIMEOUT_MS, 100);
  const wall = (Date.now() - started) / 1000;
  // Late duplicates (a retried post after the answer was complete) would land within seconds.
  await new Promise((r) => setTimeout(r, 5_000));
  const v = verdict(list, w.slack, w.discord);
  const ackFailures = list.filter((c) => c.ackStatus !== 200).length;
  const lines = [
    `conversations: ${list.length} (slack ${slackPart.length} in ${LOAD_LAYOUT.slackTeams} workspaces x ${LOAD_LAYOUT.channelsPerWorkspace} channels; discord ${discordPart.length} in ${LOAD_LAYOUT.discordGuilds} servers x ${DISCORD_CHANNELS} channels; ${LOAD_LAYOUT.perChannel} per channel), all sent at once`,
    `answer: ${LOAD_LAYOUT.words + 2} words streamed as 1-4 word deltas, one every 25 ms`,
    ...byPlatform(list),
    `wall time until the last answer was complete: ${wall.toFixed(1)} s`,
    ...platformCalls(w.slack, w.discord),
    `acks not 200: ${ackFailures}`,
    `answered complete in own thread: ${v.answered}/${list.length}`,
    `losses: ${v.losses.length}${v.losses.length ? ` (${v.losses.slice(0, 10).join(", ")})` : ""}`,
    `duplicates: ${v.duplicates.length}${v.duplicates.length ? ` (${v.duplicates.slice(0, 10).join(", ")})` : ""}`,
    `wrong thread: ${v.wrongThread.length}${v.wrongThread.length ? ` (${v.wrongThread.slice(0, 10).join(", ")})` : ""}`,
  ];
  return { lines, verdict: v, ackFailures };
}

function byPlatform(list: Conversation[]): string[] {
  const out: string[] = [];
  for (const p of ["slack", "discord", "all"] as const) {
    const part = p === "all" ? list : list.filter((c) => c.platform === p);
    const acks = part.flatMap((c) => (c.ackMs === undefined ? [] : [c.ackMs]));
    const done = part.flatMap((c) =>
      c.completedAt === undefined ? [] : [c.completedAt - c.sentAt],
    );
    out.push(`${p.padEnd(7)} ack ${p50p99(acks)}; completion ${p50p99(done)}`);
  }
  return out;
}

/** Calls by method as the fakes recorded them, and the 429s they answered. */
export function platformCalls(slack: SlackWorkspaces, discord: FakeDiscord): string[] {
  const counts = new Map<string, number>();
  const add = (k: string) => counts.set(k, (counts.get(k) ?? 0) + 1);
  let slack429 = 0;
  for (const fake of slack.byTeam.values()) {
    for (const c of fake.calls) add(`slack ${c.method}`);
    slack429 += fake.rateLimited.length;
  }
  for (const r of discord.requests)
    add(
      `discord ${r.method} ${r.path
        .replace(/^\/webhooks\/\d+\/[^/]+/, "/webhooks/:app/:token")
        .replace(/\/\d{6,}/g, "/:id")}`,
    );
  const rows = [...counts].sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `  ${k}: ${n}`);
  return [
    "platform calls by method:",
    ...rows,
    `429s answered: slack ${slack429}, discord ${discord.rateLimited.length}`,
  ];
}
