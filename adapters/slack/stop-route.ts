/**
 * Stop presses on Slack: a click on an answer's Stop button (`block_actions`) and the
 * native Stop of an agent session (`agent_session_stopped`). Each is one RPC to the
 * conversation object, so Slack gets its 200 within 3 s; what the presser is told goes
 * out after that, through the click's `response_url` or `chat.postEphemeral`.
 */
import type { Env } from "../../src/config.ts";
import type { StopBy, StopResult } from "../../src/conversation/conversation-object.ts";
import { stopQuestion } from "../../src/conversation/submit.ts";
import type { SlackApi } from "./api.ts";
import type { SlackAgentStop, SlackInteractionPayload } from "./parse.ts";
import { mayChangeSettings } from "./permissions.ts";
import { parseStopValue, STOP_ACTION_ID } from "./stop-control.ts";

export interface StopRouteDeps {
  env: Env;
  api: SlackApi;
  /** Runs work after the response; absent, the route awaits it before answering. */
  waitUntil?: (p: Promise<unknown>) => void;
}

/** How long the admin check may take: the route must answer Slack within 3 s. */
const ADMIN_CHECK_MS = 1_500;

export const STOP_REFUSED =
  "Only the person who asked, or a workspace admin or owner, can stop this answer.";
export const NOT_RUNNING =
  "This answer is not running any more: it has already stopped or finished.";

/** The Stop button's click in a `block_actions` payload, if this payload is one. */
export function stopClickOf(payload: SlackInteractionPayload) {
  if (payload.type !== "block_actions" || !payload.user) return undefined;
  const action = payload.actions?.find((a) => a.action_id === STOP_ACTION_ID);
  const target = parseStopValue(action?.value);
  return target && { ...target, userId: payload.user.id, responseUrl: payload.response_url };
}

/**
 * A click on a Stop button. Stopping shows in the answer itself, so success says nothing
 * more; a refusal, or a click on an answer already stopped or finished (a double click),
 * gets an ephemeral line only the clicker sees.
 */
export async function handleStopClick(
  deps: StopRouteDeps,
  click: NonNullable<ReturnType<typeof stopClickOf>>,
): Promise<Response> {
  const result = await stop(deps, click.thread.channelId, click.userId, (by) =>
    stopQuestion(deps.env, click.thread, click.questionId, by),
  );
  const text = result === "refused" ? STOP_REFUSED : result === "not_running" ? NOT_RUNNING : "";
  const { responseUrl } = click;
  if (text && responseUrl) {
    // `replace_original: false`: the answer's message stays as it is.
    const body = { response_type: "ephemeral", replace_original: false, text };
    await after(deps, deps.api.respond(responseUrl, body), "Stop reply");
  }
  return new Response(null, { status: 200 });
}

/**
 * The agent session's own Stop for a thread: stops whatever answer runs there. Slack shows
 * that it stopped, so only a refusal is said, with `chat.postEphemeral` (the event has no
 * `response_url`).
 */
export async function handleAgentStop(
  deps: StopRouteDeps,
  event: SlackAgentStop,
): Promise<Response> {
  const thread = {
    platform: "slack" as const,
    workspaceId: event.teamId,
    channelId: event.channelId,
    threadId: event.threadTs,
  };
  const result = await stop(deps, event.channelId, event.userId, (by) =>
    stopQuestion(deps.env, thread, undefined, by),
  );
  if (result === "refused") {
    const notice = deps.api.postEphemeral({
      channel: event.channelId,
      user: event.userId,
      thread_ts: event.threadTs,
      text: STOP_REFUSED,
    });
    await after(deps, notice, "agent-session Stop refusal");
  }
  return new Response(null, { status: 200 });
}

async function stop(
  deps: StopRouteDeps,
  channelId: string,
  userId: string,
  call: (by: StopBy) => Promise<StopResult>,
): Promise<StopResult> {
  const admin = await mayChangeSettings(deps.api, channelId, userId, ADMIN_CHECK_MS);
  return call({ userId, mayChangeSettings: admin });
}

/**
 * Work that may finish after Slack has its 200 (with `waitUntil`; else it is awaited
 * here). A failure is logged, never thrown: the press itself was handled.
 */
async function after(deps: StopRouteDeps, work: Promise<unknown>, what: string): Promise<void> {
  const logged = work.then(
    () => undefined,
    (err: unknown) => console.warn(`slack: ${what} not sent: ${String(err)}`),
  );
  if (deps.waitUntil) deps.waitUntil(logged);
  else await logged;
}
