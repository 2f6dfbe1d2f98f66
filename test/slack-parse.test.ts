import { describe, expect, it } from "vitest";
import { slackDelivery, slackDeliveryOf } from "../adapters/slack/delivery.ts";
import {
  parseSlackRequest,
  type SlackEventInbound,
  type SlackInbound,
  slackCommandToQuestion,
  slackEventToQuestion,
} from "../adapters/slack/parse.ts";
import { BadRequestError } from "../src/errors.ts";

const JSON_TYPE = "application/json";
const FORM_TYPE = "application/x-www-form-urlencoded";
const BOT = "U0QUARRY";

/** An Events API envelope as Slack sends it (fields we do not read included). */
function envelope(event: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    token: "XXYYZZ",
    team_id: "T0TEAM",
    context_team_id: "T0TEAM",
    api_app_id: "A0QUARRY",
    event,
    type: "event_callback",
    event_id: "Ev0001",
    event_time: 1700000100,
    authorizations: [
      {
        enterprise_id: null,
        team_id: "T0TEAM",
        user_id: BOT,
        is_bot: true,
        is_enterprise_install: false,
      },
    ],
    is_ext_shared_channel: false,
    event_context: "4-eyJldCI6ImFwcF9tZW50aW9uIn0",
    ...extra,
  });
}

const richText = (text: string) => [
  {
    type: "rich_text",
    block_id: "bk1",
    elements: [{ type: "rich_text_section", elements: [{ type: "text", text }] }],
  },
];

const mention = (over: Record<string, unknown> = {}) => ({
  client_msg_id: "6f1a…",
  type: "app_mention",
  text: `<@${BOT}> what changed in <https://example.com/http3|HTTP/3> &amp; why?`,
  user: "U0ALICE",
  ts: "1700000100.000200",
  blocks: richText("what changed"),
  team: "T0TEAM",
  channel: "C0GENERAL",
  event_ts: "1700000100.000200",
  ...over,
});

const channelMessage = (over: Record<string, unknown> = {}) => ({
  user: "U0ALICE",
  type: "message",
  ts: "1700000200.000300",
  client_msg_id: "9b2c…",
  text: "and what about QUIC?",
  team: "T0TEAM",
  thread_ts: "1700000100.000200",
  parent_user_id: "U0ALICE",
  blocks: richText("and what about QUIC?"),
  channel: "C0GENERAL",
  event_ts: "1700000200.000300",
  channel_type: "channel",
  ...over,
});

function parseEvent(
  event: Record<string, unknown>,
  extra?: Record<string, unknown>,
): SlackEventInbound {
  const inbound = parseSlackRequest(JSON_TYPE, envelope(event, extra));
  if (inbound.kind !== "event") throw new Error(`expected an event, got ${inbound.kind}`);
  return inbound;
}

function question(event: Record<string, unknown>) {
  const decision = slackEventToQuestion(parseEvent(event), 1_700_000_100_500);
  if (decision.kind !== "question") throw new Error(`ignored: ${decision.reason}`);
  return decision;
}

const ignoredBecause = (event: Record<string, unknown>) => {
  const decision = slackEventToQuestion(parseEvent(event));
  return decision.kind === "ignore" ? decision.reason : undefined;
};

describe("parseSlackRequest", () => {
  it("answers url_verification with its challenge", () => {
    const body = JSON.stringify({
      token: "Jhj5dZrVaK7ZwHHjRyZWjbDl",
      challenge: "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
      type: "url_verification",
    });
    expect(parseSlackRequest("application/json; charset=utf-8", body)).toEqual({
      kind: "url_verification",
      challenge: "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
    });
  });

  it("reads an app_mention envelope: event id, team, and our bot user", () => {
    const inbound = parseSlackRequest(JSON_TYPE, envelope(mention()));
    expect(inbound).toMatchObject({
      kind: "event",
      eventId: "Ev0001",
      teamId: "T0TEAM",
      botUserId: BOT,
    });
    expect((inbound as SlackEventInbound).event).toMatchObject({
      type: "app_mention",
      channel: "C0GENERAL",
      user: "U0ALICE",
    });
  });

  it("takes the bot user from authed_users when there are no authorizations", () => {
    const inbound = parseEvent(mention(), {
      authorizations: undefined,
      authed_users: ["U0LEGACY"],
    });
    expect(inbound.botUserId).toBe("U0LEGACY");
  });

  it("reads a slash command form body (Slack's signing example)", () => {
    const body =
      "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    expect(parseSlackRequest(FORM_TYPE, body)).toEqual({
      kind: "command",
      command: "/webhook-collect",
      text: "",
      userId: "U2CERLKJA",
      userName: "roadrunner",
      channelId: "G8PSS9T3V",
      teamId: "T1DC2JH3J",
      responseUrl:
        "https://hooks.slack.com/commands/T1DC2JH3J/397700885554/96rGlfmibIGlgcZRskXaIFfN",
      triggerId: "398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c",
    });
  });

  it("reads an interactivity payload", () => {
    const payload = {
      type: "block_actions",
      user: { id: "U0ALICE", username: "alice", name: "alice", team_id: "T0TEAM" },
      api_app_id: "A0QUARRY",
      token: "t",
      container: { type: "message", message_ts: "1700000300.000100", channel_id: "C0GENERAL" },
      trigger_id: "123.456.abc",
      team: { id: "T0TEAM", domain: "quarry" },
      channel: { id: "C0GENERAL", name: "general" },
      response_url: "https://hooks.slack.com/actions/T0TEAM/1/xyz",
      actions: [{ action_id: "stop", block_id: "b", value: "q1", type: "button" }],
    };
    const inbound = parseSlackRequest(
      FORM_TYPE,
      new URLSearchParams({ payload: JSON.stringify(payload) }).toString(),
    );
    expect(inbound.kind).toBe("interaction");
    expect((inbound as Extract<SlackInbound, { kind: "interaction" }>).payload).toMatchObject({
      type: "block_actions",
      user: { id: "U0ALICE" },
      actions: [{ action_id: "stop", value: "q1" }],
    });
  });

  it.each([
    ["malformed JSON", JSON_TYPE, '{"type": "event_callback",'],
    ["a JSON body that is not an object", JSON_TYPE, "[1,2]"],
    ["an unknown request type", JSON_TYPE, JSON.stringify({ type: "app_rate_limited_v9" })],
    ["an event envelope without event_id", JSON_TYPE, envelope(mention(), { event_id: undefined })],
    ["an event without a channel", JSON_TYPE, envelope(mention({ channel: undefined }))],
    [
      "url_verification without a challenge",
      JSON_TYPE,
      JSON.stringify({ type: "url_verification" }),
    ],
    ["a form that is neither command nor payload", FORM_TYPE, "foo=bar"],
    [
      "a slash command without user_id",
      FORM_TYPE,
      "command=%2Fask&text=hi&channel_id=C1&team_id=T1&response_url=https%3A%2F%2Fh.test%2Fx&trigger_id=1",
    ],
    ["an interaction payload that is not JSON", FORM_TYPE, "payload=%7Bnope"],
    [
      "an interaction payload without a type",
      FORM_TYPE,
      `payload=${encodeURIComponent('{"user":{"id":"U1"}}')}`,
    ],
    ["an unsupported content type", "text/plain", "hello"],
  ])("throws BadRequestError for %s", (_, type, body) => {
    expect(() => parseSlackRequest(type, body)).toThrow(BadRequestError);
  });

  it("says in the 400 which field is wrong and what it should be", () => {
    expect(() => parseSlackRequest(JSON_TYPE, envelope(mention({ channel: 42 })))).toThrow(
      "Malformed Slack event: expected string at event.channel",
    );
    const command =
      "command=%2Fask&text=hi&user_id=U1&channel_id=C1&team_id=T1&response_url=nope&trigger_id=1";
    expect(() => parseSlackRequest(FORM_TYPE, command)).toThrow(
      "Malformed Slack slash command: expected url at response_url",
    );
    expect(() => parseSlackRequest(JSON_TYPE, envelope(mention(), { event_id: "" }))).toThrow(
      "Malformed Slack event: expected min length >=1 at event_id",
    );
  });
});

describe("slackEventToQuestion", () => {
  it("turns an app_mention into a mention question in that message's thread", () => {
    const { trigger, question: q } = question(mention());
    expect(trigger).toBe("mention");
    expect(q).toEqual({
      id: "slack:C0GENERAL:1700000100.000200",
      thread: {
        platform: "slack",
        workspaceId: "T0TEAM",
        channelId: "C0GENERAL",
        threadId: "1700000100.000200",
      },
      text: "what changed in HTTP/3 (https://example.com/http3) & why?",
      trigger: "mention",
      user: { id: "U0ALICE" },
      messageId: "1700000100.000200",
      receivedAt: 1_700_000_100_500,
      delivery: slackDelivery({
        recipientUserId: "U0ALICE",
        recipientTeamId: "T0TEAM",
        channelType: "channel",
      }),
    });
  });

  it("gives the app_mention and the message event of one message the same question id", () => {
    const text = `<@${BOT}> summarise this thread`;
    const fromMention = question(
      mention({ text, ts: "1700000400.000100", thread_ts: "1700000100.000200" }),
    );
    const fromMessage = question(
      channelMessage({ text, ts: "1700000400.000100", thread_ts: "1700000100.000200" }),
    );
    expect(fromMessage.question.id).toBe(fromMention.question.id);
    expect(fromMessage.trigger).toBe("mention");
    expect(fromMessage.question.thread).toEqual(fromMention.question.thread);
    expect(fromMessage.question.text).toBe("summarise this thread");
  });

  it("answers a mention inside a thread in that thread", () => {
    const { question: q } = question(
      mention({ ts: "1700000500.000100", thread_ts: "1700000100.000200" }),
    );
    expect(q.thread.threadId).toBe("1700000100.000200");
    expect(q.messageId).toBe("1700000500.000100");
  });

  it("makes a plain thread reply a followup (the core decides whether the thread was answered)", () => {
    const { trigger, question: q } = question(channelMessage());
    expect(trigger).toBe("followup");
    expect(q.thread.threadId).toBe("1700000100.000200");
    expect(q.text).toBe("and what about QUIC?");
  });

  it("answers a direct message as dm", () => {
    const dm = channelMessage({
      channel: "D0ALICE",
      channel_type: "im",
      thread_ts: undefined,
      parent_user_id: undefined,
      text: "hi there",
    });
    const { trigger, question: q } = question(dm);
    expect(trigger).toBe("dm");
    expect(q.thread).toMatchObject({ channelId: "D0ALICE", threadId: dm.ts });
    expect(slackDeliveryOf(q).channelType).toBe("im");
  });

  it("keeps other people's mentions but drops its own", () => {
    const { question: q } = question(
      mention({ text: `<@${BOT}> ask <@U0BOB> and <@U0CAROL|carol> about <#C0OPS|ops>` }),
    );
    expect(q.text).toBe("ask @U0BOB and @carol about #ops");
  });

  it("takes the asker's own team for native streaming in Slack Connect channels", () => {
    const { question: q } = question(mention({ team: "T0OTHER", user_team: "T0OTHER" }));
    expect(q.delivery).toMatchObject({ recipientUserId: "U0ALICE", recipientTeamId: "T0OTHER" });
    expect(q.thread.workspaceId).toBe("T0TEAM");
  });

  it("ignores the bot's own posts, by bot_id or by user", () => {
    const ownPost = channelMessage({
      user: BOT,
      bot_id: "B0QUARRY",
      app_id: "A0QUARRY",
      text: "Here is the answer",
      bot_profile: { id: "B0QUARRY", name: "Quarry" },
    });
    expect(ignoredBecause(ownPost)).toBe("message from a bot");
    expect(ignoredBecause(channelMessage({ user: BOT }))).toBe("our own message");
  });

  it("ignores edits, deletions and joins", () => {
    const changed = {
      type: "message",
      subtype: "message_changed",
      hidden: true,
      message: {
        type: "message",
        user: "U0ALICE",
        text: `<@${BOT}> edited`,
        ts: "1700000100.000200",
        edited: { user: "U0ALICE", ts: "1700000600.000000" },
      },
      channel: "C0GENERAL",
      previous_message: {
        type: "message",
        user: "U0ALICE",
        text: "before",
        ts: "1700000100.000200",
      },
      event_ts: "1700000600.000100",
      ts: "1700000600.000100",
      channel_type: "channel",
    };
    expect(ignoredBecause(changed)).toBe("hidden message event");
    expect(ignoredBecause({ ...changed, hidden: undefined })).toBe(
      "message subtype message_changed",
    );
    const deleted = {
      type: "message",
      subtype: "message_deleted",
      hidden: true,
      channel: "C0GENERAL",
      ts: "1700000700.000100",
      deleted_ts: "1700000100.000200",
      event_ts: "1700000700.000100",
      channel_type: "channel",
    };
    expect(ignoredBecause(deleted)).toBe("hidden message event");
    expect(
      ignoredBecause(
        channelMessage({ subtype: "channel_join", text: "<@U0ALICE> has joined the channel" }),
      ),
    ).toBe("message subtype channel_join");
  });

  it("still answers file shares and thread broadcasts", () => {
    const files = [
      {
        id: "F1",
        name: "chart.png",
        mimetype: "image/png",
        url_private: "https://files.slack.com/files-pri/T0-F1/chart.png",
      },
    ];
    expect(question(channelMessage({ subtype: "file_share", files, text: "" })).trigger).toBe(
      "followup",
    );
    expect(question(channelMessage({ subtype: "thread_broadcast" })).trigger).toBe("followup");
  });

  it("ignores a top-level channel message that does not mention the bot", () => {
    expect(
      ignoredBecause(channelMessage({ thread_ts: undefined, parent_user_id: undefined })),
    ).toBe("top-level channel message without a mention");
  });

  it("ignores a bare mention with nothing to answer", () => {
    expect(ignoredBecause(mention({ text: `<@${BOT}>  ` }))).toBe("empty message");
  });
});

describe("slackCommandToQuestion", () => {
  it("answers /ask in the thread of the bot post that shows the question", () => {
    const command = {
      kind: "command" as const,
      command: "/ask",
      text: "is &lt;b&gt; deprecated &amp; why?",
      userId: "U0ALICE",
      userName: "alice",
      channelId: "C0GENERAL",
      teamId: "T0TEAM",
      responseUrl: "https://hooks.slack.com/commands/T0TEAM/1/abc",
      triggerId: "1.2.3",
    };
    expect(slackCommandToQuestion(command, "1700000800.000100", 5)).toEqual({
      id: "slack:C0GENERAL:1700000800.000100",
      thread: {
        platform: "slack",
        workspaceId: "T0TEAM",
        channelId: "C0GENERAL",
        threadId: "1700000800.000100",
      },
      text: "is <b> deprecated & why?",
      trigger: "command",
      user: { id: "U0ALICE", name: "alice" },
      messageId: "1700000800.000100",
      receivedAt: 5,
      delivery: slackDelivery({
        recipientUserId: "U0ALICE",
        recipientTeamId: "T0TEAM",
        channelType: "channel",
      }),
    });
  });
});
