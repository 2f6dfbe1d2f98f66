/**
 * The Stop button an answer's progress message carries on Discord, and what a click on it
 * names: the conversation (so the route finds its object) and the question, packed into a
 * `custom_id` of at most 100 characters (Discord refuses the whole message past that).
 * https://discord.com/developers/docs/components/reference#button
 */
import type { APIActionRowComponent, APIButtonComponentWithCustomId } from "discord-api-types/v10";
import type { ThreadRef } from "../../src/chat/types.ts";
import { BUTTON_STYLE, COMPONENT } from "./constants.ts";

const MAX_CUSTOM_ID = 100;

/**
 * `stop:{guild}:{channel}:{thread}:{question}`. Snowflakes have at most 20 digits, and the
 * ids Quarry makes are shortened: thread `interaction:X` is `iX`, question
 * `discord:interaction:X` is `iX` and `discord:message:X` is `mX`. At most 90 characters.
 */
const CUSTOM_ID = /^stop:(\d*):(\d+):(i?\d+):([im]\d+)$/;

export type StopRow = APIActionRowComponent<APIButtonComponentWithCustomId>;

/** The `custom_id` of the Stop for `questionId` in `thread`; undefined for ids Quarry never makes. */
export function stopCustomId(thread: ThreadRef, questionId: string): string | undefined {
  const t = thread.threadId.replace(/^interaction:/, "i");
  const q = questionId.replace(/^discord:interaction:/, "i").replace(/^discord:message:/, "m");
  const id = `stop:${thread.workspaceId}:${thread.channelId}:${t}:${q}`;
  return id.length <= MAX_CUSTOM_ID && CUSTOM_ID.test(id) ? id : undefined;
}

/** The conversation and question a Stop's `custom_id` names, or undefined if it is no Stop. */
export function parseStopCustomId(
  customId: string,
): { thread: ThreadRef; questionId: string } | undefined {
  const m = CUSTOM_ID.exec(customId);
  if (!m) return undefined;
  const [, guild = "", channel = "", t = "", q = ""] = m;
  return {
    thread: {
      platform: "discord",
      workspaceId: guild,
      channelId: channel,
      threadId: t.startsWith("i") ? `interaction:${t.slice(1)}` : t,
    },
    questionId: `discord:${q.startsWith("i") ? "interaction" : "message"}:${q.slice(1)}`,
  };
}

/**
 * The action row with the Stop button; undefined (and a log line) when the ids cannot make
 * a `custom_id`, so the message goes out without a Stop rather than not at all.
 */
export function stopComponents(thread: ThreadRef, questionId: string): StopRow[] | undefined {
  const customId = stopCustomId(thread, questionId);
  if (!customId) {
    console.warn(`discord: no Stop button for ${questionId}: its ids do not fit a custom_id`);
    return undefined;
  }
  return [
    {
      type: COMPONENT.ActionRow,
      components: [
        {
          type: COMPONENT.Button,
          style: BUTTON_STYLE.Danger,
          label: "Stop",
          emoji: { name: "⏹️" },
          custom_id: customId,
        },
      ],
    },
  ];
}
