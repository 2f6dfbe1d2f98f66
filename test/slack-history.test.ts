import { beforeEach, describe, expect, it } from "vitest";
import { createSlackAdapter } from "../adapters/slack/slack-adapter.ts";
import type { ChatAdapter } from "../src/chat/adapter.ts";
import type { FakeSlack } from "./fakes/slack-api.ts";
import {
  ADAPTER_BOT_USER as BOT,
  ADAPTER_CHANNEL as CHANNEL,
  questionAt,
  ADAPTER_THREAD_ROOT as ROOT,
  slackAdapterFixture,
  slackApiFor,
} from "./support/slack-adapter-fixture.ts";

let fake: FakeSlack;
let adapter: ChatAdapter;

beforeEach(() => {
  ({ fake, adapter } = slackAdapterFixture());
});

describe("Slack adapter history", () => {
  function seedThread() {
    fake.seedMessage(CHANNEL, { ts: ROOT, user: "U0ALICE", text: `<@${BOT}> what is QUIC?` });
    fake.seedMessage(CHANNEL, {
      ts: "1700000100.000200",
      thread_ts: ROOT,
      user: BOT,
      bot_id: "B0QUARRY",
      text: "QUIC is a transport protocol…",
      blocks: [
        {
          type: "markdown",
          text: "QUIC is a transport protocol over **UDP**, with TLS 1.3 built in.",
        },
      ],
    });
    fake.seedMessage(CHANNEL, {
      ts: "1700000100.000300",
      thread_ts: ROOT,
      user: "U0BOB",
      text: "<@U0ALICE> see <https://quicwg.org|the WG>",
    });
    fake.seedMessage(CHANNEL, {
      ts: "1700000100.000400",
      thread_ts: ROOT,
      user: "U0ALICE",
      text: `<@${BOT}> and how does HTTP/3 use it?`,
    });
    fake.seedMessage(CHANNEL, {
      ts: "1700000100.000500",
      thread_ts: ROOT,
      user: "U0BOB",
      text: "later message",
    });
  }

  it("maps the thread to turns, oldest first, with names, and ends at the question", async () => {
    seedThread();
    const history = await adapter.fetchHistory(questionAt("1700000100.000400"));
    expect(history).toEqual([
      {
        id: ROOT,
        author: { id: "U0ALICE", name: "Alice" },
        fromBot: false,
        text: "what is QUIC?",
        at: 1_700_000_100_000,
      },
      {
        id: "1700000100.000200",
        author: { id: BOT, name: undefined },
        fromBot: true,
        text: "QUIC is a transport protocol over **UDP**, with TLS 1.3 built in.",
        at: 1_700_000_100_000,
      },
      {
        id: "1700000100.000300",
        author: { id: "U0BOB", name: "Bob Stone" },
        fromBot: false,
        text: "@Alice see the WG (https://quicwg.org)",
        at: 1_700_000_100_000,
      },
      {
        id: "1700000100.000400",
        author: { id: "U0ALICE", name: "Alice" },
        fromBot: false,
        text: "and how does HTTP/3 use it?",
        at: 1_700_000_100_000,
      },
    ]);
    const [replies] = fake.callsTo("conversations.replies");
    expect(replies?.body).toMatchObject({
      channel: CHANNEL,
      ts: ROOT,
      limit: "200",
      latest: "1700000100.000400",
      inclusive: "true",
    });
  });

  it("looks each person up once per client", async () => {
    seedThread();
    await adapter.fetchHistory(questionAt("1700000100.000400"));
    await adapter.fetchHistory(questionAt("1700000100.000400"));
    const looked = fake.callsTo("users.info").map((c) => c.body.user);
    expect(looked.sort()).toEqual(["U0ALICE", "U0BOB"]);
  });

  it("follows conversations.replies cursors through a long thread", async () => {
    fake.seedMessage(CHANNEL, { ts: ROOT, user: "U0ALICE", text: "root" });
    for (let i = 1; i <= 450; i++) {
      fake.seedMessage(CHANNEL, {
        ts: `1700000200.${String(i).padStart(6, "0")}`,
        thread_ts: ROOT,
        user: "U0BOB",
        text: `reply ${i}`,
      });
    }
    const history = await adapter.fetchHistory(
      questionAt("1700000200.000450", { text: "reply 450" }),
    );
    expect(history).toHaveLength(451);
    expect(history.map((h) => h.text).slice(0, 3)).toEqual(["root", "reply 1", "reply 2"]);
    const calls = fake.callsTo("conversations.replies");
    expect(calls).toHaveLength(3);
    expect(calls[0]?.body.cursor).toBeUndefined();
    expect(calls[1]?.body.cursor).toEqual(expect.any(String));
  });

  it("still ends with the question when Slack does not list it yet", async () => {
    fake.seedMessage(CHANNEL, { ts: ROOT, user: "U0ALICE", text: "root" });
    const history = await adapter.fetchHistory(
      questionAt("1700000100.000900", { text: "just posted" }),
    );
    expect(history.map((h) => [h.id, h.text])).toEqual([
      [ROOT, "root"],
      ["1700000100.000900", "just posted"],
    ]);
  });

  it("asks Slack nothing when the question opens its thread", async () => {
    const dm = questionAt("1700000300.000100", {
      thread: {
        platform: "slack",
        workspaceId: "T0TEAM",
        channelId: "D0ALICE",
        threadId: "1700000300.000100",
      },
      text: "hello",
    });
    expect(await adapter.fetchHistory(dm)).toEqual([
      {
        id: "1700000300.000100",
        author: { id: "U0ALICE" },
        fromBot: false,
        text: "hello",
        at: 1_700_000_300_000,
      },
    ]);
    expect(fake.calls).toHaveLength(0);
  });

  it("shows an /ask post as the asker's turn, not the bot's", async () => {
    const api = slackApiFor(fake);
    const posted = await api.postQuestion(CHANNEL, "U0ALICE", "what is <!here> QUIC?");
    expect(fake.thread(CHANNEL, posted)[0]?.text).toBe(
      "<@U0ALICE> asked: what is @\u200Bhere QUIC?",
    );
    fake.seedMessage(CHANNEL, {
      ts: "1700009000.000100",
      thread_ts: posted,
      user: BOT,
      bot_id: "B0QUARRY",
      text: "…",
      blocks: [{ type: "markdown", text: "An answer." }],
    });
    fake.seedMessage(CHANNEL, {
      ts: "1700009000.000200",
      thread_ts: posted,
      user: "U0BOB",
      text: "thanks, and HTTP/3?",
    });
    const q = questionAt("1700009000.000200", {
      thread: { platform: "slack", workspaceId: "T0TEAM", channelId: CHANNEL, threadId: posted },
      user: { id: "U0BOB" },
      text: "thanks, and HTTP/3?",
    });
    const history = await adapter.fetchHistory(q);
    expect(history.map((h) => [h.author.id, h.fromBot, h.text])).toEqual([
      ["U0ALICE", false, "what is @\u200Bhere QUIC?"],
      [BOT, true, "An answer."],
      ["U0BOB", false, "thanks, and HTTP/3?"],
    ]);
  });

  it("lists a message's files as attachments, from its file objects only, and keeps a file-only message", async () => {
    fake.seedMessage(CHANNEL, { ts: ROOT, user: "U0ALICE", text: "root" });
    fake.seedMessage(CHANNEL, {
      ts: "1700000100.000200",
      thread_ts: ROOT,
      user: "U0BOB",
      subtype: "file_share",
      text: "this chart, also at https://example.com/chart.png",
      files: [
        {
          id: "F1",
          name: "chart.png",
          mimetype: "image/png",
          size: 2048,
          url_private: "https://files.slack.com/files-pri/T0TEAM-F1/chart.png",
        },
        // A deleted file and a Slack Connect file without its URL: nothing to download.
        { id: "F2", mode: "tombstone" },
        { id: "F3", name: "shared.pdf", file_access: "check_file_info" },
      ],
    });
    fake.seedMessage(CHANNEL, {
      ts: "1700000100.000250",
      thread_ts: ROOT,
      user: "U0BOB",
      subtype: "file_share",
      text: "",
      files: [
        {
          id: "F4",
          name: "report.pdf",
          mimetype: "application/pdf",
          url_private: "https://files.slack.com/files-pri/T0TEAM-F4/report.pdf",
        },
      ],
    });
    const history = await adapter.fetchHistory(
      questionAt("1700000100.000300", { text: "explain it" }),
    );
    expect(history[1]).toEqual({
      id: "1700000100.000200",
      author: { id: "U0BOB", name: "Bob Stone" },
      fromBot: false,
      text: "this chart, also at https://example.com/chart.png",
      attachments: [
        {
          url: "https://files.slack.com/files-pri/T0TEAM-F1/chart.png",
          name: "chart.png",
          mimeType: "image/png",
          size: 2048,
        },
      ],
      at: 1_700_000_100_000,
    });
    expect(history[2]).toMatchObject({
      id: "1700000100.000250",
      text: "",
      attachments: [{ name: "report.pdf", mimeType: "application/pdf" }],
    });
  });

  it("takes the files of a question that opens its thread from the question, asking Slack nothing", async () => {
    const file = {
      url: "https://files.slack.com/files-pri/T0TEAM-F9/photo.jpg",
      name: "photo.jpg",
      mimeType: "image/jpeg",
    };
    const dm = questionAt("1700000300.000100", {
      thread: {
        platform: "slack",
        workspaceId: "T0TEAM",
        channelId: "D0ALICE",
        threadId: "1700000300.000100",
      },
      text: "what is this?",
      attachments: [file],
    });
    const history = await adapter.fetchHistory(dm);
    expect(history).toEqual([
      expect.objectContaining({ text: "what is this?", attachments: [file] }),
    ]);
    expect(fake.calls).toHaveLength(0);
  });

  it("treats other bots as people and skips joins", async () => {
    fake.seedMessage(CHANNEL, { ts: ROOT, user: "U0ALICE", text: "root" });
    fake.seedMessage(CHANNEL, {
      ts: "1700000100.000200",
      thread_ts: ROOT,
      subtype: "channel_join",
      user: "U0BOB",
      text: "<@U0BOB> has joined the channel",
    });
    fake.seedMessage(CHANNEL, {
      ts: "1700000100.000300",
      thread_ts: ROOT,
      subtype: "bot_message",
      bot_id: "B0OTHER",
      text: "deploy finished",
    });
    const history = await adapter.fetchHistory(questionAt("1700000100.000400", { text: "why?" }));
    expect(history.map((h) => [h.author.id, h.fromBot, h.text])).toEqual([
      ["U0ALICE", false, "root"],
      ["B0OTHER", false, "deploy finished"],
      ["U0ALICE", false, "why?"],
    ]);
  });

  it("learns its own user id from auth.test when not told", async () => {
    fake.seedMessage(CHANNEL, { ts: ROOT, user: "U0ALICE", text: "root" });
    fake.seedMessage(CHANNEL, {
      ts: "1700000100.000200",
      thread_ts: ROOT,
      user: BOT,
      bot_id: "B0QUARRY",
      text: "answer",
    });
    const selfless = createSlackAdapter({ api: slackApiFor(fake) });
    const history = await selfless.fetchHistory(questionAt("1700000100.000300", { text: "more" }));
    expect(history.map((h) => h.fromBot)).toEqual([false, true, false]);
    expect(fake.callsTo("auth.test")).toHaveLength(1);
  });
});
