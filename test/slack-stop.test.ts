/**
 * Stop on Slack, end to end: signed clicks and events into the Worker, the conversation
 * object, the fake OpenRouter held mid-answer, and what the fakes of Slack received.
 */
import { describe, expect, it } from "vitest";
import { slackQuestionId } from "../adapters/slack/parse.ts";
import { STOP_ACTION_ID, stopActions } from "../adapters/slack/stop-control.ts";
import { NOT_RUNNING, STOP_REFUSED } from "../adapters/slack/stop-route.ts";
import type { ThreadRef } from "../src/chat/types.ts";
import { eventually, installFakeNetwork } from "./fakes/network.ts";
import { holdStream } from "./support/held-stream.ts";
import {
  agentSessionStoppedEvent,
  eventEnvelope,
  mentionEvent,
  sendBlockActions,
  sendSlack,
  sendSlackAndWait,
} from "./support/slack-requests.ts";
import {
  freshChannel,
  settled,
  slackThread,
  slackWorld,
  streamNatively,
} from "./support/slack-world.ts";

type World = Awaited<ReturnType<typeof slackWorld>>;

const PARTIAL = "Partial findings: QUIC runs over UDP. ";
const REST = "And the rest of the answer, written after the hold.";
let urls = 0;

/**
 * Ana asks in a fresh channel; the model writes `PARTIAL` and then waits: until it is
 * aborted (`hold: "abort"`) or until the test releases it (`hold: "release"`).
 */
async function askAndHold(world: World, hold: "abort" | "release", native = false) {
  const channel = freshChannel();
  const ts = "1700000001.000100";
  if (native) await streamNatively(channel);
  world.slack.seedMessage(channel, { ts, user: "U0ANA", text: "<@U0QUARRY> what is QUIC?" });
  // Frames: the opening chunk, then the first text chunk; then the hold.
  world.openrouter.reply({
    text: [PARTIAL, REST],
    hangAfter: hold === "abort" ? 2 : undefined,
    // What OpenRouter reports for the generation after a stop (the stream has no usage then).
    generationCost: 0.0123,
  });
  let release = () => {};
  if (hold === "release") {
    const held = holdStream(world.openrouter, 2);
    release = held.release;
    installFakeNetwork({
      "slack.test": world.slack,
      "hooks.slack.test": world.hooks,
      "openrouter.test": held.host,
    });
  }
  expect((await sendSlack(eventEnvelope(mentionEvent(channel, ts, "what is QUIC?")))).status).toBe(
    200,
  );
  const thread = slackThread(channel, ts);
  // The answer is running: its message shows the partial text.
  const message = await eventually(() =>
    world.slack.thread(channel, ts).find((m) => m.bot_id && m.text.includes(PARTIAL.trim())),
  );
  // The running answer's progress message carries the Stop (the header when streaming natively).
  const withStop = await eventually(() =>
    world.slack
      .thread(channel, ts)
      .find((m) => m.bot_id && world.slack.buttons(channel, m.ts).length === 1),
  );
  expect(withStop).toBeDefined();
  return { channel, ts, thread, messageTs: message.ts, release };
}

/** A click on the Stop of the answer to the question `ts`: the button the adapter renders for it. */
function clickStop(
  a: { channel: string; ts: string; thread: ThreadRef; messageTs: string },
  user: string,
) {
  const button = stopActions(a.thread, slackQuestionId(a.channel, a.ts))?.elements[0];
  const responseUrl = `https://hooks.slack.test/actions/T0TEAM/${++urls}/stop`;
  const sent = sendBlockActions({
    user,
    channel: a.channel,
    messageTs: a.messageTs,
    threadTs: a.ts,
    button: { action_id: STOP_ACTION_ID, value: button?.value },
    responseUrl,
  });
  return { responseUrl, sent };
}

/** The blocks of the last update of message `ts`. */
function lastBlocks(world: World, ts: string): { type: string }[] {
  const update = world.slack.callsTo("chat.update").findLast((c) => c.body.ts === ts);
  return (update?.body.blocks ?? []) as { type: string }[];
}

describe("Slack: Stop", () => {
  it("stops the answer when the asker presses Stop: the request is aborted, the partial text is kept as stopped, and the button is gone", async () => {
    const world = await slackWorld();
    const a = await askAndHold(world, "abort");
    const { sent, responseUrl } = clickStop(a, "U0ANA");
    expect((await sent).status).toBe(200);
    const rows = await settled(a.thread);

    expect(rows.map((r) => r.state)).toEqual(["cancelled"]);
    expect(
      world.openrouter.requests.find((r) => r.path.endsWith("/chat/completions"))?.aborted,
    ).toBe(true);
    const shown = world.slack.thread(a.channel, a.ts).filter((m) => m.bot_id);
    const last = shown.at(-1)?.text ?? "";
    expect(last).toContain(PARTIAL.trim());
    expect(last).toContain("Stopped");
    expect(last).not.toContain(REST);
    // Its cost comes from OpenRouter's generation record, shown and booked.
    expect(last).toContain("$0.012");
    for (const m of shown) expect(world.slack.buttons(a.channel, m.ts)).toEqual([]);
    expect(lastBlocks(world, a.messageTs).map((b) => b.type)).toEqual(["markdown"]);
    // A stop shows in the answer itself: nothing ephemeral for the asker.
    expect(world.hooks.to(responseUrl)).toEqual([]);
  });

  it("lets a workspace admin stop someone else's answer", async () => {
    const world = await slackWorld();
    const a = await askAndHold(world, "abort");
    expect((await clickStop(a, "U0ADMIN").sent).status).toBe(200);
    expect((await settled(a.thread)).map((r) => r.state)).toEqual(["cancelled"]);
    expect(world.slack.callsTo("users.info").map((c) => c.body.user)).toContain("U0ADMIN");
  });

  it("refuses anyone else with an ephemeral reply through response_url, and the answer goes on to the end", async () => {
    const world = await slackWorld();
    const a = await askAndHold(world, "release");
    const { sent, responseUrl } = clickStop(a, "U0BEN");
    expect((await sent).status).toBe(200);
    expect(world.hooks.to(responseUrl)).toEqual([
      { response_type: "ephemeral", replace_original: false, text: STOP_REFUSED },
    ]);

    a.release();
    expect((await settled(a.thread)).map((r) => r.state)).toEqual(["answered"]);
    expect(world.openrouter.requests.some((r) => r.aborted)).toBe(false);
    const last = world.slack.thread(a.channel, a.ts).at(-1)?.text ?? "";
    expect(last).toContain(`${PARTIAL}${REST}`);
    expect(last).not.toContain("Stopped");
    expect(world.slack.buttons(a.channel, a.messageTs)).toEqual([]);
  });

  it("has one effect on a double click: one stop, and the second press is told the answer is no longer running", async () => {
    const world = await slackWorld();
    const a = await askAndHold(world, "abort");
    const first = clickStop(a, "U0ANA");
    const second = clickStop(a, "U0ANA");
    expect((await Promise.all([first.sent, second.sent])).map((r) => r.status)).toEqual([200, 200]);
    await settled(a.thread);

    const replies = [world.hooks.to(first.responseUrl), world.hooks.to(second.responseUrl)];
    // Exactly one press stopped the answer (and got no reply); the other was told it had stopped.
    expect(replies.filter((r) => r.length === 0)).toHaveLength(1);
    expect(replies.flat()).toEqual([
      { response_type: "ephemeral", replace_original: false, text: NOT_RUNNING },
    ]);
    const stopped = world.slack
      .thread(a.channel, a.ts)
      .filter((m) => m.bot_id && m.text.includes("Stopped"));
    expect(stopped).toHaveLength(1);
    expect(world.openrouter.chatBodies).toHaveLength(1);

    // Pressed again once the answer is over: acknowledged, and nothing else changes.
    const late = clickStop(a, "U0ANA");
    expect((await late.sent).status).toBe(200);
    expect(world.hooks.to(late.responseUrl)).toEqual([
      { response_type: "ephemeral", replace_original: false, text: NOT_RUNNING },
    ]);
    expect((await settled(a.thread)).map((r) => r.state)).toEqual(["cancelled"]);
  });

  it("stops a natively streamed answer on the agent session's agent_session_stopped, and refuses it from anyone else", async () => {
    const world = await slackWorld({ nativeStreaming: "ok" });
    const a = await askAndHold(world, "abort", true);
    expect(world.slack.callsTo("chat.startStream")).not.toHaveLength(0);
    const event = (user: string) =>
      eventEnvelope(agentSessionStoppedEvent(a.channel, a.ts, user, [a.messageTs]));

    expect((await sendSlackAndWait(event("U0BEN"), "application/json")).status).toBe(200);
    expect(world.slack.ephemerals).toEqual([
      { channel: a.channel, user: "U0BEN", thread_ts: a.ts, text: STOP_REFUSED },
    ]);
    expect(world.openrouter.requests.some((r) => r.aborted)).toBe(false);

    expect((await sendSlackAndWait(event("U0ANA"), "application/json")).status).toBe(200);
    expect((await settled(a.thread)).map((r) => r.state)).toEqual(["cancelled"]);
    expect(
      world.openrouter.requests.find((r) => r.path.endsWith("/chat/completions"))?.aborted,
    ).toBe(true);
    const shown = world.slack.thread(a.channel, a.ts).filter((m) => m.bot_id);
    expect(shown.map((m) => m.text).join("\n")).toContain("Stopped");
    for (const m of shown) expect(world.slack.buttons(a.channel, m.ts)).toEqual([]);
    expect(world.slack.openStreams()).toBe(0);
    expect(world.slack.ephemerals).toHaveLength(1);
  });
});
