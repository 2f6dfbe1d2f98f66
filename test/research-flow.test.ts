/**
 * The deep-research experience end to end, through the Worker, the conversation object and
 * the fakes: progress steps, budgets (before, during, concurrent), the default model gone,
 * and images to a vision model and to a text-only one.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ledgerFor, utcDay } from "../src/budget/channel-ledger.ts";
import type { ChannelSettings } from "../src/settings/settings.ts";
import { SettingsStore } from "../src/settings/settings-store.ts";
import { base64Of, pngBytes } from "./fakes/file-bytes.ts";
import { defaultCatalog, fallbackCatalog, searchCall } from "./fakes/openrouter.ts";
import {
  ask,
  botMessages,
  settled as discordSettled,
  discordWorld,
} from "./support/discord-world.ts";
import { eventEnvelope, mentionEvent, sendMention, sendSlack } from "./support/slack-requests.ts";
import { freshChannel, settled, slackThread, slackWorld } from "./support/slack-world.ts";

const DEEP = "openai/o4-mini-deep-research";
type Body = { model: string; models?: string[]; messages: { role: string; content: unknown }[] };
type Reply = Parameters<Awaited<ReturnType<typeof slackWorld>>["openrouter"]["reply"]>[0];

async function setChannel(
  channel: string,
  patch: Partial<ChannelSettings>,
  platform: "slack" | "discord" = "slack",
) {
  await new SettingsStore(env.SETTINGS, DEEP).update(platform, channel, patch);
}

/** One search step, then 12 s of thinking: past the 10 s cadence of a status-only edit. */
const searching: Reply = {
  reasoning: [searchCall("QUIC RFC 9000 loss recovery"), ...Array(20).fill("Reading. ")],
  delayMs: 600,
  text: ["QUIC recovers losses per stream."],
};

async function slackAsk(
  reply: Reply,
  setup?: (channel: string) => Promise<void>,
  ts = "1700006000.000100",
) {
  const world = await slackWorld();
  const channel = freshChannel();
  await setup?.(channel);
  world.slack.seedMessage(channel, { ts, user: "U0ANA", text: "<@U0QUARRY> q" });
  world.openrouter.reply(reply);
  await sendMention(channel, ts);
  const rows = await settled(slackThread(channel, ts));
  const bots = world.slack.thread(channel, ts).filter((m) => m.bot_id);
  return { ...world, channel, ts, rows, last: bots.at(-1)?.text ?? "" };
}

describe("progress", () => {
  it("Slack: the progress line shows the model's current search while it thinks", async () => {
    const { slack } = await slackAsk(searching);
    const edits = slack.callsTo("chat.update").map((c) => JSON.stringify(c.body));
    expect(edits.some((e) => e.includes("Searching the web: QUIC RFC 9000 loss recovery"))).toBe(
      true,
    );
  }, 40_000);

  it("Discord: the progress line shows the model's current search while it thinks", async () => {
    const world = await discordWorld();
    world.openrouter.reply(searching);
    const asked = await ask(world, "how does QUIC recover losses?");
    await discordSettled(asked.thread);
    const edits = world.discord
      .calls(/^PATCH \/webhooks\/\d+\/[^/]+\/messages\/@original$/)
      .map((r) => JSON.stringify(r.body));
    expect(edits.some((e) => e.includes("Searching the web: QUIC RFC 9000 loss recovery"))).toBe(
      true,
    );
    expect(world.discord.calls("/typing").length).toBeGreaterThan(0);
  }, 40_000);
});

describe("budgets", () => {
  it("refuses before asking the model once today's spend reached the budget, saying spend, budget and reset", async () => {
    const { last, openrouter, rows } = await slackAsk({ text: ["never"] }, async (channel) => {
      await setChannel(channel, { daily_budget_usd: 0.5 });
      await ledgerFor(env, "slack", channel).add(utcDay(Date.now()), 0.5);
    });
    expect(openrouter.chatBodies).toHaveLength(0);
    expect(rows[0]?.state).toBe("failed");
    expect(last).toMatch(/daily budget of \$0\.50 is used up/);
    expect(last).toMatch(/\$0\.50 spent/);
    expect(last).toMatch(/resets at 00:00 UTC, in \d+ h/);
  });

  it("a budget of 0 lets nothing be spent", async () => {
    const { last, openrouter } = await slackAsk({ text: ["never"] }, (channel) =>
      setChannel(channel, { daily_budget_usd: 0 }),
    );
    expect(openrouter.chatBodies).toHaveLength(0);
    expect(last).toMatch(/daily budget is \$0, so nothing may be spent/);
  });

  it("stops an answer whose running cost crosses the budget mid-stream, with a note, and books it", async () => {
    // Each search is priced at $0.01 plus the page text it reads: four pass $0.05.
    const reply: Reply = {
      reasoning: [1, 2, 3, 4, 5, 6].map((i) => searchCall(`query ${i}`, `s${i}`)),
      delayMs: 200,
      text: ["never written"],
      generationCost: 0.061,
    };
    const { last, rows, openrouter, channel } = await slackAsk(reply, (c) =>
      setChannel(c, { daily_budget_usd: 0.05 }),
    );
    expect(rows[0]?.state).toBe("cancelled");
    expect(openrouter.requests.find((r) => r.path.endsWith("/chat/completions"))?.aborted).toBe(
      true,
    );
    expect(last).toMatch(/Stopped here: this answer reached the channel's daily budget of \$0\.05/);
    const today = await ledgerFor(env, "slack", channel).today(utcDay(Date.now()));
    expect(today.answers).toBe(1);
    expect(today.reservedUsd).toBe(0);
    expect(today.spentUsd).toBeGreaterThan(0);
  }, 30_000);

  it("two questions at once in one channel cannot overspend together: the second is refused", async () => {
    const world = await slackWorld();
    const channel = freshChannel();
    await setChannel(channel, { daily_budget_usd: 0.5 });
    const roots = ["1700006100.000100", "1700006101.000100"];
    for (const ts of roots)
      world.slack.seedMessage(channel, { ts, user: "U0ANA", text: "<@U0QUARRY> q" });
    world.openrouter.reply({ keepalives: 4, delayMs: 300, text: ["First."], usage: { cost: 0.4 } });
    world.openrouter.reply({
      keepalives: 4,
      delayMs: 300,
      text: ["Second."],
      usage: { cost: 0.4 },
    });
    await Promise.all(roots.map((ts) => sendSlack(eventEnvelope(mentionEvent(channel, ts, "q")))));
    const rows = await Promise.all(roots.map((ts) => settled(slackThread(channel, ts))));
    const states = rows.map((r) => r[0]?.state).sort();
    expect(states).toEqual(["answered", "failed"]);
    expect(world.openrouter.chatBodies).toHaveLength(1);
    const texts = roots.map((ts) => world.slack.thread(channel, ts).at(-1)?.text ?? "");
    expect(texts.filter((t) => /is used up/.test(t))).toHaveLength(1);
  }, 30_000);
});

describe("the default model is gone", () => {
  it("Slack: answers with the first fallback the catalog has, says so in the footer, and passes the models array", async () => {
    const world = await slackWorld();
    world.openrouter.models = [
      ...defaultCatalog().filter((m) => m.id !== DEEP),
      ...fallbackCatalog(),
    ];
    const channel = freshChannel();
    const ts = "1700006200.000100";
    world.slack.seedMessage(channel, { ts, user: "U0ANA", text: "<@U0QUARRY> q" });
    world.openrouter.reply({ text: ["Answered by Perplexity."], usage: { cost: 0.01 } });
    await sendMention(channel, ts);
    await settled(slackThread(channel, ts));
    const body = world.openrouter.chatBodies[0] as Body;
    expect(body.model).toBe("perplexity/sonar-deep-research");
    expect(body.models).toEqual([
      "perplexity/sonar-deep-research",
      "perplexity/sonar-reasoning-pro",
    ]);
    const last = world.slack.thread(channel, ts).at(-1)?.text ?? "";
    expect(last).toContain(
      "Answered by `perplexity/sonar-deep-research` because `openai/o4-mini-deep-research` is not available; choose another with `model=…`.",
    );
  });

  it("Discord: a model the catalog still lists but OpenRouter calls not valid is retried with a fallback", async () => {
    const world = await discordWorld();
    world.openrouter.models = [...defaultCatalog(), ...fallbackCatalog()];
    world.openrouter.reply({
      error: {
        status: 400,
        body: { error: { code: 400, message: `${DEEP} is not a valid model ID` } },
      },
    });
    world.openrouter.reply({ text: ["Answered after the retry."] });
    const asked = await ask(world, "q");
    await discordSettled(asked.thread);
    const models = world.openrouter.chatBodies.map((b) => (b as Body).model);
    expect(models).toEqual([DEEP, "perplexity/sonar-deep-research"]);
    const all = botMessages(world)
      .map((m) => m.content)
      .join("\n");
    expect(all).toContain("Answered after the retry.");
    expect(all).toContain("because `openai/o4-mini-deep-research` is not available");
  });
});

describe("images", () => {
  async function askWithImage(model: string) {
    const world = await slackWorld();
    const channel = freshChannel();
    await setChannel(channel, { model });
    const bytes = pngBytes(300);
    const file = world.files.add({ name: "chart.png", mimetype: "image/png", bytes });
    const ts = "1700006300.000100";
    world.slack.seedMessage(channel, {
      ts,
      user: "U0ANA",
      text: "<@U0QUARRY> what does this chart show?",
      subtype: "file_share",
      files: [file],
    });
    world.openrouter.reply({ text: ["It shows growth."] });
    await sendSlack(
      eventEnvelope(mentionEvent(channel, ts, "what does this chart show?", { files: [file] })),
    );
    await settled(slackThread(channel, ts));
    const body = world.openrouter.chatBodies[0] as Body;
    const last = world.slack.thread(channel, ts).at(-1)?.text ?? "";
    return { world, body, bytes, last, file };
  }

  it("an image attached to a question goes to a vision model as a data URL, fetched with the bot token", async () => {
    const { body, bytes, world, file } = await askWithImage("openai/o4-mini");
    const parts = JSON.stringify(body.messages.at(-1)?.content);
    expect(parts).toContain(`data:image/png;base64,${base64Of(bytes)}`);
    const got = world.files.requestsFor(file.url_private as string);
    expect(got).toHaveLength(1);
  });

  it("a text-only model gets no image, nothing is downloaded, and the answer says the image was not seen", async () => {
    const { body, world, last, file } = await askWithImage("tiny/model");
    expect(JSON.stringify(body.messages)).not.toContain("data:image");
    expect(world.files.requestsFor(file.url_private as string)).toHaveLength(0);
    expect(last).toMatch(/1 image was not sent: `tiny\/model` cannot see images/);
  });
});

describe("task cards in a native Slack stream", () => {
  const steps: Reply = {
    reasoning: [searchCall("QUIC loss recovery"), searchCall("HTTP/3 adoption", "s2"), "Reading. "],
    delayMs: 300,
    text: ["QUIC recovers losses per stream."],
  };

  /** A question in a fresh DM with the bot, as message `ts`; the model answers with `steps`. */
  async function askInDm(world: Awaited<ReturnType<typeof slackWorld>>, ts: string) {
    const channel = `D${freshChannel().slice(1)}`;
    world.slack.seedMessage(channel, { ts, user: "U0ANA", text: "q" });
    world.openrouter.reply(steps);
    await sendSlack(
      eventEnvelope({
        type: "message",
        channel_type: "im",
        user: "U0ANA",
        text: "q",
        ts,
        channel,
        event_ts: ts,
      }),
    );
    return { channel, ts };
  }

  it("shows the model's steps as task cards while it thinks, all complete at the end", async () => {
    const world = await slackWorld({ nativeStreaming: "ok" });
    const { channel, ts } = await askInDm(world, "1700006400.000100");
    await settled(slackThread(channel, ts));
    const stream = world.slack
      .thread(channel, ts)
      .find((m) => m.bot_id && m.text.includes("QUIC recovers"));
    const cards = Object.values(world.slack.taskCardsOf(channel, stream?.ts ?? ""));
    expect(cards.map((c) => c.title)).toEqual([
      "Searching the web: QUIC loss recovery",
      "Searching the web: HTTP/3 adoption",
    ]);
    expect(cards.every((c) => c.status === "complete")).toBe(true);
  });

  it("keeps to the progress line where the workspace rejects task cards", async () => {
    const world = await slackWorld({ nativeStreaming: "ok" });
    world.slack.taskCards = "invalid_arguments";
    const { channel, ts } = await askInDm(world, "1700006401.000100");
    const rows = await settled(slackThread(channel, ts));
    expect(rows[0]?.state).toBe("answered");
    const shown = world.slack
      .thread(channel, ts)
      .map((m) => m.text)
      .join("\n");
    expect(shown).toContain("QUIC recovers losses per stream.");
    // One refused try, then no more chunks.
    const withChunks = world.slack.calls.filter((c) => c.body.chunks !== undefined);
    expect(withChunks).toHaveLength(1);
  });
});
