import type { Question, ThreadRef } from "../chat/types.ts";
import type { Env } from "../config.ts";
import type {
  ConversationObject,
  StopBy,
  StopResult,
  SubmitResult,
} from "./conversation-object.ts";

/** The name of a thread's conversation object: one per platform, workspace, channel and thread. */
export function conversationName(thread: ThreadRef): string {
  return `${thread.platform}:${thread.workspaceId}:${thread.channelId}:${thread.threadId}`;
}

/** The stub of a thread's conversation object. */
export function conversationFor(
  env: Env,
  thread: ThreadRef,
): DurableObjectStub<ConversationObject> {
  const ns = env.CONVERSATIONS;
  return ns.get(ns.idFromName(conversationName(thread)));
}

/** Hands a question to its conversation object with one RPC; dedupe, queueing and answering happen there. */
export function submitQuestion(env: Env, question: Question): Promise<SubmitResult> {
  return conversationFor(env, question.thread).submit(question);
}

/**
 * Hands a Stop press to the conversation of `thread` with one RPC, so the route answers
 * the platform within its 3 s. `questionId` undefined stops whatever answer runs there.
 */
export function stopQuestion(
  env: Env,
  thread: ThreadRef,
  questionId: string | undefined,
  by: StopBy,
): Promise<StopResult> {
  return conversationFor(env, thread).stop(questionId, by);
}
