/**
 * Slack's Web API rate limits as the fake enforces them: per workspace (one fake is one
 * workspace and token) and per method, over a sliding one-minute window, with
 * `chat.postMessage` also counted per channel. Figures are Slack's tiers
 * (https://docs.slack.dev/apis/web-api/rate-limits): Tier 2 = 20, Tier 3 = 50, Tier 4 = 100
 * a minute. Each method's tier is the one its reference page's "Facts" give, as mirrored by
 * Slack's own Java SDK (`MethodsRateLimits`) and slack-ruby/slack-api-ref (`rate_limits`).
 */

/** `limit` calls in any `windowMs`; `perChannel` counts each channel apart. */
export interface FakeRateRule {
  limit: number;
  windowMs: number;
  perChannel?: boolean;
}

const MINUTE = 60_000;
const tier2: FakeRateRule[] = [{ limit: 20, windowMs: MINUTE }];
const tier3: FakeRateRule[] = [{ limit: 50, windowMs: MINUTE }];
const tier4: FakeRateRule[] = [{ limit: 100, windowMs: MINUTE }];

/** The limits of every method the fake knows; any other method is held to Tier 2 (the strictest common tier). */
export const SLACK_FAKE_LIMITS: Readonly<Record<string, readonly FakeRateRule[]>> = {
  // "Special": about one message a second per channel, and "several hundred" a minute per
  // workspace; Slack allows bursts, the fake does not.
  "chat.postMessage": [
    { limit: 1, windowMs: 1_000, perChannel: true },
    { limit: 300, windowMs: MINUTE },
  ],
  "chat.update": tier3,
  "chat.delete": tier3,
  // Tier 2 on their reference pages (Java SDK: CHAT_START_STREAM / CHAT_STOP_STREAM, Tier2).
  "chat.startStream": tier2,
  "chat.stopStream": tier2,
  "chat.appendStream": tier4,
  // "Special", "similar to chat.postMessage" (60 a minute per DM in the Java SDK); the docs give
  // no figure, so the fake takes the stricter plausible reading: Tier 3 for the whole workspace.
  "assistant.threads.setStatus": tier3,
  // Tier 3 for internal and Marketplace apps; commercially distributed non-Marketplace apps
  // get 1 a minute (and 15 messages a page) since 2025-05: pass `limits` to test that.
  "conversations.replies": tier3,
  "users.info": tier4,
  // "Special: hundreds of requests per minute"; the fake holds it to the lower end, Tier 4.
  "auth.test": tier4,
};
const DEFAULT_LIMIT = tier2;

/** One 429 the fake answered. */
export interface RateLimitedCall {
  method: string;
  /** The window that was full: `method`, or `method:channel` for per-channel limits; "scripted" for `rateLimitNext`. */
  key: string;
  at: number;
  retryAfterSeconds: number;
}

/** Accepted calls per window key, newest last; answers how long until a full window frees. */
export class SlidingWindows {
  private readonly accepted = new Map<string, number[]>();
  private readonly limits: Record<string, readonly FakeRateRule[]>;

  constructor(overrides: Record<string, readonly FakeRateRule[]> = {}) {
    this.limits = { ...SLACK_FAKE_LIMITS, ...overrides };
  }

  /**
   * Books one call of `method` (in `channel`) at `now` and returns undefined, or, when a
   * window is full, books nothing and returns the fullest window and the whole seconds
   * until it has room again.
   */
  admit(
    method: string,
    channel: string | undefined,
    now: number,
  ): { key: string; retryAfterSeconds: number } | undefined {
    const rules = (this.limits[method] ?? DEFAULT_LIMIT).map((rule, i) => ({
      rule,
      key: rule.perChannel ? `${method}:${channel ?? ""}` : method,
      slot: `${method}#${i}${rule.perChannel ? `:${channel ?? ""}` : ""}`,
    }));
    let worst: { key: string; waitMs: number } | undefined;
    for (const { rule, key, slot } of rules) {
      const times = this.inWindow(slot, rule, now);
      if (times.length < rule.limit) continue;
      // Room again once the oldest calls that keep the window full have aged out.
      const waitMs = (times[times.length - rule.limit] as number) + rule.windowMs - now;
      if (!worst || waitMs > worst.waitMs) worst = { key, waitMs };
    }
    if (worst)
      return { key: worst.key, retryAfterSeconds: Math.max(1, Math.ceil(worst.waitMs / 1000)) };
    for (const { slot } of rules) {
      const times = this.accepted.get(slot) ?? [];
      times.push(now);
      this.accepted.set(slot, times);
    }
    return undefined;
  }

  private inWindow(slot: string, rule: FakeRateRule, now: number): number[] {
    const times = (this.accepted.get(slot) ?? []).filter((t) => t > now - rule.windowMs);
    this.accepted.set(slot, times);
    return times;
  }
}
