/**
 * The Stop button an answer's progress message carries on Slack, and what a click on it
 * names: the conversation (so the route finds its object) and the question.
 * https://docs.slack.dev/reference/block-kit/block-elements/button-element
 */
import * as v from "valibot";
import type { ThreadRef } from "../../src/chat/types.ts";

/** The `action_id` of every Stop button; the route tells a Stop click from others by it. */
export const STOP_ACTION_ID = "quarry_stop";
/** Slack refuses a button whose `value` is over 2,000 characters (the whole message fails). */
const MAX_VALUE_CHARS = 2000;

export interface SlackButton {
  type: "button";
  action_id: string;
  text: { type: "plain_text"; text: string; emoji: boolean };
  style: "danger";
  value: string;
}

export interface SlackActionsBlock {
  type: "actions";
  elements: SlackButton[];
}

/** What a Stop button's `value` names, in short keys: the value travels in every edit. */
const nonEmpty = v.pipe(v.string(), v.minLength(1));
const StopValueSchema = v.object({ w: v.string(), c: nonEmpty, t: nonEmpty, q: nonEmpty });

/**
 * The `actions` block with the Stop button for `questionId`, asked in `thread`. Undefined
 * when the ids would not fit a button's value: the message then goes out without a Stop
 * rather than not at all.
 */
export function stopActions(thread: ThreadRef, questionId: string): SlackActionsBlock | undefined {
  const value = JSON.stringify({
    w: thread.workspaceId,
    c: thread.channelId,
    t: thread.threadId,
    q: questionId,
  });
  if (value.length > MAX_VALUE_CHARS) {
    console.warn(
      `slack: no Stop button for ${questionId}: its value is ${value.length} characters`,
    );
    return undefined;
  }
  return {
    type: "actions",
    elements: [
      {
        type: "button",
        action_id: STOP_ACTION_ID,
        // Slack caps button text at 75 characters.
        text: { type: "plain_text", text: "⏹ Stop", emoji: true },
        style: "danger",
        value,
      },
    ],
  };
}

/** The conversation and question a Stop button's `value` names, or undefined if it names none. */
export function parseStopValue(
  value: string | undefined,
): { thread: ThreadRef; questionId: string } | undefined {
  if (!value) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    return undefined;
  }
  const parsed = v.safeParse(StopValueSchema, json);
  if (!parsed.success) return undefined;
  const { w, c, t, q } = parsed.output;
  return {
    thread: { platform: "slack", workspaceId: w, channelId: c, threadId: t },
    questionId: q,
  };
}
