import { createExecutionContext, SELF, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import worker from "../../src/index.ts";

/** The signing secret the Worker under test has (vitest.config.ts). */
export const SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5";

/** Slack's request signature: `v0=` HMAC-SHA256 hex over `v0:{timestamp}:{body}`. */
export async function slackSignature(
  secret: string,
  timestamp: string,
  body: string,
): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = await crypto.subtle.sign(
    "HMAC",
    key,
    new TextEncoder().encode(`v0:${timestamp}:${body}`),
  );
  return `v0=${[...new Uint8Array(mac)].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** Sends `body` to `POST /slack/events` signed the way Slack signs it. */
export async function sendSlack(
  body: string,
  opts: {
    contentType?: string;
    secret?: string;
    timestamp?: number;
    headers?: Record<string, string>;
  } = {},
): Promise<Response> {
  const ts = String(opts.timestamp ?? Math.floor(Date.now() / 1000));
  const signature = await slackSignature(opts.secret ?? SIGNING_SECRET, ts, body);
  return SELF.fetch("https://quarry.test/slack/events", {
    method: "POST",
    headers: {
      "content-type": opts.contentType ?? "application/json",
      "x-slack-request-timestamp": ts,
      "x-slack-signature": signature,
      ...opts.headers,
    },
    body,
  });
}

/** An event from Ana, as message `ts` in `channel`. */
function eventFromAna(
  type: string,
  channel: string,
  ts: string,
  text: string,
  extra: Record<string, unknown>,
): Record<string, unknown> {
  return { type, user: "U0ANA", text, ts, channel, event_ts: ts, ...extra };
}

/** Ana's `app_mention` of the bot, `<@U0QUARRY> {text}`, as message `ts` in `channel`. */
export function mentionEvent(
  channel: string,
  ts: string,
  text: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return eventFromAna("app_mention", channel, ts, `<@U0QUARRY> ${text}`, extra);
}

/** Ana's plain channel `message` event, `text` as written, as message `ts` in `channel`. */
export function messageEvent(
  channel: string,
  ts: string,
  text: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return eventFromAna("message", channel, ts, text, { channel_type: "channel", ...extra });
}

/** Sends `mentionEvent(…)` to the Worker in an Events API envelope. */
export function sendMention(
  channel: string,
  ts: string,
  text = "q",
  extra: Record<string, unknown> = {},
): Promise<Response> {
  return sendSlack(eventEnvelope(mentionEvent(channel, ts, text, extra)));
}

let eventCounter = 0;

/** An Events API envelope around `event`, as Slack delivers it. */
export function eventEnvelope(
  event: Record<string, unknown>,
  opts: { eventId?: string; team?: string; botUserId?: string } = {},
): string {
  return JSON.stringify({
    token: "legacy-verification-token",
    team_id: opts.team ?? "T0TEAM",
    api_app_id: "A0QUARRY",
    event,
    type: "event_callback",
    event_id: opts.eventId ?? `Ev${String(++eventCounter).padStart(8, "0")}`,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [
      {
        enterprise_id: null,
        team_id: opts.team ?? "T0TEAM",
        user_id: opts.botUserId ?? "U0QUARRY",
        is_bot: true,
        is_enterprise_install: false,
      },
    ],
    is_ext_shared_channel: false,
    event_context: "4-eyJldCI6ImFwcF9tZW50aW9uIn0",
  });
}

/** A slash command's form body. */
export function commandBody(
  command: string,
  text: string,
  opts: { user?: string; channel?: string } = {},
): string {
  return new URLSearchParams({
    token: "legacy",
    team_id: "T0TEAM",
    team_domain: "quarry-test",
    channel_id: opts.channel ?? "C0GENERAL",
    channel_name: "general",
    user_id: opts.user ?? "U0ANA",
    user_name: "ana",
    command,
    text,
    api_app_id: "A0QUARRY",
    is_enterprise_install: "false",
    response_url: "https://hooks.slack.test/commands/T0TEAM/1/abc",
    trigger_id: "13345224609.738474920.8088930838d88f008e0",
  }).toString();
}

/**
 * A `block_actions` interaction as Slack sends it (form field `payload`): `user` clicked
 * `button` on the bot's message `messageTs` in the thread `threadTs` of `channel`.
 */
export function blockActionsBody(opts: {
  user: string;
  channel: string;
  messageTs: string;
  threadTs: string;
  button: { action_id: string; value?: string };
  responseUrl: string;
}): string {
  const payload = {
    type: "block_actions",
    user: { id: opts.user, username: opts.user.toLowerCase(), name: opts.user, team_id: "T0TEAM" },
    api_app_id: "A0QUARRY",
    token: "legacy-verification-token",
    container: {
      type: "message",
      message_ts: opts.messageTs,
      channel_id: opts.channel,
      is_ephemeral: false,
      thread_ts: opts.threadTs,
    },
    trigger_id: "13345224609.738474920.8088930838d88f008e0",
    team: { id: "T0TEAM", domain: "quarry-test" },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: opts.channel, name: "general" },
    message: {
      type: "message",
      user: "U0QUARRY",
      bot_id: "B0QUARRY",
      ts: opts.messageTs,
      thread_ts: opts.threadTs,
      text: "…",
    },
    state: { values: {} },
    response_url: opts.responseUrl,
    actions: [
      {
        type: "button",
        block_id: "b0",
        action_ts: `${Math.floor(Date.now() / 1000)}.000100`,
        text: { type: "plain_text", text: "⏹ Stop", emoji: true },
        style: "danger",
        ...opts.button,
      },
    ],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

/**
 * Sends `body` to the Worker signed, as `sendSlack` does, and resolves once the work the
 * Worker left for after its response (`waitUntil`: a Stop's ephemeral reply) is done too.
 */
export async function sendSlackAndWait(body: string, contentType: string): Promise<Response> {
  const ts = String(Math.floor(Date.now() / 1000));
  const request = new Request("https://quarry.test/slack/events", {
    method: "POST",
    headers: {
      "content-type": contentType,
      "x-slack-request-timestamp": ts,
      "x-slack-signature": await slackSignature(SIGNING_SECRET, ts, body),
    },
    body,
  });
  const ctx = createExecutionContext();
  const res = await worker.fetch(request, env, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

/** Sends a `block_actions` click to the Worker (a signed form body) and waits for its after-work. */
export function sendBlockActions(opts: Parameters<typeof blockActionsBody>[0]): Promise<Response> {
  return sendSlackAndWait(blockActionsBody(opts), "application/x-www-form-urlencoded");
}

/** Slack's `agent_session_stopped`: `user` pressed the agent session's Stop in the thread `threadTs`. */
export function agentSessionStoppedEvent(
  channel: string,
  threadTs: string,
  user: string,
  streamingTs: string[] = [],
): Record<string, unknown> {
  return {
    type: "agent_session_stopped",
    channel,
    user,
    thread_ts: threadTs,
    streaming_message_ts: streamingTs,
    event_ts: `${Math.floor(Date.now() / 1000)}.000200`,
  };
}
