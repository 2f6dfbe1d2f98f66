/**
 * The Slack side of Stop on its own: the button the adapter puts under the markdown block,
 * what its value names, the bodies an update with and without it sends, and the parse of
 * a click and of the agent session's `agent_session_stopped`.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { parseSlackRequest } from "../adapters/slack/parse.ts";
import { parseStopValue, STOP_ACTION_ID, stopActions } from "../adapters/slack/stop-control.ts";
import { stopClickOf } from "../adapters/slack/stop-route.ts";
import type { ChatAdapter } from "../src/chat/adapter.ts";
import type { ThreadRef } from "../src/chat/types.ts";
import { BadRequestError } from "../src/errors.ts";
import type { FakeSlack } from "./fakes/slack-api.ts";
import {
  ADAPTER_BOT_USER as BOT,
  ADAPTER_CHANNEL as CHANNEL,
  questionAt,
  ADAPTER_THREAD_ROOT as ROOT,
  slackAdapterFixture,
} from "./support/slack-adapter-fixture.ts";
import {
  agentSessionStoppedEvent,
  blockActionsBody,
  eventEnvelope,
} from "./support/slack-requests.ts";

const THREAD: ThreadRef = {
  platform: "slack",
  workspaceId: "T0TEAM",
  channelId: CHANNEL,
  threadId: ROOT,
};
const FORM = "application/x-www-form-urlencoded";

describe("Slack Stop button", () => {
  it("is a danger button in an actions block whose value names the conversation and the question", () => {
    const block = stopActions(THREAD, `slack:${CHANNEL}:1700000100.000400`);
    expect(block).toMatchObject({
      type: "actions",
      elements: [
        {
          type: "button",
          action_id: STOP_ACTION_ID,
          style: "danger",
          text: { type: "plain_text", text: "⏹ Stop" },
        },
      ],
    });
    const button = block?.elements[0];
    expect(button?.text.text.length).toBeLessThanOrEqual(75);
    expect(parseStopValue(button?.value)).toEqual({
      thread: THREAD,
      questionId: `slack:${CHANNEL}:1700000100.000400`,
    });
  });

  it("leaves the button out rather than send a value over Slack's 2,000 characters", () => {
    vi.spyOn(console, "warn").mockImplementation(() => {});
    expect(stopActions({ ...THREAD, threadId: "9".repeat(2000) }, "slack:C:1")).toBeUndefined();
  });

  it("reads no Stop from a value that is not one of its own", () => {
    for (const value of [undefined, "", "stop", "{}", '{"w":"T","c":"C","t":"1"}', "[1,2]"])
      expect(parseStopValue(value)).toBeUndefined();
  });
});

describe("Slack adapter with controls", () => {
  let fake: FakeSlack;
  let adapter: ChatAdapter;
  const q = questionAt("1700000100.000400");
  const stop = { stop: { questionId: q.id } };

  beforeEach(() => {
    ({ fake, adapter } = slackAdapterFixture());
    fake.seedMessage(CHANNEL, { ts: ROOT, user: "U0ALICE", text: `<@${BOT}> what is QUIC?` });
  });
  afterEach(() => vi.restoreAllMocks());

  it("posts the Stop below the markdown block, and keeps the button out of the plain-text fallback", async () => {
    const sent = await adapter.post(q, "⏳ _Researching…_", undefined, "k1", stop);
    const body = fake.callsTo("chat.postMessage")[0]?.body;
    expect(body?.blocks).toEqual([
      { type: "markdown", text: "⏳ _Researching…_" },
      stopActions(q.thread, q.id),
    ]);
    expect(body?.text).toContain("Researching…");
    expect(body?.text).not.toContain("Stop");
    expect(fake.buttons(CHANNEL, sent.id).map((b) => b.action_id)).toEqual([STOP_ACTION_ID]);
  });

  it("drops the Stop with an update that carries no controls, sending the blocks without the actions block", async () => {
    const sent = await adapter.post(q, "⏳ _Researching…_", undefined, "k1", stop);
    await adapter.edit(q, sent, "Partial text\n\n⏳ _Writing…_", stop);
    expect(fake.buttons(CHANNEL, sent.id)).toHaveLength(1);
    await adapter.edit(q, sent, "The whole answer.");
    expect(fake.callsTo("chat.update").at(-1)?.body.blocks).toEqual([
      { type: "markdown", text: "The whole answer." },
    ]);
    expect(fake.buttons(CHANNEL, sent.id)).toEqual([]);
  });

  it("drops the Stop from a message whose text becomes empty, since Slack keeps the old blocks when blocks are left out", async () => {
    const sent = await adapter.post(q, "⏳ _Researching…_", undefined, "k1", stop);
    await adapter.edit(q, sent, "  ");
    expect(fake.callsTo("chat.update").at(-1)?.body.blocks).toEqual([
      { type: "markdown", text: "…" },
    ]);
    expect(fake.buttons(CHANNEL, sent.id)).toEqual([]);
  });

  it("posts an empty progress message with its Stop beside a placeholder, never an empty markdown block", async () => {
    const sent = await adapter.post(q, "", undefined, "k1", stop);
    expect(fake.callsTo("chat.postMessage")[0]?.body.blocks).toEqual([
      { type: "markdown", text: "…" },
      stopActions(q.thread, q.id),
    ]);
    expect(fake.buttons(CHANNEL, sent.id)).toHaveLength(1);
  });

  it("sends no actions block without controls", async () => {
    await adapter.post(q, "An answer.");
    expect(JSON.stringify(fake.callsTo("chat.postMessage")[0]?.body)).not.toContain("actions");
  });
});

describe("parsing Stop presses", () => {
  it("turns a block_actions click on a Stop into the conversation, question, clicker and response_url", () => {
    const button = stopActions(THREAD, `slack:${CHANNEL}:1700000100.000400`)?.elements[0];
    const raw = blockActionsBody({
      user: "U0BEN",
      channel: CHANNEL,
      messageTs: "1700000100.000500",
      threadTs: ROOT,
      button: { action_id: STOP_ACTION_ID, value: button?.value },
      responseUrl: "https://hooks.slack.test/actions/T0TEAM/1/abc",
    });
    const inbound = parseSlackRequest(FORM, raw);
    if (inbound.kind !== "interaction") throw new Error(`parsed as ${inbound.kind}`);
    expect(stopClickOf(inbound.payload)).toEqual({
      thread: THREAD,
      questionId: `slack:${CHANNEL}:1700000100.000400`,
      userId: "U0BEN",
      responseUrl: "https://hooks.slack.test/actions/T0TEAM/1/abc",
    });
  });

  it("takes no Stop from another button's click", () => {
    const raw = blockActionsBody({
      user: "U0BEN",
      channel: CHANNEL,
      messageTs: "1700000100.000500",
      threadTs: ROOT,
      button: { action_id: "something_else", value: "x" },
      responseUrl: "https://hooks.slack.test/actions/T0TEAM/1/abc",
    });
    const inbound = parseSlackRequest(FORM, raw);
    if (inbound.kind !== "interaction") throw new Error(`parsed as ${inbound.kind}`);
    expect(stopClickOf(inbound.payload)).toBeUndefined();
  });

  it("parses agent_session_stopped (which has no ts) into the thread and who pressed it", () => {
    const raw = eventEnvelope(agentSessionStoppedEvent(CHANNEL, ROOT, "U0ALICE", [ROOT]), {
      eventId: "EvSTOP1",
    });
    expect(parseSlackRequest("application/json", raw)).toEqual({
      kind: "agent_stop",
      eventId: "EvSTOP1",
      teamId: "T0TEAM",
      channelId: CHANNEL,
      threadTs: ROOT,
      userId: "U0ALICE",
    });
  });

  it("rejects an agent_session_stopped without its thread as a bad request", () => {
    const event = { ...agentSessionStoppedEvent(CHANNEL, ROOT, "U0ALICE"), thread_ts: undefined };
    expect(() => parseSlackRequest("application/json", eventEnvelope(event))).toThrow(
      BadRequestError,
    );
  });
});
