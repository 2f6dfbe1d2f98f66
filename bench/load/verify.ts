/**
 * The verdict, read from the fakes' own records: each answer must appear complete in its
 * own thread (the Slack thread of the mention; the Discord interaction's `@original`), and
 * its begin and end markers exactly once across every message of every workspace and channel.
 */
import type { FakeDiscord } from "../../test/fakes/discord-api.ts";
import { visibleText } from "../../test/fakes/slack-content.ts";
import type { SlackWorkspaces } from "./http-fakes.ts";
import { beginMarker, type Conversation, endMarker } from "./scenario.ts";

const squash = (s: string) => s.replace(/\s+/g, " ").trim();

/** The text of the bot's messages in `c`'s own thread, as people see it. */
export function ownThreadText(
  c: Conversation,
  slack: SlackWorkspaces,
  discord: FakeDiscord,
): string {
  if (c.platform === "discord")
    return c.originalId ? squash(discord.message(c.originalId)?.content ?? "") : "";
  const messages = slack.byTeam.get(c.workspace)?.channels.get(c.channel) ?? [];
  return squash(
    messages
      .filter((m) => m.thread_ts === c.thread && m.ts !== c.thread && m.bot_id)
      .map(visibleText)
      .join(" "),
  );
}

export const isComplete = (c: Conversation, slack: SlackWorkspaces, discord: FakeDiscord) =>
  ownThreadText(c, slack, discord).includes(squash(c.answer));

/** Marks conversations whose answer is now complete; returns how many are still open. */
export function markCompleted(
  list: Conversation[],
  slack: SlackWorkspaces,
  discord: FakeDiscord,
): number {
  let open = 0;
  const now = Date.now();
  for (const c of list) {
    if (c.completedAt !== undefined) continue;
    if (c.sentAt && isComplete(c, slack, discord)) c.completedAt = now;
    else open++;
  }
  return open;
}

export interface Verdict {
  answered: number;
  losses: string[];
  duplicates: string[];
  wrongThread: string[];
}

/** Every message text in every fake, with where it is. */
function allMessages(
  slack: SlackWorkspaces,
  discord: FakeDiscord,
): { where: string; text: string }[] {
  const out: { where: string; text: string }[] = [];
  for (const [team, fake] of slack.byTeam)
    for (const [channel, list] of fake.channels)
      for (const m of list)
        out.push({
          where: `slack:${team}:${channel}:${m.thread_ts ?? m.ts}`,
          text: visibleText(m),
        });
  for (const [channel, list] of discord.messages)
    for (const m of list) out.push({ where: `discord:${channel}:${m.id}`, text: m.content });
  return out;
}

export function verdict(
  list: Conversation[],
  slack: SlackWorkspaces,
  discord: FakeDiscord,
): Verdict {
  const messages = allMessages(slack, discord);
  const v: Verdict = { answered: 0, losses: [], duplicates: [], wrongThread: [] };
  const occurrences = (text: string, marker: string) => text.split(marker).length - 1;
  for (const c of list) {
    // Both markers: a second copy that was cut short still carries its beginning.
    const markers = [beginMarker(c.id), endMarker(c.id)];
    const hits = messages.filter((m) => markers.some((k) => occurrences(m.text, k) > 0));
    const count = Math.max(
      ...markers.map((k) => hits.reduce((sum, m) => sum + occurrences(m.text, k), 0)),
    );
    const own =
      c.platform === "slack"
        ? `slack:${c.workspace}:${c.channel}:${c.thread}`
        : `discord:${c.channel}:${c.originalId}`;
    if (hits.some((h) => h.where !== own)) v.wrongThread.push(c.id);
    if (count > 1) v.duplicates.push(c.id);
    if (!isComplete(c, slack, discord)) v.losses.push(c.id);
    else v.answered++;
  }
  return v;
}
