/**
 * How fast Quarry calls Slack. Slack counts Web API calls per app, per workspace and per
 * method over a minute (https://docs.slack.dev/apis/web-api/rate-limits), so every answer
 * in a workspace draws on one allowance: each call first reserves a slot in the shared
 * `RateLimiter` under scope `slack:<team id>` and the method's name. The rules sit about
 * 10% under Slack's figures, which leaves room for the calls' own jitter and for a
 * burst of `burst - 1` calls (a GCRA lets at most `limit + burst - 1` through in a window).
 */
import type { WriteOp } from "../../src/chat/adapter.ts";
import type { Question } from "../../src/chat/types.ts";
import type { RateLimiter, RateRule, RateSlot } from "../../src/delivery/rate-limit.ts";

const MINUTE = 60_000;

/**
 * Pacing per Slack method. Tiers from each method's reference page ("Facts"), as Slack's
 * Java SDK (`MethodsRateLimits`) and slack-ruby/slack-api-ref list them.
 */
export const SLACK_RATE_RULES = {
  /** Special tier: one message a second per channel (this rule is keyed per channel). */
  "chat.postMessage": { limit: 1, windowMs: 1_100 },
  /** …and "several hundred" a minute per workspace; 300 assumed. */
  "chat.postMessage:workspace": { limit: 270, windowMs: MINUTE, burst: 5 },
  /** Tier 3: 50 a minute. */
  "chat.update": { limit: 45, windowMs: MINUTE, burst: 3 },
  /** Tier 2: 20 a minute. */
  "chat.startStream": { limit: 18, windowMs: MINUTE, burst: 2 },
  /** Tier 4: 100 a minute. */
  "chat.appendStream": { limit: 90, windowMs: MINUTE, burst: 5 },
  /** Tier 2: 20 a minute. */
  "chat.stopStream": { limit: 18, windowMs: MINUTE, burst: 2 },
  /** Special, "similar to chat.postMessage" without a figure: held to Tier 3 for the workspace. */
  "assistant.threads.setStatus": { limit: 45, windowMs: MINUTE, burst: 2 },
  /** Tier 3 (internal apps; commercially distributed non-Marketplace apps get 1 a minute). */
  "conversations.replies": { limit: 45, windowMs: MINUTE, burst: 3 },
} as const satisfies Record<string, RateRule>;

export type SlackPacedMethod = keyof typeof SLACK_RATE_RULES;

/** The Slack method each kind of write becomes. */
export const SLACK_WRITE_METHODS = {
  post: "chat.postMessage",
  edit: "chat.update",
  "stream.start": "chat.startStream",
  "stream.append": "chat.appendStream",
  "stream.stop": "chat.stopStream",
} as const satisfies Record<WriteOp, SlackPacedMethod>;

/** The limiter scope of a question's workspace. */
export const slackScope = (question: Question) => `slack:${question.thread.workspaceId}`;

/** Reserves slots for Slack calls in a shared limiter; without one, every call goes at once. */
export function slackPacer(limiter: RateLimiter | undefined) {
  async function reserve(question: Question, key: string, rule: RateRule): Promise<void> {
    await reserveEach(question, [{ key, rule }]);
  }

  /** The slots in order, in one round trip where the limiter can. */
  async function reserveEach(question: Question, slots: RateSlot[]): Promise<void> {
    if (!limiter) return;
    const scope = slackScope(question);
    try {
      if (slots.length === 1 || !limiter.acquireEach) {
        for (const { key, rule } of slots) await limiter.acquire(scope, key, rule);
      } else await limiter.acquireEach(scope, slots);
    } catch {
      // A limiter that cannot answer (its object unreachable) must not stop an answer:
      // the call goes out, and a 429 from Slack is still waited out by the core.
    }
  }

  return {
    /** Resolves when one write of kind `op` for `question` may go out (see `ChatAdapter.pace`). */
    async pace(question: Question, op: WriteOp): Promise<void> {
      const method = SLACK_WRITE_METHODS[op];
      if (method !== "chat.postMessage") return reserve(question, method, SLACK_RATE_RULES[method]);
      // The channel's one-a-second slot, then the workspace's: one booking for both.
      const channel = question.thread.channelId;
      await reserveEach(question, [
        { key: `${method}:${channel}`, rule: SLACK_RATE_RULES[method] },
        { key: method, rule: SLACK_RATE_RULES["chat.postMessage:workspace"] },
      ]);
    },
    /** Resolves when one call of a method outside `WriteOp` (status, history) may go out. */
    method(
      question: Question,
      method: "assistant.threads.setStatus" | "conversations.replies",
    ): Promise<void> {
      return reserve(question, method, SLACK_RATE_RULES[method]);
    },
  };
}
