/**
 * The fake Slack fails the way a real workspace does: messages deleted under the bot,
 * channels archived, the bot removed, the token revoked, requests that never get an
 * answer and answers lost after Slack acted.
 */
import { describe, expect, it } from "vitest";
import { FakeSlack } from "./fakes/slack-api.ts";
import { slackCall, virtualClock } from "./support/slack-calls.ts";

const CHANNEL = "C0FAILS";
const ROOT = "1700000100.000100";

// Each post comes a second after the last: Slack takes one a second per channel.
const clock = virtualClock();

function world() {
  const fake = new FakeSlack({ now: clock.now });
  fake.seedMessage(CHANNEL, { ts: ROOT, user: "U0ANA", text: "question" });
  return fake;
}

function post(fake: FakeSlack, channel = CHANNEL, extra: Record<string, unknown> = {}) {
  clock.advance(1_000);
  return slackCall(fake, "chat.postMessage", {
    channel,
    thread_ts: ROOT,
    text: "answer",
    ...extra,
  });
}

describe("fake Slack failures", () => {
  it("answers message_not_found to edits, appends and stops of a deleted message", async () => {
    const fake = world();
    const posted = await post(fake);
    const started = await slackCall(fake, "chat.startStream", {
      channel: CHANNEL,
      thread_ts: ROOT,
      recipient_user_id: "U0ANA",
      recipient_team_id: "T0TEAM",
      markdown_text: "streaming",
    });
    fake.deleteMessage(CHANNEL, posted.body.ts as string);
    fake.deleteMessage(CHANNEL, started.body.ts as string);
    const answers = await Promise.all([
      slackCall(fake, "chat.update", { channel: CHANNEL, ts: posted.body.ts, text: "x" }),
      slackCall(fake, "chat.appendStream", {
        channel: CHANNEL,
        ts: started.body.ts,
        markdown_text: "more",
      }),
      slackCall(fake, "chat.stopStream", { channel: CHANNEL, ts: started.body.ts }),
    ]);
    expect(answers.map((a) => a.body.error)).toEqual([
      "message_not_found",
      "message_not_found",
      "message_not_found",
    ]);
    expect(fake.thread(CHANNEL, ROOT)).toHaveLength(1);
    expect(fake.openStreams()).toBe(0);
  });

  it("lets the bot chat.delete its own message, not someone else's", async () => {
    const fake = world();
    const posted = await post(fake);
    const own = await slackCall(fake, "chat.delete", { channel: CHANNEL, ts: posted.body.ts });
    expect(own.body).toMatchObject({ ok: true, ts: posted.body.ts });
    const theirs = await slackCall(fake, "chat.delete", { channel: CHANNEL, ts: ROOT });
    expect(theirs.body.error).toBe("cant_delete_message");
    const again = await slackCall(fake, "chat.update", {
      channel: CHANNEL,
      ts: posted.body.ts,
      text: "x",
    });
    expect(again.body.error).toBe("message_not_found");
  });

  it("refuses writes to an archived channel with is_archived, and still lets the thread be read", async () => {
    const fake = world();
    const posted = await post(fake);
    fake.archiveChannel(CHANNEL);
    expect((await post(fake)).body.error).toBe("is_archived");
    const edit = await slackCall(fake, "chat.update", {
      channel: CHANNEL,
      ts: posted.body.ts,
      text: "x",
    });
    expect(edit.body.error).toBe("is_archived");
    const read = await slackCall(fake, "conversations.replies", { channel: CHANNEL, ts: ROOT });
    expect(read.body).toMatchObject({ ok: true, messages: [{ ts: ROOT }, { ts: posted.body.ts }] });
  });

  it("refuses writes with not_in_channel once the bot is removed, and reads of a private channel", async () => {
    const fake = world();
    fake.seedMessage("G0PRIVATE", { ts: ROOT, user: "U0ANA", text: "secret" });
    fake.removeBot(CHANNEL);
    fake.removeBot("G0PRIVATE");
    expect((await post(fake)).body.error).toBe("not_in_channel");
    expect((await post(fake, "G0PRIVATE")).body.error).toBe("not_in_channel");
    const read = await slackCall(fake, "conversations.replies", { channel: "G0PRIVATE", ts: ROOT });
    expect(read.body.error).toBe("channel_not_found");
    expect(fake.thread(CHANNEL, ROOT)).toHaveLength(1);
  });

  it("answers token_revoked to every call once the token is revoked", async () => {
    const fake = world();
    fake.revokeToken();
    expect((await slackCall(fake, "auth.test")).body.error).toBe("token_revoked");
    expect((await post(fake)).body.error).toBe("token_revoked");
    expect(fake.thread(CHANNEL, ROOT)).toHaveLength(1);
  });

  it("leaves a hung request unanswered until the client aborts it, and changes nothing", async () => {
    const fake = world();
    fake.hangNext("chat.postMessage");
    const controller = new AbortController();
    let outcome: unknown = "pending";
    const hanging = slackCall(
      fake,
      "chat.postMessage",
      { channel: CHANNEL, thread_ts: ROOT, text: "lost in transit" },
      { signal: controller.signal },
    ).then(
      () => {
        outcome = "answered";
      },
      (e: unknown) => {
        outcome = e;
      },
    );
    await new Promise((r) => setTimeout(r, 50));
    expect(outcome).toBe("pending");
    const reason = new Error("client gave up");
    controller.abort(reason);
    await hanging;
    expect(outcome).toBe(reason);
    expect(fake.thread(CHANNEL, ROOT)).toHaveLength(1);
    // Only the scripted call hangs.
    expect((await post(fake)).status).toBe(200);
  });

  it("applies a call whose answer it then loses, failing it like a dropped connection", async () => {
    const fake = world();
    fake.loseResponseNext("chat.postMessage");
    await expect(post(fake, CHANNEL, { text: "went through" })).rejects.toBeInstanceOf(TypeError);
    expect(fake.thread(CHANNEL, ROOT).map((m) => m.text)).toEqual(["question", "went through"]);
    expect((await post(fake)).status).toBe(200);
  });

  it("keeps a post's metadata and returns it from conversations.replies with include_all_metadata", async () => {
    const fake = world();
    const metadata = { event_type: "quarry_answer", event_payload: { key: "q1:0" } };
    await post(fake, CHANNEL, { metadata });
    const read = (extra: Record<string, unknown>) =>
      slackCall(fake, "conversations.replies", { channel: CHANNEL, ts: ROOT, ...extra });
    const plain = (await read({})).body.messages as Record<string, unknown>[];
    expect(plain[1]?.metadata).toBeUndefined();
    const full = (await read({ include_all_metadata: true })).body.messages as Record<
      string,
      unknown
    >[];
    expect(full[1]?.metadata).toEqual(metadata);
  });
});
