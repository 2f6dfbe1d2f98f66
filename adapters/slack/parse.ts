/**
 * Everything Slack POSTs to `/slack/events`, parsed after the signature check: Events API
 * JSON (incl. `url_verification`), slash commands (form body) and interactivity
 * (`payload=` form field). Anything else is a `BadRequestError`.
 */
import * as v from "valibot";
import type { Question, Trigger } from "../../src/chat/types.ts";
import { BadRequestError } from "../../src/errors.ts";
import { describeIssue } from "../../src/http/schema-issue.ts";
import { slackDelivery } from "./delivery.ts";
import { slackAttachments } from "./files.ts";
import { slackTextToPlain } from "./format.ts";

const str = v.string();
const optStr = v.optional(str);
const nonEmpty = v.pipe(v.string(), v.minLength(1));

const SlackFileSchema = v.looseObject({
  id: optStr,
  name: optStr,
  mimetype: optStr,
});

/** The inner `event` of an `event_callback`: `app_mention` or `message` (any subtype). */
export const SlackMessageEventSchema = v.looseObject({
  type: str,
  channel: str,
  ts: str,
  event_ts: optStr,
  user: optStr,
  text: optStr,
  thread_ts: optStr,
  bot_id: optStr,
  subtype: optStr,
  /** `channel`, `group`, `im` or `mpim`; `message.*` events carry it, `app_mention` does not. */
  channel_type: optStr,
  hidden: v.optional(v.boolean()),
  /** The author's team (differs from the envelope's in Slack Connect channels). */
  team: optStr,
  user_team: optStr,
  files: v.optional(v.array(SlackFileSchema)),
});
export type SlackMessageEvent = v.InferOutput<typeof SlackMessageEventSchema>;

const EventCallbackSchema = v.object({
  type: v.literal("event_callback"),
  team_id: nonEmpty,
  event_id: nonEmpty,
  event: SlackMessageEventSchema,
  authorizations: v.optional(v.array(v.looseObject({ user_id: optStr }))),
  authed_users: v.optional(v.array(str)),
});

/**
 * Someone pressed the native Stop of an agent session (Slack Agent Sessions, 2026-08): it
 * names the thread, not a message or question.
 * https://docs.slack.dev/reference/events/agent_session_stopped
 */
const AgentSessionStoppedSchema = v.object({
  type: v.literal("event_callback"),
  team_id: nonEmpty,
  event_id: nonEmpty,
  event: v.looseObject({
    type: v.literal("agent_session_stopped"),
    channel: nonEmpty,
    user: nonEmpty,
    thread_ts: nonEmpty,
  }),
});

/**
 * Any other event: only its envelope is checked. Slack retries an event that does not get
 * a 2xx, so one Quarry has no use for is acknowledged, not refused.
 * https://docs.slack.dev/apis/events-api/#responding
 */
const OtherEventSchema = v.object({
  type: v.literal("event_callback"),
  team_id: nonEmpty,
  event_id: nonEmpty,
  event: v.looseObject({ type: nonEmpty }),
});

/** The event types Quarry acts on; the `message.*` subscriptions all arrive as `message`. */
const HANDLED_EVENTS = new Set(["message", "app_mention", "agent_session_stopped"]);

const UrlVerificationSchema = v.object({
  type: v.literal("url_verification"),
  challenge: nonEmpty,
});

const CommandSchema = v.object({
  command: v.pipe(v.string(), v.startsWith("/")),
  text: v.optional(str, ""),
  user_id: nonEmpty,
  user_name: v.optional(str, ""),
  channel_id: nonEmpty,
  team_id: nonEmpty,
  response_url: v.pipe(v.string(), v.trim(), v.url()),
  trigger_id: nonEmpty,
});

/** Interactivity payload (`block_actions`, `view_submission`, shortcuts, …): kept loose, keyed on `type`. */
export const SlackInteractionPayloadSchema = v.looseObject({
  type: nonEmpty,
  user: v.optional(v.looseObject({ id: str, name: optStr, team_id: optStr })),
  team: v.nullish(v.looseObject({ id: str })),
  channel: v.nullish(v.looseObject({ id: str })),
  trigger_id: optStr,
  response_url: optStr,
  actions: v.optional(v.array(v.looseObject({ action_id: optStr, value: optStr }))),
});
export type SlackInteractionPayload = v.InferOutput<typeof SlackInteractionPayloadSchema>;

export interface SlackEventInbound {
  kind: "event";
  eventId: string;
  teamId: string;
  /** Our bot's user id, from `authorizations[0].user_id` (or the legacy `authed_users`). */
  botUserId?: string;
  event: SlackMessageEvent;
}

/** A Stop pressed on Slack's own agent-session UI for the thread `threadTs` of `channelId`. */
export interface SlackAgentStop {
  kind: "agent_stop";
  eventId: string;
  teamId: string;
  channelId: string;
  threadTs: string;
  userId: string;
}

export interface SlackCommand {
  kind: "command";
  command: string;
  /** As typed, with Slack's `&amp;`/`&lt;`/`&gt;` escaping still in place. */
  text: string;
  userId: string;
  userName: string;
  channelId: string;
  teamId: string;
  responseUrl: string;
  triggerId: string;
}

export type SlackInbound =
  | { kind: "url_verification"; challenge: string }
  /** Slack telling us something needing no answer (e.g. `app_rate_limited`): acknowledge it. */
  | { kind: "notice"; type: string }
  /** An event of a type Quarry does not act on: acknowledged, nothing done. */
  | { kind: "other_event"; type: string }
  | SlackEventInbound
  | SlackAgentStop
  | SlackCommand
  | { kind: "interaction"; payload: SlackInteractionPayload };

function check<T>(schema: v.GenericSchema<unknown, T>, value: unknown, what: string): T {
  const result = v.safeParse(schema, value);
  if (result.success) return result.output;
  throw new BadRequestError(`Malformed Slack ${what}: ${describeIssue(result.issues[0])}`);
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new BadRequestError(`Slack ${what} is not valid JSON`);
  }
}

function parseEventsApi(rawBody: string): SlackInbound {
  const body = parseJson(rawBody, "request body");
  const type = typeof body === "object" && body !== null && "type" in body ? body.type : undefined;
  // Sent when the app exceeds 30,000 events an hour in a workspace; only needs a 200.
  if (type === "app_rate_limited") return { kind: "notice", type };
  if (type === "url_verification") {
    return {
      kind: "url_verification",
      challenge: check(UrlVerificationSchema, body, "url_verification").challenge,
    };
  }
  if (type !== "event_callback")
    throw new BadRequestError(`Unsupported Slack request type: ${String(type)}`);
  const inner = (body as { event?: { type?: unknown } }).event;
  if (typeof inner?.type === "string" && !HANDLED_EVENTS.has(inner.type))
    return { kind: "other_event", type: check(OtherEventSchema, body, "event").event.type };
  if (inner?.type === "agent_session_stopped") {
    const stop = check(AgentSessionStoppedSchema, body, "agent_session_stopped event");
    return {
      kind: "agent_stop",
      eventId: stop.event_id,
      teamId: stop.team_id,
      channelId: stop.event.channel,
      threadTs: stop.event.thread_ts,
      userId: stop.event.user,
    };
  }
  const envelope = check(EventCallbackSchema, body, "event");
  return {
    kind: "event",
    eventId: envelope.event_id,
    teamId: envelope.team_id,
    botUserId: envelope.authorizations?.[0]?.user_id ?? envelope.authed_users?.[0],
    event: envelope.event,
  };
}

function parseForm(rawBody: string): SlackInbound {
  const form = new URLSearchParams(rawBody);
  const payload = form.get("payload");
  if (payload !== null) {
    const parsed = parseJson(payload, "interaction payload");
    return {
      kind: "interaction",
      payload: check(SlackInteractionPayloadSchema, parsed, "interaction payload"),
    };
  }
  if (!form.has("command"))
    throw new BadRequestError("Slack form body is neither a slash command nor an interaction");
  const c = check(CommandSchema, Object.fromEntries(form), "slash command");
  return {
    kind: "command",
    command: c.command,
    text: c.text,
    userId: c.user_id,
    userName: c.user_name,
    channelId: c.channel_id,
    teamId: c.team_id,
    responseUrl: c.response_url,
    triggerId: c.trigger_id,
  };
}

/**
 * Parses a verified Slack request body. A redelivery (`X-Slack-Retry-Num`) parses like the
 * first delivery: the conversation object dedupes on the event id.
 * Throws `BadRequestError` for bad JSON or forms, missing fields and unknown types.
 */
export function parseSlackRequest(contentType: string, rawBody: string): SlackInbound {
  const type = contentType.split(";")[0]?.trim().toLowerCase();
  if (type === "application/json") return parseEventsApi(rawBody);
  if (type === "application/x-www-form-urlencoded") return parseForm(rawBody);
  throw new BadRequestError(`Unsupported Slack content type: ${contentType || "(none)"}`);
}

/** The triggers a Slack event can carry (`/ask` is `command`, built by `slackCommandToQuestion`). */
export type SlackTrigger = Extract<Trigger, "mention" | "followup" | "dm">;

export type SlackEventDecision =
  | { kind: "ignore"; reason: string }
  | { kind: "question"; trigger: SlackTrigger; question: Question };

/** A user mention as Slack writes it: `<@U123>` or `<@U123|name>`; group 1 is the id. */
const USER_MENTION = /<@([^>|]+)(?:\|[^>]*)?>/g;

/** Subtypes that are still a person asking something; every other subtype (edits, joins, bot posts) is not. */
const ANSWERABLE_SUBTYPES = new Set(["file_share", "thread_broadcast"]);

/**
 * Decides whether an event is a question for the bot. The id is `slack:{channel}:{ts}`, so
 * the `app_mention` and the `message.*` event of one message give the same question
 * (and the conversation object answers it once). A thread reply without a mention is a
 * `followup`: the core answers it only in a thread it already answered.
 */
export function slackEventToQuestion(
  inbound: SlackEventInbound,
  receivedAt = Date.now(),
): SlackEventDecision {
  const { event, botUserId } = inbound;
  const ignore = (reason: string): SlackEventDecision => ({ kind: "ignore", reason });
  if (event.type !== "message" && event.type !== "app_mention")
    return ignore(`event type ${event.type}`);
  if (event.hidden) return ignore("hidden message event");
  if (event.subtype && !ANSWERABLE_SUBTYPES.has(event.subtype))
    return ignore(`message subtype ${event.subtype}`);
  // Any bot, ours included: answering other bots invites loops.
  if (event.bot_id) return ignore("message from a bot");
  if (!event.user) return ignore("message without an author");
  if (botUserId && event.user === botUserId) return ignore("our own message");

  const raw = event.text ?? "";
  // The id is compared, never built into a pattern: it is data, and could hold `(` or `[`.
  const ours = (id: string) => id === botUserId;
  const inThread = event.thread_ts !== undefined && event.thread_ts !== event.ts;
  let trigger: SlackTrigger;
  if (event.type === "app_mention") trigger = "mention";
  else if (event.channel_type === "im") trigger = "dm";
  else if (botUserId && [...raw.matchAll(USER_MENTION)].some((m) => ours(m[1] ?? "")))
    trigger = "mention";
  else if (inThread) trigger = "followup";
  else return ignore("top-level channel message without a mention");

  // Without our id, an app_mention still starts with the mention that addressed us.
  const stripped = botUserId
    ? raw.replace(USER_MENTION, (mention, id: string) => (ours(id) ? " " : mention))
    : raw.replace(/^\s*<@[^>]+>/, " ");
  const text = slackTextToPlain(stripped)
    .replace(/[ \t]+/g, " ")
    .trim();
  if (!text && !event.files?.length && !inThread) return ignore("empty message");

  const channelType = event.channel_type ?? (event.channel.startsWith("D") ? "im" : "channel");
  // A question that opens its thread is not read back as history: its files come from here.
  const attachments = slackAttachments(event.files);
  return {
    kind: "question",
    trigger,
    question: {
      id: slackQuestionId(event.channel, event.ts),
      thread: {
        platform: "slack",
        workspaceId: inbound.teamId,
        channelId: event.channel,
        threadId: event.thread_ts ?? event.ts,
      },
      text,
      trigger,
      user: { id: event.user },
      messageId: event.ts,
      receivedAt,
      ...(attachments.length ? { attachments } : {}),
      delivery: slackDelivery({
        recipientUserId: event.user,
        recipientTeamId: event.user_team ?? event.team ?? inbound.teamId,
        channelType,
      }),
    },
  };
}

/** Dedupe key of the question asked by the Slack message `ts` in `channel`. */
export function slackQuestionId(channel: string, ts: string): string {
  return `slack:${channel}:${ts}`;
}

/**
 * The question of an `/ask`, once the route has posted it visibly (`postedTs`): it is
 * answered in the thread of that post, and history starts there.
 */
export function slackCommandToQuestion(
  command: SlackCommand,
  postedTs: string,
  receivedAt = Date.now(),
): Question {
  return {
    id: slackQuestionId(command.channelId, postedTs),
    thread: {
      platform: "slack",
      workspaceId: command.teamId,
      channelId: command.channelId,
      threadId: postedTs,
    },
    text: slackTextToPlain(command.text).trim(),
    trigger: "command",
    user: { id: command.userId, name: command.userName || undefined },
    messageId: postedTs,
    receivedAt,
    delivery: slackDelivery({
      recipientUserId: command.userId,
      recipientTeamId: command.teamId,
      channelType: command.channelId.startsWith("D") ? "im" : "channel",
    }),
  };
}
