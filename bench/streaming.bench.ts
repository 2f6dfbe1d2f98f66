/**
 * How fast a streamed answer shows up in the thread, and at what cost in platform calls.
 *
 * A scripted answer (long paragraphs, a list, a code block) arrives in 1–4-word deltas over
 * `BENCH_STREAM_SECONDS` (default 90) of real time: about 17 words a second, or
 * `BENCH_STREAM_TOKENS` tokens' worth (0.75 words a token) when set, e.g.
 * `BENCH_STREAM_SECONDS=180 BENCH_STREAM_TOKENS=8000` for a 3-minute 8k-token answer. The real reply writer and the real
 * adapters deliver it to the test fakes, which enforce the platforms' limits (Slack per
 * workspace and method, Discord 5 writes per 5 s per channel), through a shared limiter as
 * in production. Every word carries a unique tag, so its lag is measured from the moment it
 * reached the writer to the first platform write after which the thread shows it.
 * Three scenarios run at once: Slack post + edit (a channel), Slack native streaming (a DM)
 * and Discord (a reply chain in a channel).
 */
import { DiscordApi } from "../adapters/discord/api.ts";
import { discordDelivery } from "../adapters/discord/delivery.ts";
import { createDiscordAdapter } from "../adapters/discord/discord-adapter.ts";
import { SlackApi } from "../adapters/slack/api.ts";
import { slackDelivery } from "../adapters/slack/delivery.ts";
import { createSlackAdapter } from "../adapters/slack/slack-adapter.ts";
import { coarseElapsed } from "../src/answer/progress.ts";
import type { ChatAdapter } from "../src/chat/adapter.ts";
import type { Question } from "../src/chat/types.ts";
import { localRateLimiter } from "../src/delivery/rate-limit.ts";
import { ReplyWriter } from "../src/delivery/reply-writer.ts";
import { FAKE_DISCORD_URL, FakeDiscord } from "../test/fakes/discord-api.ts";
import { FAKE_SLACK_URL, FakeSlack } from "../test/fakes/slack-api.ts";

interface NodeProcess {
  env: Record<string, string | undefined>;
}
const node = process as unknown as NodeProcess;

const SECONDS = Number(node.env.BENCH_STREAM_SECONDS ?? 90);
const TOKENS = node.env.BENCH_STREAM_TOKENS ? Number(node.env.BENCH_STREAM_TOKENS) : undefined;
/** English runs about 0.75 words a token. */
const WORDS_PER_TOKEN = 0.75;
const SLACK_WRITES = new Set([
  "chat.postMessage",
  "chat.update",
  "chat.startStream",
  "chat.appendStream",
  "chat.stopStream",
]);

/** A random generator with a seed, so every run streams the same deltas. */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** The answer, and its deltas: every word is `qNNNN`, unique, so the thread shows which arrived. */
export function scriptedAnswer(words: number, seed = 42): { text: string; deltas: string[] } {
  let n = 0;
  const word = () => `q${String(n++).padStart(4, "0")}`;
  const sentence = (len: number) => Array.from({ length: len }, word).join(" ");
  const parts: string[] = [];
  while (n < words) {
    const paragraph = Array.from({ length: 8 }, () => `${sentence(14)}.`).join(" ");
    parts.push(paragraph);
    if (parts.length === 3)
      parts.push(Array.from({ length: 8 }, () => `- ${sentence(10)}`).join("\n"));
    if (parts.length === 6) {
      const lines = Array.from({ length: 15 }, () => `const ${word()} = call(${word()});`);
      parts.push(`\`\`\`ts\n${lines.join("\n")}\n\`\`\``);
    }
  }
  const text = parts.join("\n\n");
  const random = seeded(seed);
  const deltas: string[] = [];
  const tokens = text.match(/\S+\s*/g) ?? [];
  for (let i = 0; i < tokens.length; ) {
    const take = 1 + Math.floor(random() * 4);
    deltas.push(tokens.slice(i, i + take).join(""));
    i += take;
  }
  return { text, deltas };
}

interface Scenario {
  name: string;
  adapter: ChatAdapter;
  question: Question;
  native: boolean;
  /** Everything the thread shows now. */
  visible(): string;
  /** Write calls and 429s so far. */
  counts(): { writes: number; limited: number };
  /** Calls `fn` after every platform write. */
  onWrite(fn: () => void): void;
}

function slackScenario(name: string, channel: string): Scenario {
  const fake = new FakeSlack({ nativeStreaming: "ok" });
  const ts = "1700000000.000100";
  fake.seedMessage(channel, { ts, user: "U0ANA", text: "<@U0QUARRY> question" });
  let after = () => {};
  const api = new SlackApi({
    baseUrl: FAKE_SLACK_URL,
    token: fake.token,
    fetch: async (input, init) => {
      const req = new Request(input, init);
      const res = await fake.handle(req);
      if (SLACK_WRITES.has(new URL(req.url).pathname.split("/").pop() ?? "")) after();
      return res;
    },
  });
  const question: Question = {
    id: `slack:${channel}:${ts}`,
    thread: { platform: "slack", workspaceId: fake.teamId, channelId: channel, threadId: ts },
    text: "question",
    trigger: channel.startsWith("D") ? "dm" : "mention",
    user: { id: "U0ANA", name: "Ana" },
    messageId: ts,
    receivedAt: Date.now(),
    delivery: slackDelivery({
      recipientUserId: "U0ANA",
      recipientTeamId: fake.teamId,
      channelType: channel.startsWith("D") ? "im" : "channel",
    }),
  };
  const adapter = createSlackAdapter({
    api,
    botUserId: fake.botUserId,
    limiter: localRateLimiter(),
  });
  return {
    name,
    adapter,
    question,
    native: !!adapter.stream?.preferredFor?.(question),
    visible: () =>
      fake
        .thread(channel, ts)
        .filter((m) => m.bot_id)
        .map((m) => m.text)
        .join("\n"),
    counts: () => ({
      writes: fake.calls.filter((c) => SLACK_WRITES.has(c.method)).length,
      limited: fake.rateLimited.length,
    }),
    onWrite: (fn) => {
      after = fn;
    },
  };
}

function discordScenario(): Scenario {
  const fake = new FakeDiscord();
  const channel = fake.addChannel({ guild_id: "900000000000000001", type: 0 });
  const asked = fake.seedMessage(channel.id, { content: `<@${fake.applicationId}> question` });
  let after = () => {};
  const api = new DiscordApi({
    baseUrl: FAKE_DISCORD_URL,
    token: fake.token,
    applicationId: fake.applicationId,
    fetch: async (input, init) => {
      const req = new Request(input, init);
      const res = await fake.handle(req);
      if (req.method === "POST" || req.method === "PATCH") after();
      return res;
    },
  });
  const question: Question = {
    id: `discord:message:${asked.id}`,
    thread: {
      platform: "discord",
      workspaceId: "900000000000000001",
      channelId: channel.id,
      threadId: asked.id,
    },
    text: "question",
    trigger: "mention",
    user: { id: asked.author.id, name: "Alice" },
    messageId: asked.id,
    receivedAt: Date.now(),
    delivery: discordDelivery({ channelId: channel.id, replyTo: asked.id }),
  };
  const isWrite = (r: { method: string; path: string }) =>
    (r.method === "POST" || r.method === "PATCH") && r.path.includes("/messages");
  return {
    name: "Discord (channel replies)",
    adapter: createDiscordAdapter({
      api,
      botUserId: fake.applicationId,
      limiter: localRateLimiter(),
    }),
    question,
    native: false,
    visible: () =>
      fake
        .visible(channel.id)
        .filter((m) => m.fromBot)
        .map((m) => m.content)
        .join("\n"),
    counts: () => ({
      writes: fake.requests.filter(isWrite).length,
      limited: fake.rateLimited.length,
    }),
    onWrite: (fn) => {
      after = fn;
    },
  };
}

interface Figures {
  name: string;
  words: number;
  p50: number;
  p95: number;
  max: number;
  callsPerSecond: number;
  limited: number;
  complete: boolean;
}

async function stream(s: Scenario, deltas: string[], text: string): Promise<Figures> {
  const arrived = new Map<number, number>();
  const seen = new Map<number, number>();
  const scan = () => {
    const at = Date.now();
    for (const m of s.visible().matchAll(/q(\d{4})/g)) {
      const n = Number(m[1]);
      if (!seen.has(n)) seen.set(n, at);
    }
  };
  s.onWrite(scan);
  const writer = new ReplyWriter({ adapter: s.adapter, question: s.question, native: s.native });
  const started = Date.now();
  const gap = (SECONDS * 1000) / deltas.length;
  const status = () => `✍️ _Writing… ${coarseElapsed(Date.now() - started)}_`;
  let so = "";
  writer.update("", "⏳ _Researching…_");
  for (let i = 0; i < deltas.length; i++) {
    // Deltas come on a fixed schedule, however long the writer's calls take.
    const due = started + i * gap;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    so += deltas[i];
    const now = Date.now();
    for (const m of (deltas[i] ?? "").matchAll(/q(\d{4})/g)) arrived.set(Number(m[1]), now);
    writer.update(so, status());
  }
  const streamedFor = (Date.now() - started) / 1000;
  const { writes } = s.counts();
  await writer.finish(so, "", "✅ done");
  scan();
  const lags = [...arrived].map(([n, at]) => (seen.get(n) ?? Number.POSITIVE_INFINITY) - at);
  lags.sort((a, b) => a - b);
  const pick = (q: number) => lags[Math.min(lags.length - 1, Math.floor(q * lags.length))] ?? 0;
  return {
    name: s.name,
    words: arrived.size,
    p50: pick(0.5),
    p95: pick(0.95),
    max: lags.at(-1) ?? 0,
    callsPerSecond: writes / streamedFor,
    limited: s.counts().limited,
    complete: seen.size === arrived.size && so === text,
  };
}

export async function run(): Promise<void> {
  // By default about 17 words a second, like a fast model: ~1,500 words over 90 s.
  const words = TOKENS ? Math.round(TOKENS * WORDS_PER_TOKEN) : Math.round(SECONDS * 17);
  const { text, deltas } = scriptedAnswer(words);
  console.log(
    `answer: ${words} words${TOKENS ? ` (${TOKENS} tokens)` : ""}, ${text.length} chars, ${deltas.length} deltas of 1–4 words over ${SECONDS} s of real time`,
  );
  const scenarios = [
    slackScenario("Slack post + edit (channel)", "C0BENCH"),
    slackScenario("Slack native stream (DM)", "D0BENCH"),
    discordScenario(),
  ];
  const results = await Promise.all(scenarios.map((s) => stream(s, deltas, text)));
  const target = (f: Figures) => (f.name.startsWith("Slack") ? 1500 : 2000);
  console.log(
    "scenario                        words  lag p50   lag p95   lag max   writes/s  429s  complete",
  );
  for (const f of results) {
    const ok = f.p95 <= target(f) && f.callsPerSecond <= 1.2 && f.limited === 0;
    console.log(
      `${f.name.padEnd(31)} ${String(f.words).padStart(5)} ${ms(f.p50)} ${ms(f.p95)} ${ms(f.max)} ${f.callsPerSecond.toFixed(2).padStart(9)} ${String(f.limited).padStart(5)}  ${f.complete ? "yes" : "NO"}   ${ok ? "within" : "OUTSIDE"} targets (p95 ≤ ${target(f) / 1000} s, ≤ 1.2 writes/s, 0 429s)`,
    );
  }
}

function ms(value: number): string {
  return `${(value / 1000).toFixed(2)} s`.padStart(9);
}
