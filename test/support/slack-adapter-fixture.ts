/**
 * The Slack adapter on its own, against an in-process `FakeSlack` (no Worker in between):
 * the bot, channel and thread the adapter tests share, and a question asked in that thread.
 */
import { SlackApi } from "../../adapters/slack/api.ts";
import { slackDelivery } from "../../adapters/slack/delivery.ts";
import { createSlackAdapter } from "../../adapters/slack/slack-adapter.ts";
import type { ChatAdapter } from "../../src/chat/adapter.ts";
import type { Question } from "../../src/chat/types.ts";
import type { RateLimiter } from "../../src/delivery/rate-limit.ts";
import { FAKE_SLACK_URL, FakeSlack } from "../fakes/slack-api.ts";

export const ADAPTER_BOT_USER = "U0QUARRY";
export const ADAPTER_CHANNEL = "C0GENERAL";
/** The `ts` of the message that starts the thread every `questionAt` question is asked in. */
export const ADAPTER_THREAD_ROOT = "1700000100.000100";

/** A `SlackApi` whose every request goes to `fake`. */
export function slackApiFor(fake: FakeSlack): SlackApi {
  return new SlackApi({
    baseUrl: FAKE_SLACK_URL,
    token: "xoxb-test",
    fetch: (input, init) => fake.handle(new Request(input, init)),
  });
}

/** Alice's question, sent as message `ts` in the thread under `ADAPTER_THREAD_ROOT`. */
export function questionAt(ts: string, over: Partial<Question> = {}): Question {
  return {
    id: `slack:${ADAPTER_CHANNEL}:${ts}`,
    thread: {
      platform: "slack",
      workspaceId: "T0TEAM",
      channelId: ADAPTER_CHANNEL,
      threadId: ADAPTER_THREAD_ROOT,
    },
    text: "and how does HTTP/3 use it?",
    trigger: "mention",
    user: { id: "U0ALICE" },
    messageId: ts,
    receivedAt: 0,
    delivery: slackDelivery({
      recipientUserId: "U0ALICE",
      recipientTeamId: "T0TEAM",
      channelType: "channel",
    }),
    ...over,
  };
}

/**
 * A fresh `FakeSlack` that knows Alice and Bob, and the adapter under test talking to it;
 * `now` is the fake's clock, `limiter` the adapter's pacing.
 */
export function slackAdapterFixture(opts: { now?: () => number; limiter?: RateLimiter } = {}): {
  fake: FakeSlack;
  adapter: ChatAdapter;
} {
  const fake = new FakeSlack({ botUserId: ADAPTER_BOT_USER, now: opts.now });
  fake.seedUser({
    id: "U0ALICE",
    name: "alice",
    real_name: "Alice Liddell",
    display_name: "Alice",
  });
  fake.seedUser({ id: "U0BOB", name: "bob", real_name: "Bob Stone" });
  const adapter = createSlackAdapter({
    api: slackApiFor(fake),
    botUserId: ADAPTER_BOT_USER,
    limiter: opts.limiter,
  });
  return { fake, adapter };
}
