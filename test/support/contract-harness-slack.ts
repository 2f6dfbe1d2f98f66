/**
 * The Slack side of the adapter contract: the real verify, parse and adapter, a fresh
 * in-process Slack (`FakeSlack`, native streaming on unless asked otherwise) recording every Web API call.
 */
import { SlackApi } from "../../adapters/slack/api.ts";
import { slackMetaOf } from "../../adapters/slack/delivery.ts";
import { parseSlackRequest, slackEventToQuestion } from "../../adapters/slack/parse.ts";
import { createSlackAdapter } from "../../adapters/slack/slack-adapter.ts";
import { parseStopValue, STOP_ACTION_ID } from "../../adapters/slack/stop-control.ts";
import { verifySlackRequest } from "../../adapters/slack/verify.ts";
import type { Question, SentMessage } from "../../src/chat/types.ts";
import { localRateLimiter } from "../../src/delivery/rate-limit.ts";
import { FAKE_SLACK_URL, FakeSlack } from "../fakes/slack-api.ts";
import {
  type ContractClock,
  type ContractHarness,
  type SignedRequest,
  tamper,
} from "./adapter-contract.ts";
import { eventEnvelope, slackSignature } from "./slack-requests.ts";

const SECRET = "contract-signing-secret-0123456789";
const OTHER_SECRET = "someone-elses-signing-secret-9876";
const BOT = "U0QUARRY";
const ASKER = "U0ANA";
const CHANNEL = "C0CONTRACT";
/** Web API methods whose bodies carry message text. */
const MESSAGE_METHODS = new Set([
  "chat.postMessage",
  "chat.update",
  "chat.startStream",
  "chat.appendStream",
  "chat.stopStream",
]);

/** Headers as Slack sends them: `v0=` HMAC-SHA256 over `v0:{timestamp}:{body}`. */
async function signed(
  body: string,
  opts: { secret?: string; ageSeconds?: number } = {},
): Promise<SignedRequest> {
  const ts = String(Math.floor(Date.now() / 1000) - (opts.ageSeconds ?? 0));
  const signature = await slackSignature(opts.secret ?? SECRET, ts, body);
  const headers = new Headers({
    "content-type": "application/json",
    "x-slack-request-timestamp": ts,
    "x-slack-signature": signature,
  });
  return { headers, body };
}

/** `nativeStreaming` other than "ok" is a workspace without `chat.startStream`: post + edit. */
export async function slackHarness(
  clock: ContractClock,
  opts: { nativeStreaming?: FakeSlack["nativeStreaming"] } = {},
): Promise<ContractHarness<string>> {
  const fake = new FakeSlack({
    botUserId: BOT,
    nativeStreaming: opts.nativeStreaming ?? "ok",
    now: clock.now,
  });
  const api = new SlackApi({
    baseUrl: FAKE_SLACK_URL,
    token: fake.token,
    fetch: (input, init) => fake.handle(new Request(input, init)),
  });
  let seq = 100;
  const nextTs = () => `1700000200.${String(++seq).padStart(6, "0")}`;

  return {
    adapter: createSlackAdapter({ api, botUserId: BOT, limiter: localRateLimiter(clock) }),
    // A `markdown` block holds 12,000 characters, cumulative per message.
    limit: 12_000,
    pingPatterns: [
      /<!(?:channel|here|everyone)(?:\|[^>]*)?>/,
      /<!subteam\^[^>]*>/,
      /<@[UW][A-Z0-9]+(?:\|[^>]*)?>/,
      // Typed mass mentions: Slack links them where `link_names` is on.
      /(?:^|[^\w@])@(?:here|channel|everyone)\b/,
    ],

    sampleBody: () =>
      eventEnvelope({
        type: "app_mention",
        user: ASKER,
        text: `<@${BOT}> hello`,
        ts: "1700000100.000200",
        channel: CHANNEL,
        event_ts: "1700000100.000200",
      }),
    signedRequest: (body) => signed(body),
    async tamperedRequest(body) {
      const req = await signed(body);
      return { ...req, body: tamper(body) };
    },
    wrongKeyRequest: (body) => signed(body, { secret: OTHER_SECRET }),
    staleRequest: (body) => signed(body, { ageSeconds: 6 * 60 }),
    async unsignedRequest(body) {
      return { headers: new Headers({ "content-type": "application/json" }), body };
    },
    verify: (req) =>
      verifySlackRequest({
        signingSecret: SECRET,
        timestamp: req.headers.get("x-slack-request-timestamp"),
        signature: req.headers.get("x-slack-signature"),
        rawBody: req.body,
      }),

    async mention(text) {
      const ts = nextTs();
      const raw = `<@${BOT}> ${text}`;
      fake.seedMessage(CHANNEL, { ts, user: ASKER, text: raw });
      const base = { user: ASKER, text: raw, ts, channel: CHANNEL, team: "T0TEAM", event_ts: ts };
      // Subscribed to both, Slack sends a channel mention as `app_mention` and as `message`.
      return [
        eventEnvelope({ type: "app_mention", ...base }),
        eventEnvelope({ type: "message", channel_type: "channel", ...base }),
      ];
    },
    async ownEcho(question: Question, sent: SentMessage) {
      const channel = slackMetaOf(sent).channel ?? question.thread.channelId;
      const m = fake.channels.get(channel)?.find((x) => x.ts === sent.id);
      if (!m) throw new Error(`fake Slack holds no message ${sent.id}`);
      return eventEnvelope({
        type: "message",
        channel_type: "channel",
        channel,
        user: m.user,
        bot_id: m.bot_id,
        app_id: "A0QUARRY",
        text: m.text,
        blocks: m.blocks,
        ts: m.ts,
        thread_ts: m.thread_ts,
        event_ts: m.ts,
      });
    },
    async reply(question, _answer, text) {
      const ts = nextTs();
      const { channelId, threadId } = question.thread;
      fake.seedMessage(channelId, { ts, thread_ts: threadId, user: "U0BEN", text });
      return eventEnvelope({
        type: "message",
        channel_type: "channel",
        channel: channelId,
        user: "U0BEN",
        text,
        ts,
        thread_ts: threadId,
        event_ts: ts,
      });
    },
    async parse(raw) {
      const inbound = parseSlackRequest("application/json", raw);
      if (inbound.kind !== "event") throw new Error(`not an event: ${inbound.kind}`);
      const decision = slackEventToQuestion(inbound);
      return decision.kind === "question" ? decision.question : null;
    },

    visibleMessages: (thread) =>
      fake
        .thread(thread.channelId, thread.threadId)
        .map((m) => ({ text: m.text, fromBot: m.user === BOT })),
    stopsShown: (thread) =>
      fake.thread(thread.channelId, thread.threadId).flatMap((m) =>
        fake
          .buttons(thread.channelId, m.ts)
          .filter((b) => b.action_id === STOP_ACTION_ID)
          .flatMap((b) => {
            const stop = parseStopValue(b.value);
            return stop ? [{ text: m.text, questionId: stop.questionId }] : [];
          }),
      ),
    recordedMessages: () =>
      fake.calls.filter((c) => MESSAGE_METHODS.has(c.method)).map((c) => c.body),
  };
}
