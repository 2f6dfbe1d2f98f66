/**
 * Sends a batch of conversations to a Worker all at once and times each webhook's answer
 * (the ack). A Discord deferral reaches the fake as it reaches Discord: once the HTTP
 * response is back, `@original` exists and shows "thinking…".
 */
import type { FakeDiscord } from "../../test/fakes/discord-api.ts";
import type { SlackWorkspaces } from "./http-fakes.ts";
import { type Conversation, type DiscordSigner, discordAsk, slackMention } from "./scenario.ts";

export interface World {
  slack: SlackWorkspaces;
  discord: FakeDiscord;
  signer: DiscordSigner;
}

/** Signs every request first, then fires them together; resolves when every ack is in. */
export async function sendAll(workerUrl: string, list: Conversation[], w: World): Promise<void> {
  const prepared = await Promise.all(
    list.map(async (c) => ({
      c,
      init: c.platform === "slack" ? slackMention(c, w.slack) : discordAsk(c, w.discord, w.signer),
    })),
  );
  await Promise.all(
    prepared.map(async ({ c, init }) => {
      const path = c.platform === "slack" ? "/slack/events" : "/discord/interactions";
      c.sentAt = Date.now();
      const started = performance.now();
      try {
        const res = await fetch(`${workerUrl}${path}`, init);
        const body = await res.text();
        c.ackMs = performance.now() - started;
        c.ackStatus = res.status;
        if (
          c.platform === "discord" &&
          res.ok &&
          (JSON.parse(body) as { type?: number }).type === 5
        )
          c.originalId = w.discord.openInteraction(c.thread, c.channel).id;
      } catch {
        c.ackStatus = 0;
      }
    }),
  );
}

/** Waits until `done()` or `timeoutMs`, checking every `everyMs`. */
export async function until(
  done: () => boolean,
  timeoutMs: number,
  everyMs = 50,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (done()) return true;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return done();
}
