/**
 * A click on an answer's Stop button (a message component, interaction type 3): one RPC
 * to the conversation object, then the answer to Discord within its 3 s. A stop shows in
 * the answer itself, so it is acknowledged without a change (type 6); a refusal, or a
 * click on an answer already stopped or finished (a double click), gets an ephemeral line.
 * https://discord.com/developers/docs/interactions/receiving-and-responding#interaction-response-object-interaction-callback-type
 */
import type { APIInteractionResponse } from "discord-api-types/v10";
import type { ThreadRef } from "../../src/chat/types.ts";
import type { Env } from "../../src/config.ts";
import { stopQuestion } from "../../src/conversation/submit.ts";
import { FLAGS, NO_MENTIONS, RESPONSE } from "./constants.ts";

export const STOP_REFUSED =
  "Only the person who asked, or someone with Manage Channels, can stop this answer.";
export const NOT_RUNNING =
  "This answer is not running any more: it has already stopped or finished.";

export interface StopPress {
  thread: ThreadRef;
  questionId: string;
  userId: string;
  mayChangeSettings: boolean;
}

export async function stopInteraction(env: Env, press: StopPress): Promise<Response> {
  const result = await stopQuestion(env, press.thread, press.questionId, {
    userId: press.userId,
    mayChangeSettings: press.mayChangeSettings,
  });
  if (result === "stopped") return json({ type: RESPONSE.DeferredMessageUpdate });
  const content = result === "refused" ? STOP_REFUSED : NOT_RUNNING;
  return json({
    type: RESPONSE.ChannelMessageWithSource,
    data: { content, flags: FLAGS.Ephemeral, allowed_mentions: NO_MENTIONS },
  });
}

function json(body: APIInteractionResponse): Response {
  return Response.json(body);
}
