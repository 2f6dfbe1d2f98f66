/**
 * "Ack latency": 50 signed Slack events and 50 signed Discord `/ask` at once, against
 * Quarry and against the floor Worker (worker/floor-worker.ts: signature check plus one
 * Durable Object call), both under `wrangler dev` in the same run, in alternating rounds.
 * Quarry's answers of a round are awaited before the floor's round starts, so neither
 * side shares the CPU with the other's leftover work.
 */
import { type Conversation, type Layout, plan } from "./scenario.ts";
import { sendAll, until, type World } from "./send.ts";
import { ms, p50p99, percentile } from "./stats.ts";
import { markCompleted, verdict } from "./verify.ts";

export const ROUNDS = 5;
const ANSWER_TIMEOUT_MS = 180_000;

function layout(prefix: string): Layout {
  return {
    prefix,
    slackTeams: 5,
    discordGuilds: 2,
    channelsPerWorkspace: 2,
    perChannel: 5,
    words: 20,
  };
}

/** 50 Slack (5 workspaces x 2 channels x 5) and 50 Discord (2 servers x 5 channels x 5) conversations. */
function batch(prefix: string, w: World): Conversation[] {
  const l = layout(prefix);
  return [
    ...plan({ ...l, discordGuilds: 0 }, w.slack, w.discord),
    ...plan({ ...l, slackTeams: 0, channelsPerWorkspace: 5 }, w.slack, w.discord),
  ];
}

export interface AckResult {
  lines: string[];
  met: boolean;
  losses: number;
}

const acks = (list: Conversation[], p?: string) =>
  list.flatMap((c) => (c.ackMs !== undefined && (!p || c.platform === p) ? [c.ackMs] : []));

export async function runAck(
  quarryUrl: string,
  floorUrl: string,
  w: World,
  watch: (list: Conversation[]) => void,
): Promise<AckResult> {
  const quarry: Conversation[] = [];
  const floor: Conversation[] = [];
  const rounds: string[] = [];
  const ratios: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const q = batch(`Q${r}`, w);
    watch(q);
    await sendAll(quarryUrl, q, w);
    quarry.push(...q);
    await until(() => markCompleted(q, w.slack, w.discord) === 0, ANSWER_TIMEOUT_MS, 100);
    const f = batch(`F${r}`, w);
    await sendAll(floorUrl, f, w);
    floor.push(...f);
    const p99 = (list: Conversation[]) => ms(percentile(acks(list), 99));
    const ratio = percentile(acks(q), 99) / percentile(acks(f), 99);
    ratios.push(ratio);
    rounds.push(
      `  round ${r + 1}: quarry p99 ${p99(q)}, floor p99 ${p99(f)}, ratio ${ratio.toFixed(2)}x`,
    );
    await new Promise((res) => setTimeout(res, 1_000));
  }
  const lines: string[] = [
    `${ROUNDS} rounds, each 50 Slack events + 50 Discord /ask sent at once to Quarry, then the same to the floor`,
  ];
  for (const p of ["slack", "discord", undefined] as const) {
    const name = (p ?? "all").padEnd(7);
    const qa = acks(quarry, p);
    const fa = acks(floor, p);
    const ratio = percentile(qa, 99) / percentile(fa, 99);
    lines.push(
      `${name} quarry ${p50p99(qa)} | floor ${p50p99(fa)} | p99 ratio ${ratio.toFixed(2)}x`,
    );
  }
  lines.push(...rounds);
  // Other work on the machine lands in one round or another: the median round is steadier.
  lines.push(`median of the rounds' p99 ratios: ${percentile(ratios, 50).toFixed(2)}x`);
  const bad = (list: Conversation[]) => list.filter((c) => c.ackStatus !== 200).length;
  lines.push(`acks not 200: quarry ${bad(quarry)}, floor ${bad(floor)}`);
  const v = verdict(quarry, w.slack, w.discord);
  const lost = v.losses.length + v.duplicates.length + v.wrongThread.length;
  lines.push(
    `quarry's answers to these questions: ${v.answered}/${quarry.length} complete in own thread, losses ${v.losses.length}, duplicates ${v.duplicates.length}, wrong thread ${v.wrongThread.length}`,
  );
  const ratio = percentile(acks(quarry), 99) / percentile(acks(floor), 99);
  lines.push(
    `target quarry p99 <= 1.2x floor p99: ${ratio <= 1.2 ? "met" : "not met"} (${ratio.toFixed(2)}x)`,
  );
  return { lines, met: ratio <= 1.2, losses: lost };
}
