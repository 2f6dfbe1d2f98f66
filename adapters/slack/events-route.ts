import type { Env, SlackConfig } from "../../src/config.ts";
import { submitQuestion } from "../../src/conversation/submit.ts";
import { ChatApiError } from "../../src/errors.ts";
import { parseSettingsText, runSettingsCommand } from "../../src/settings/settings-command.ts";
import type { SlackApi } from "./api.ts";
import { renderSlack, toPlainFallback } from "./format.ts";
import {
  parseSlackRequest,
  type SlackCommand,
  slackCommandToQuestion,
  slackEventToQuestion,
} from "./parse.ts";
import { settingsAccess } from "./permissions.ts";
import { handleAgentStop, handleStopClick, stopClickOf } from "./stop-route.ts";
import { verifySlackRequest } from "./verify.ts";

export interface SlackRouteDeps {
  env: Env;
  config: SlackConfig;
  api: SlackApi;
  request: Request;
  /** Runs work after the response (a Stop's ephemeral reply); absent, the route awaits it. */
  waitUntil?: (p: Promise<unknown>) => void;
}

/**
 * `POST /slack/events`: one URL for events, slash commands and interactivity, as Bolt has
 * it. The signature is checked on the raw body before anything is parsed or done.
 */
export async function handleSlackEvents({
  env,
  config,
  api,
  request,
  waitUntil,
}: SlackRouteDeps): Promise<Response> {
  // Slack signs the bytes: they are verified as they came, and decoded only afterwards
  // (ourselves: workerd warns when text() guesses a form body's charset).
  const bytes = new Uint8Array(await request.arrayBuffer());
  const verified = await verifySlackRequest({
    signingSecret: config.signingSecret,
    timestamp: request.headers.get("x-slack-request-timestamp"),
    signature: request.headers.get("x-slack-signature"),
    rawBody: bytes,
  });
  if (!verified) return Response.json({ ok: false, error: "invalid_signature" }, { status: 401 });
  const rawBody = new TextDecoder().decode(bytes);

  const inbound = parseSlackRequest(request.headers.get("content-type") ?? "", rawBody);
  switch (inbound.kind) {
    case "url_verification":
      return Response.json({ challenge: inbound.challenge });
    case "event": {
      const decision = slackEventToQuestion(inbound);
      // Awaited: one RPC that stores the question durably before Slack gets its 200, so a
      // failure here makes Slack retry instead of losing the question.
      if (decision.kind === "question") await submitQuestion(env, decision.question);
      return new Response(null, { status: 200 });
    }
    case "agent_stop":
      return handleAgentStop({ env, api, waitUntil }, inbound);
    case "command":
      return handleCommand(env, api, inbound);
    case "notice":
      console.warn(`slack: ${inbound.type}`);
      return new Response(null, { status: 200 });
    case "other_event":
      return new Response(null, { status: 200 });
    case "interaction": {
      const click = stopClickOf(inbound.payload);
      if (click) return handleStopClick({ env, api, waitUntil }, click);
      // Nothing else is interactive; acknowledge so Slack does not show an error.
      return new Response(null, { status: 200 });
    }
  }
}

async function handleCommand(env: Env, api: SlackApi, command: SlackCommand): Promise<Response> {
  const name = command.command.replace(/^\//, "");
  if (name === "ask-settings") return settingsCommand(env, api, command);
  if (name !== "ask")
    return ephemeral(
      `Unknown command \`${command.command}\`. Try \`/ask <question>\` or \`/ask-settings\`.`,
    );
  if (!command.text.trim()) return ephemeral("Ask a question: `/ask What changed in HTTP/3?`");
  let ts: string;
  try {
    ts = await api.postQuestion(command.channelId, command.userId, command.text);
  } catch (err) {
    const code = err instanceof ChatApiError ? (err.platformError ?? err.code) : "error";
    const hint =
      code === "not_in_channel" || code === "channel_not_found"
        ? "I'm not in this channel: invite me with `/invite @Quarry` and ask again."
        : `Slack refused to post the question (\`${code}\`). Please try again.`;
    return ephemeral(hint);
  }
  await submitQuestion(env, slackCommandToQuestion(command, ts));
  return new Response(null, { status: 200 });
}

async function settingsCommand(env: Env, api: SlackApi, command: SlackCommand): Promise<Response> {
  // Slack escapes &, < and > in command text; settings values (a system prompt) want them back.
  const action = parseSettingsText(unescapeSlack(command.text));
  if ("error" in action) return ephemeral(action.error);
  const canChange = action.kind === "show" || (await settingsAccess(api, command));
  const result = await runSettingsCommand(
    { env, platform: "slack", channelId: command.channelId, canChange },
    action,
  );
  return ephemeral(result.text);
}

function ephemeral(markdown: string): Response {
  const text = renderSlack(markdown);
  return Response.json({
    response_type: "ephemeral",
    text: toPlainFallback(markdown, 3000),
    blocks: [{ type: "markdown", text }],
  });
}

function unescapeSlack(text: string): string {
  return text.replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&amp;", "&");
}
