/**
 * Sends a batch of conversations to a Worker all at once (from fire.ts, a process of its
 * own) and times each webhook's answer (the ack). A Discord deferral reaches the fake as it reaches Discord: once the HTTP
 * response is back, `@original` exists and shows "thinking…".
 */
import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { FakeDiscord } from "../../test/fakes/discord-api.ts";
import type { FireRequest, FireResult } from "./fire.ts";
import type { SlackWorkspaces } from "./http-fakes.ts";
import { type Conversation, type DiscordSigner, discordAsk, slackMention } from "./scenario.ts";

export interface World {
  slack: SlackWorkspaces;
  discord: FakeDiscord;
  signer: DiscordSigner;
}

let sender: ChildProcess | undefined;

/** The sender process (fire.ts), started on first use; `stopSender` ends it. */
function fire(): ChildProcess {
  sender ??= fork(fileURLToPath(new URL("./fire.ts", import.meta.url)), [], {
    execArgv: ["--experimental-strip-types", "--no-warnings"],
  });
  return sender;
}

export function stopSender(): void {
  sender?.disconnect();
  sender = undefined;
}

/** Signs every request first, then fires them together; resolves when every ack is in. */
export async function sendAll(workerUrl: string, list: Conversation[], w: World): Promise<void> {
  const byKey = new Map(list.map((c) => [c.id, c]));
  const batch: FireRequest[] = list.map((c) => ({
    key: c.id,
    url: `${workerUrl}${c.platform === "slack" ? "/slack/events" : "/discord/interactions"}`,
    init: c.platform === "slack" ? slackMention(c, w.slack) : discordAsk(c, w.discord, w.signer),
  }));
  const child = fire();
  let left = list.length;
  await new Promise<void>((resolve) => {
    const onResult = (r: FireResult) => {
      const c = byKey.get(r.key);
      if (!c) return;
      c.sentAt = r.sentAt;
      c.ackMs = r.ackMs;
      c.ackStatus = r.status;
      // Discord applies the deferral once the response has reached it.
      if (
        c.platform === "discord" &&
        r.status === 200 &&
        (JSON.parse(r.body) as { type?: number }).type === 5
      )
        c.originalId = w.discord.openInteraction(c.thread, c.channel).id;
      if (--left === 0) {
        child.off("message", onResult);
        resolve();
      }
    };
    child.on("message", onResult);
    child.send(batch);
  });
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
