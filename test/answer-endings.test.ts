import { describe, expect, it } from "vitest";
import {
  ask,
  botMessages,
  settled as discordSettled,
  discordWorld,
} from "./support/discord-world.ts";
import { commandBody, sendMention, sendSlack } from "./support/slack-requests.ts";
import { freshChannel, settled, slackThread, slackWorld } from "./support/slack-world.ts";

async function slackAnswer(
  reply: Parameters<Awaited<ReturnType<typeof slackWorld>>["openrouter"]["reply"]>[0],
  question = "q",
  setup?: (channel: string) => Promise<unknown>,
) {
  const world = await slackWorld();
  const channel = freshChannel();
  await setup?.(channel);
  const ts = "1700005000.000100";
  world.slack.seedMessage(channel, { ts, user: "U0ANA", text: `<@U0QUARRY> ${question}` });
  world.openrouter.reply(reply);
  await sendMention(channel, ts, question);
  const rows = await settled(slackThread(channel, ts));
  const bots = world.slack.thread(channel, ts).filter((m) => m.bot_id);
  return {
    ...world,
    rows,
    shown: bots.map((m) => m.text).join("\n"),
    last: bots.at(-1)?.text ?? "",
  };
}

const cited = {
  text: [
    "QUIC is specified in [RFC 9000](https://www.rfc-editor.org/rfc/rfc9000) ",
    "and HTTP/3 in [the HTTP/3 RFC](https://www.rfc-editor.org/rfc/rfc9114).",
  ],
  // Split over two chunks and repeated, as OpenRouter may send them.
  citations: [
    [{ url: "https://www.rfc-editor.org/rfc/rfc9000", title: "RFC 9000: QUIC" }],
    [
      { url: "https://www.rfc-editor.org/rfc/rfc9000", title: "RFC 9000: QUIC" },
      { url: "https://quicwg.org/", title: "QUIC Working Group" },
    ],
  ],
  usage: {
    cost: 0.0321,
    promptTokens: 1200,
    completionTokens: 800,
    reasoningTokens: 300,
    webSearches: 3,
  },
};

describe("sources and the cost footer", () => {
  it("Slack: inline links carry the numbers of the sources list; the footer has tokens, searches and cost", async () => {
    const { last } = await slackAnswer(cited);
    expect(last).toContain("[RFC 9000](https://www.rfc-editor.org/rfc/rfc9000) [1]");
    expect(last).toContain("[the HTTP/3 RFC](https://www.rfc-editor.org/rfc/rfc9114) [2]");
    expect(last).toContain(
      "**Sources**\n1. [RFC 9000: QUIC](https://www.rfc-editor.org/rfc/rfc9000)\n2. [the HTTP/3 RFC](https://www.rfc-editor.org/rfc/rfc9114)\n3. [QUIC Working Group](https://quicwg.org/)",
    );
    expect(last).toMatch(
      /`openai\/o4-mini-deep-research` · \d+s · \$0\.032 · 1,200 in \/ 800 out tokens \(300 reasoning\) · 3 web searches/,
    );
  });

  it("Discord: the same numbered sources as masked links, embeds suppressed", async () => {
    const world = await discordWorld();
    world.openrouter.reply(cited);
    const asked = await ask(world, "what is QUIC?");
    await discordSettled(asked.thread);
    const all = botMessages(world)
      .map((m) => m.content)
      .join("\n");
    expect(all).toContain("[RFC 9000](https://www.rfc-editor.org/rfc/rfc9000) [1]");
    expect(all).toContain("3. [QUIC Working Group](https://quicwg.org/)");
    for (const m of botMessages(world))
      expect((world.discord.message(m.id)?.flags ?? 0) & 4).toBe(4);
  });
});

describe("honest endings", () => {
  it("an answer cut at the output limit says so, and its header has no ✅", async () => {
    const { last, shown } = await slackAnswer({ text: ["A partial answ"], finishReason: "length" });
    expect(last).toMatch(/cut off: `openai\/o4-mini-deep-research` reached its output limit/);
    expect(shown).not.toContain("✅");
  });

  it("an answer stopped by the content filter says so", async () => {
    const { last, shown } = await slackAnswer({
      text: ["Some of it"],
      finishReason: "content_filter",
    });
    expect(last).toMatch(/cut off by the provider's content filter/);
    expect(shown).not.toContain("✅");
  });

  it("a question too long for the model even alone gets a clear message and asks nothing", async () => {
    const huge = "word ".repeat(2_000);
    const { last, openrouter, rows } = await slackAnswer({ text: ["never"] }, huge, (channel) =>
      sendSlack(commandBody("/ask-settings", "model=tiny/model", { user: "U0ADMIN", channel }), {
        contentType: "application/x-www-form-urlencoded",
      }),
    );
    expect(last).toMatch(/Your question is too long for `tiny\/model`/);
    expect(openrouter.chatBodies).toHaveLength(0);
    expect(rows[0]?.state).toBe("failed");
  });
});

describe("progress", () => {
  it("the first message names the model and says deep research can take minutes", async () => {
    const world = await slackWorld();
    const channel = freshChannel();
    const ts = "1700005100.000100";
    world.slack.seedMessage(channel, { ts, user: "U0ANA", text: "<@U0QUARRY> q" });
    world.openrouter.reply({ keepalives: 3, delayMs: 300, text: ["Done."] });
    await sendMention(channel, ts);
    await settled(slackThread(channel, ts));
    const first = world.slack.callsTo("chat.postMessage")[0]?.body as {
      blocks?: { text: string }[];
    };
    expect(first.blocks?.[0]?.text).toMatch(
      /Researching with `openai\/o4-mini-deep-research`: deep research can take several minutes/,
    );
  });
});
