import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type Bridge,
  type EnvelopeReport,
  startBridge,
} from "../../adapters/slack/socket-bridge/bridge.ts";
import { FakeSocketModeSlack } from "./support/fake-socket-mode.ts";
import { FakeWorker } from "./support/fake-worker.ts";

const APP_TOKEN = "xapp-1-A0QUARRY-1111111111-abcdef";
const SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5";

let slack: FakeSocketModeSlack;
let worker: FakeWorker;
let bridge: Bridge | undefined;
let reports: EnvelopeReport[];
let lines: string[];
let reported: (() => void)[];

/** Resolves when the bridge has reported `count` envelopes in all. */
function reportsReach(count: number): Promise<EnvelopeReport[]> {
  if (reports.length >= count) return Promise.resolve(reports);
  return new Promise((resolve) => {
    const check = () => (reports.length >= count ? resolve(reports) : reported.push(check));
    reported.push(check);
  });
}

async function connect(opts: { appToken?: string; workerUrl?: string } = {}) {
  bridge = await startBridge({
    appToken: opts.appToken ?? APP_TOKEN,
    signingSecret: SIGNING_SECRET,
    workerUrl: opts.workerUrl ?? worker.url,
    slackApiUrl: slack.apiUrl,
    log: (line) => lines.push(line),
    onEnvelope: (r) => {
      reports.push(r);
      for (const wake of reported.splice(0)) wake();
    },
  });
  await slack.connected();
}

beforeEach(async () => {
  reports = [];
  lines = [];
  reported = [];
  slack = await FakeSocketModeSlack.start(APP_TOKEN);
  worker = await FakeWorker.start(SIGNING_SECRET);
});

afterEach(async () => {
  await bridge?.stop();
  bridge = undefined;
  await slack.close();
  await worker.close();
});

const mention = {
  token: "legacy",
  team_id: "T0TEAM",
  api_app_id: "A0QUARRY",
  type: "event_callback",
  event_id: "Ev0001",
  event_time: 1718000000,
  event: { type: "app_mention", user: "U0ANA", text: "<@U0QUARRY> hi", ts: "1.1", channel: "C0X" },
  authorizations: [{ team_id: "T0TEAM", user_id: "U0QUARRY", is_bot: true }],
};

const askCommand = {
  token: "legacy",
  team_id: "T0TEAM",
  channel_id: "C0GENERAL",
  user_id: "U0ANA",
  user_name: "ana",
  command: "/ask-settings",
  text: "model=openai/gpt-5 effort=high",
  api_app_id: "A0QUARRY",
  is_enterprise_install: "false",
  response_url: "https://hooks.slack.com/commands/T0TEAM/1/abc",
  trigger_id: "1.2.3",
};

const stopClick = {
  type: "block_actions",
  user: { id: "U0ANA", name: "ana", team_id: "T0TEAM" },
  team: { id: "T0TEAM" },
  channel: { id: "C0X" },
  trigger_id: "1.2.4",
  response_url: "https://hooks.slack.com/actions/T0TEAM/2/def",
  actions: [{ action_id: "stop", block_id: "b", value: "q-1", type: "button" }],
};

describe("Socket Mode bridge", () => {
  it("opens the connection with the app-level token", async () => {
    await connect();
    expect(slack.opens).toEqual([`Bearer ${APP_TOKEN}`]);
  });

  it("forwards an event as the signed JSON Slack would POST, and acks it without a payload", async () => {
    await connect();
    const id = slack.send("events_api", mention);
    const ack = await slack.ackOf(id);
    expect(worker.received).toHaveLength(1);
    const [req] = worker.received;
    expect(req?.verified).toBe(true);
    expect(req?.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(req?.body ?? "")).toEqual(mention);
    expect(req?.headers["x-slack-retry-num"]).toBeUndefined();
    expect(ack).toEqual({ envelope_id: id, payload: {} });
  });

  it("passes Slack's redelivery count on as X-Slack-Retry-Num, so the Worker dedupes", async () => {
    await connect();
    await slack.ackOf(
      slack.send("events_api", mention, { retryAttempt: 2, retryReason: "timeout" }),
    );
    expect(worker.received[0]?.headers["x-slack-retry-num"]).toBe("2");
    expect(worker.received[0]?.headers["x-slack-retry-reason"]).toBe("timeout");
  });

  it("forwards a slash command as the signed form Slack would POST, and relays the ephemeral reply", async () => {
    const reply = { response_type: "ephemeral", text: "Settings saved." };
    worker.answer = () => ({
      status: 200,
      contentType: "application/json",
      body: JSON.stringify(reply),
    });
    await connect();
    const id = slack.send("slash_commands", askCommand);
    const ack = await slack.ackOf(id);
    const [req] = worker.received;
    expect(req?.verified).toBe(true);
    expect(req?.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    expect(Object.fromEntries(new URLSearchParams(req?.body))).toEqual(askCommand);
    expect(ack).toEqual({ envelope_id: id, payload: reply });
  });

  it("forwards a button click as a signed payload= form", async () => {
    await connect();
    const id = slack.send("interactive", stopClick);
    await slack.ackOf(id);
    const [req] = worker.received;
    expect(req?.verified).toBe(true);
    expect(req?.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    const form = new URLSearchParams(req?.body);
    expect([...form.keys()]).toEqual(["payload"]);
    expect(JSON.parse(form.get("payload") ?? "")).toEqual(stopClick);
  });

  it("relays a plain-text answer to a command as the ack's text", async () => {
    worker.answer = () => ({ status: 200, contentType: "text/plain", body: "Working on it" });
    await connect();
    const ack = await slack.ackOf(slack.send("slash_commands", askCommand));
    expect(ack.payload).toEqual({ text: "Working on it" });
  });

  it("leaves an envelope unacknowledged when the Worker fails, so Slack delivers it again", async () => {
    worker.answer = () => ({ status: 503, body: "down" });
    await connect();
    const id = slack.send("events_api", mention);
    const [report] = await reportsReach(1);
    expect(report).toMatchObject({ what: "event app_mention", status: 503, acked: false });
    expect(slack.acks.map((a) => a.envelope_id)).not.toContain(id);
  });

  it("leaves an envelope unacknowledged when no Worker listens, and says to run npm start", async () => {
    await connect({ workerUrl: "http://127.0.0.1:9/slack/events" });
    const id = slack.send("events_api", mention);
    const [report] = await reportsReach(1);
    expect(report?.acked).toBe(false);
    expect(report?.problem).toMatch(/is npm start running\?/);
    expect(slack.acks.map((a) => a.envelope_id)).not.toContain(id);
  });

  it("acks but names the mismatch when the Worker refuses the signature", async () => {
    worker.answer = () => ({ status: 401 });
    await connect();
    const ack = await slack.ackOf(slack.send("events_api", mention));
    expect(ack.payload).toEqual({});
    const [report] = await reportsReach(1);
    expect(report?.problem).toMatch(/SLACK_SIGNING_SECRET differs/);
    expect(lines.join("\n")).not.toContain(SIGNING_SECRET);
  });

  it("fails to start with Slack's reason when the app-level token is refused", async () => {
    await expect(connect({ appToken: "xapp-1-wrong" })).rejects.toMatchObject({
      data: { error: "invalid_auth" },
    });
  });
});
