import { describe, expect, it } from "vitest";
import { eventually } from "./fakes/network.ts";
import { FAKE_SLACK_URL } from "./fakes/slack-api.ts";
import { eventEnvelope, mentionEvent, messageEvent, sendSlack } from "./support/slack-requests.ts";
import {
  freshChannel,
  settled,
  slackThread,
  slackWorld,
  streamNatively,
} from "./support/slack-world.ts";

describe("Slack: answering", () => {
  it("answers a mention in the thread of that message, with sources and cost", async () => {
    const { slack, openrouter } = await slackWorld();
    const channel = freshChannel();
    slack.seedMessage(channel, {
      ts: "1700000001.000100",
      user: "U0ANA",
      text: "<@U0QUARRY> what is QUIC?",
    });
    openrouter.reply({
      keepalives: 2,
      reasoning: ["**Searching for QUIC RFC 9000**\n"],
      text: ["QUIC is a transport ", "protocol over UDP."],
      citations: [{ url: "https://www.rfc-editor.org/rfc/rfc9000", title: "RFC 9000" }],
      usage: { cost: 0.0123, promptTokens: 50, completionTokens: 20, webSearches: 2 },
    });
    const res = await sendSlack(
      eventEnvelope(mentionEvent(channel, "1700000001.000100", "what is QUIC?")),
    );
    expect(res.status).toBe(200);
    await settled(slackThread(channel, "1700000001.000100"));

    const thread = slack.thread(channel, "1700000001.000100");
    expect(thread).toHaveLength(2);
    const answer = thread[1]!;
    expect(answer.text).toContain("QUIC is a transport protocol over UDP.");
    expect(answer.text).toContain("[RFC 9000](https://www.rfc-editor.org/rfc/rfc9000)");
    expect(answer.text).toContain("$0.012");
    expect(answer.text).toContain("2 web searches");
    // Posted into the thread of the mention.
    for (const call of [...slack.callsTo("chat.postMessage"), ...slack.callsTo("chat.update")]) {
      expect(call.body.channel).toBe(channel);
    }
    expect(slack.callsTo("chat.postMessage")[0]!.body.thread_ts).toBe("1700000001.000100");
    // The model got the question as the user's turn, with who asked.
    const body = openrouter.chatBodies[0] as {
      messages: { role: string; content: string }[];
      model: string;
      user: string;
    };
    expect(body.model).toBe("openai/o4-mini-deep-research");
    expect(body.messages.at(-1)).toMatchObject({ role: "user" });
    expect(String(body.messages.at(-1)!.content)).toContain("what is QUIC?");
    expect(body.user).not.toContain("U0ANA");
    // The thread showed that Quarry was working, and the status was cleared at the end.
    const statuses = slack.callsTo("assistant.threads.setStatus").map((c) => c.body.status);
    expect(statuses[0]).toMatch(/researching/);
    await eventually(() => slack.callsTo("assistant.threads.setStatus").at(-1)?.body.status === "");
  });

  it("answers once when the mention arrives as app_mention, as message.channels, and again as a Slack retry", async () => {
    const { slack, openrouter } = await slackWorld();
    const channel = freshChannel();
    const ts = "1700000002.000100";
    slack.seedMessage(channel, { ts, user: "U0ANA", text: "<@U0QUARRY> hello" });
    const [a, b] = await Promise.all([
      sendSlack(eventEnvelope(mentionEvent(channel, ts, "hello"), { eventId: "EvMENTION1" })),
      sendSlack(
        eventEnvelope(messageEvent(channel, ts, "<@U0QUARRY> hello"), { eventId: "EvMESSAGE1" }),
      ),
    ]);
    const retry = await sendSlack(
      eventEnvelope(mentionEvent(channel, ts, "hello"), { eventId: "EvMENTION1" }),
      {
        headers: { "x-slack-retry-num": "1", "x-slack-retry-reason": "http_timeout" },
      },
    );
    expect([a.status, b.status, retry.status]).toEqual([200, 200, 200]);
    await settled(slackThread(channel, ts));
    expect(openrouter.chatBodies).toHaveLength(1);
    expect(slack.thread(channel, ts).filter((m) => m.bot_id)).toHaveLength(1);
  });

  it("answers a follow-up in a thread it answered, without a new mention", async () => {
    const { slack, openrouter } = await slackWorld();
    const channel = freshChannel();
    const root = "1700000003.000100";
    slack.seedMessage(channel, { ts: root, user: "U0ANA", text: "<@U0QUARRY> first question" });
    await sendSlack(eventEnvelope(mentionEvent(channel, root, "first question")));
    await settled(slackThread(channel, root));

    slack.seedMessage(channel, {
      ts: "1700000003.000900",
      thread_ts: root,
      user: "U0BEN",
      text: "and the second?",
    });
    openrouter.reply({ text: ["Second answer."] });
    await sendSlack(
      eventEnvelope(
        messageEvent(channel, "1700000003.000900", "and the second?", {
          thread_ts: root,
          user: "U0BEN",
        }),
      ),
    );
    await settled(slackThread(channel, root), 2);

    expect(openrouter.chatBodies).toHaveLength(2);
    const history = (openrouter.chatBodies[1] as { messages: { role: string; content: string }[] })
      .messages;
    const roles = history.filter((m) => m.role !== "system").map((m) => m.role);
    expect(roles).toEqual(["user", "assistant", "user"]);
    expect(String(history.at(-1)!.content)).toMatch(/Ben.*and the second\?/);
    expect(slack.thread(channel, root).at(-1)!.text).toContain("Second answer.");
  });

  it("ignores thread messages where it never answered", async () => {
    const { slack, openrouter } = await slackWorld();
    const channel = freshChannel();
    const root = "1700000004.000100";
    slack.seedMessage(channel, { ts: root, user: "U0ANA", text: "people talking" });
    const res = await sendSlack(
      eventEnvelope(messageEvent(channel, "1700000004.000200", "no bot here", { thread_ts: root })),
    );
    expect(res.status).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    expect(openrouter.chatBodies).toHaveLength(0);
    expect(slack.callsTo("chat.postMessage")).toHaveLength(0);
  });

  it("answers a direct message", async () => {
    const { slack, openrouter } = await slackWorld();
    const dm = `D${freshChannel().slice(1)}`;
    slack.seedMessage(dm, { ts: "1700000005.000100", user: "U0ANA", text: "hi there" });
    openrouter.reply({ text: ["Hello in DM."] });
    await sendSlack(
      eventEnvelope(messageEvent(dm, "1700000005.000100", "hi there", { channel_type: "im" })),
    );
    await settled(slackThread(dm, "1700000005.000100"));
    expect(slack.thread(dm, "1700000005.000100").at(-1)!.text).toContain("Hello in DM.");
  });

  it("ignores its own messages and edits", async () => {
    const { slack, openrouter } = await slackWorld();
    const channel = freshChannel();
    const own = messageEvent(channel, "1700000006.000100", "an answer", {
      user: "U0QUARRY",
      bot_id: "B0QUARRY",
    });
    const edit = {
      type: "message",
      subtype: "message_changed",
      channel,
      ts: "1700000006.000200",
      hidden: true,
      message: {},
    };
    expect((await sendSlack(eventEnvelope(own))).status).toBe(200);
    expect((await sendSlack(eventEnvelope(edit))).status).toBe(200);
    await new Promise((r) => setTimeout(r, 200));
    expect(openrouter.chatBodies).toHaveLength(0);
    expect(slack.calls).toHaveLength(0);
  });

  it("/ask posts the question visibly, naming the asker, and answers in its thread", async () => {
    const { slack, openrouter } = await slackWorld();
    const channel = freshChannel();
    openrouter.reply({ text: ["Answer to the slash command."] });
    const { commandBody } = await import("./support/slack-requests.ts");
    const res = await sendSlack(commandBody("/ask", "what is HTTP/3?", { channel }), {
      contentType: "application/x-www-form-urlencoded",
    });
    expect(res.status).toBe(200);
    const post = slack.callsTo("chat.postMessage")[0]!;
    expect(post.body.channel).toBe(channel);
    expect(JSON.stringify(post.body)).toContain("<@U0ANA>");
    expect(JSON.stringify(post.body)).toContain("what is HTTP/3?");
    const root = slack.channels.get(channel)![0]!.ts;
    await settled(slackThread(channel, root));
    const thread = slack.thread(channel, root);
    expect(thread.at(-1)!.text).toContain("Answer to the slash command.");
    const messages = (openrouter.chatBodies[0] as { messages: { role: string; content: string }[] })
      .messages;
    expect(messages.at(-1)!.role).toBe("user");
  });

  it("/ask with no question explains how to ask, ephemerally, and does no work", async () => {
    const { slack, openrouter } = await slackWorld();
    const { commandBody } = await import("./support/slack-requests.ts");
    const res = await sendSlack(commandBody("/ask", "  "), {
      contentType: "application/x-www-form-urlencoded",
    });
    const body = (await res.json()) as { response_type: string; text: string };
    expect(body.response_type).toBe("ephemeral");
    expect(body.text).toMatch(/\/ask/);
    expect(slack.calls).toHaveLength(0);
    expect(openrouter.chatBodies).toHaveLength(0);
  });

  it("posts nothing that pings the channel, even when the model writes it", async () => {
    const { slack, openrouter } = await slackWorld();
    const channel = freshChannel();
    slack.seedMessage(channel, {
      ts: "1700000007.000100",
      user: "U0ANA",
      text: "<@U0QUARRY> ping test",
    });
    openrouter.reply({
      text: [
        "Hey <!channel> and <!here> and <!everyone> and <!subteam^S123> and <@U0BEN> and @everyone",
      ],
    });
    await sendSlack(eventEnvelope(mentionEvent(channel, "1700000007.000100", "ping test")));
    await settled(slackThread(channel, "1700000007.000100"));
    for (const call of slack.calls.filter((c) => c.method.startsWith("chat."))) {
      const sent = JSON.stringify(call.body);
      expect(sent).not.toMatch(
        /<!channel>|<!here>|<!everyone>|<!subteam\^|<@U0BEN>|(?<![\u200b])@everyone/,
      );
    }
  });
});

describe("Slack: history", () => {
  it("trims the thread oldest-first to the model's context, keeping the question", async () => {
    const { slack, openrouter } = await slackWorld();
    const channel = freshChannel();
    const { commandBody } = await import("./support/slack-requests.ts");
    await sendSlack(
      commandBody("/ask-settings", "model=tiny/model", { user: "U0ADMIN", channel }),
      {
        contentType: "application/x-www-form-urlencoded",
      },
    );
    const root = "1700000600.000100";
    slack.seedMessage(channel, { ts: root, user: "U0BEN", text: `OLDEST ${"a".repeat(900)}` });
    for (let i = 1; i <= 8; i++) {
      const ts = `1700000600.00${String(i).padStart(2, "0")}00`;
      slack.seedMessage(channel, {
        ts,
        thread_ts: root,
        user: "U0BEN",
        text: `message ${i} ${"b".repeat(600)}`,
      });
    }
    const q = "1700000600.009900";
    slack.seedMessage(channel, {
      ts: q,
      thread_ts: root,
      user: "U0ANA",
      text: "<@U0QUARRY> summarise",
    });
    await sendSlack(eventEnvelope(mentionEvent(channel, q, "summarise", { thread_ts: root })));
    await settled(slackThread(channel, root));
    const body = openrouter.chatBodies[0] as {
      model: string;
      messages: { role: string; content: string }[];
    };
    expect(body.model).toBe("tiny/model");
    const all = body.messages.map((m) => String(m.content)).join("\n");
    expect(all).not.toContain("OLDEST");
    expect(all).toContain("summarise");
    // Roughly within 1,000 tokens minus the room kept for the answer.
    expect(all.length).toBeLessThan(3_000);
    // The answer says how much of the thread it used.
    expect(slack.thread(channel, root).at(-1)!.text).toMatch(
      /Used the last \d of \d earlier messages of this thread: the rest did not fit `tiny\/model`'s context/,
    );
  });
});

describe("Slack: long answers and streaming", () => {
  it("continues a long answer in new messages, each within Slack's limits", async () => {
    const { slack, openrouter } = await slackWorld();
    const channel = freshChannel();
    const ts = "1700000008.000100";
    slack.seedMessage(channel, { ts, user: "U0ANA", text: "<@U0QUARRY> long" });
    const paragraph = (i: number) =>
      `Paragraph ${i}. ${"Lorem ipsum dolor sit amet. ".repeat(30)}\n\n`;
    const chunks = Array.from({ length: 40 }, (_, i) => paragraph(i));
    chunks.splice(
      20,
      0,
      `\`\`\`python\n${Array.from({ length: 200 }, (_, i) => `print(${i})`).join("\n")}\n\`\`\`\n\n`,
    );
    openrouter.reply({ text: chunks });
    await sendSlack(eventEnvelope(mentionEvent(channel, ts, "long")));
    await settled(slackThread(channel, ts));
    const answers = slack.thread(channel, ts).slice(1);
    expect(answers.length).toBeGreaterThanOrEqual(3);
    for (const a of answers) {
      expect(a.text.length).toBeLessThanOrEqual(12_000);
      expect((a.text.match(/^```/gm) ?? []).length % 2).toBe(0);
    }
    const all = answers.map((a) => a.text).join("\n");
    for (let i = 0; i < 40; i++) expect(all).toContain(`Paragraph ${i}.`);
    expect(all).toContain("print(199)");
  });

  it("streams natively where the workspace supports it, under a status header", async () => {
    const { slack, openrouter } = await slackWorld({ nativeStreaming: "ok" });
    const channel = freshChannel();
    const ts = "1700000009.000100";
    await streamNatively(channel);
    slack.seedMessage(channel, { ts, user: "U0ANA", text: "<@U0QUARRY> stream" });
    openrouter.reply({ text: ["Line one\n", "Line two\n", "Line three"], usage: { cost: 0.02 } });
    await sendSlack(eventEnvelope(mentionEvent(channel, ts, "stream")));
    await settled(slackThread(channel, ts));
    expect(slack.callsTo("chat.startStream").length).toBeGreaterThanOrEqual(1);
    expect(slack.callsTo("chat.stopStream").length).toBeGreaterThanOrEqual(1);
    const [, header, ...streamed] = slack.thread(channel, ts);
    expect(header!.text).toMatch(/✅/);
    expect(header!.text).toContain("$0.02");
    expect(streamed.map((m) => m.text).join("")).toContain("Line one\nLine two\nLine three");
  });

  it("streaming=auto (the default) streams natively in a DM and posts and edits in a channel thread", async () => {
    const { slack, openrouter } = await slackWorld({ nativeStreaming: "ok" });
    const channel = freshChannel();
    const dm = `D${freshChannel().slice(1)}`;
    const ts = "1700000011.000100";
    slack.seedMessage(channel, { ts, user: "U0ANA", text: "<@U0QUARRY> in a channel" });
    slack.seedMessage(dm, { ts, user: "U0ANA", text: "in a DM" });
    openrouter.reply({ keepalives: 2, delayMs: 200, text: ["Channel answer."] });
    await sendSlack(eventEnvelope(mentionEvent(channel, ts, "in a channel")));
    await settled(slackThread(channel, ts));
    expect(slack.callsTo("chat.startStream")).toHaveLength(0);
    expect(slack.thread(channel, ts).at(-1)!.text).toContain("Channel answer.");

    openrouter.reply({ keepalives: 2, delayMs: 200, text: ["DM answer."] });
    await sendSlack(eventEnvelope(messageEvent(dm, ts, "in a DM", { channel_type: "im" })));
    await settled(slackThread(dm, ts));
    expect(slack.callsTo("chat.startStream").length).toBeGreaterThanOrEqual(1);
    expect(
      slack
        .thread(dm, ts)
        .map((m) => m.text)
        .join(""),
    ).toContain("DM answer.");
  });

  it("honours Retry-After when Slack rate-limits an update, and still shows the whole answer", async () => {
    const { slack, openrouter, network } = await slackWorld();
    const channel = freshChannel();
    const ts = "1700000010.000100";
    slack.seedMessage(channel, { ts, user: "U0ANA", text: "<@U0QUARRY> rl" });
    slack.rateLimitNext("chat.update", 1, 1);
    // Slow enough that the progress message is up before the text comes, which then edits it.
    openrouter.reply({ keepalives: 2, delayMs: 400, text: ["Rate limited but complete."] });
    await sendSlack(eventEnvelope(mentionEvent(channel, ts, "rl")));
    await settled(slackThread(channel, ts));
    expect(slack.thread(channel, ts).at(-1)!.text).toContain("Rate limited but complete.");
    const updates = network.log.filter((l) => l.url === `${FAKE_SLACK_URL}/chat.update`);
    expect(updates[0]!.status).toBe(429);
    expect(updates[1]!.at - updates[0]!.at).toBeGreaterThanOrEqual(1000);
  });
});
