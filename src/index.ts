// Composition root: the only file in src/ that knows the platform adapters.
import { type Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { DiscordApi } from "../adapters/discord/api.ts";
import { withDiscordAttachments } from "../adapters/discord/attachments.ts";
import { createDiscordAdapter } from "../adapters/discord/discord-adapter.ts";
import { ensureGateway } from "../adapters/discord/gateway-cron.ts";
import { handleDiscordInteraction } from "../adapters/discord/interactions.ts";
import { SlackApi } from "../adapters/slack/api.ts";
import { handleSlackEvents } from "../adapters/slack/events-route.ts";
import { withSlackFiles } from "../adapters/slack/files.ts";
import { createSlackAdapter } from "../adapters/slack/slack-adapter.ts";
import type { ChatAdapter } from "./chat/adapter.ts";
import { discordConfig, type Env, isOff, openRouterConfig, slackConfig } from "./config.ts";
import { provideAdapters } from "./conversation/adapter-factory.ts";
import { sharedRateLimiter } from "./delivery/rate-limiter-object.ts";
import { ConfigError } from "./errors.ts";
import { onError } from "./http/on-error.ts";
import { type RouteEnv, requestLog } from "./http/request-log.ts";
import { knownSecrets, logger, newCorrelationId } from "./log.ts";
import { createModelCatalog } from "./openrouter/model-catalog.ts";
import { chooseModel } from "./openrouter/model-choice.ts";
import { timedKv, withTimeout } from "./storage/timed-kv.ts";

export { DiscordGatewayObject } from "../adapters/discord/gateway-object.ts";
export { ChannelLedgerObject } from "./budget/channel-ledger.ts";
export { ConversationObject } from "./conversation/conversation-object.ts";
export { RateLimiterObject } from "./delivery/rate-limiter-object.ts";

const app = new Hono<RouteEnv>();

app.use(requestLog());

/**
 * Slack and Discord send a few kilobytes; anything near a megabyte is not theirs. Checked
 * before the body is read, decoded or verified, so an oversized request costs nothing.
 */
const MAX_WEBHOOK_BYTES = 1024 * 1024;
const webhookBodyLimit = bodyLimit({
  maxSize: MAX_WEBHOOK_BYTES,
  onError: (c) => c.json({ ok: false, error: "payload_too_large" }, 413),
});

app.get("/health", async (c) => {
  const slack = slackConfig(c.env);
  const discord = discordConfig(c.env);
  const off: string[] = [];
  const warnings: string[] = [];
  if (isOff(slack)) off.push(slack.off);
  if (isOff(discord)) off.push(discord.off);
  let openrouter = true;
  try {
    const warning = await defaultModelWarning(openRouterConfig(c.env), c.env);
    if (warning) warnings.push(warning);
  } catch (err) {
    openrouter = false;
    off.push(err instanceof Error ? err.message : String(err));
  }
  return c.json({
    ok: true,
    slack: !isOff(slack),
    discord: !isOff(discord),
    openrouter,
    ...(off.length ? { off } : {}),
    ...(warnings.length ? { warnings } : {}),
  });
});

/**
 * A warning when `DEFAULT_MODEL` is not in OpenRouter's catalog (OpenAI retired
 * o4-mini-deep-research on 2026-07-23), naming the fallback answers will use. The catalog
 * is cached; an unreachable one is said, not fatal.
 */
async function defaultModelWarning(
  or: ReturnType<typeof openRouterConfig>,
  env: Env,
): Promise<string | undefined> {
  const catalog = createModelCatalog({
    baseUrl: or.baseUrl,
    apiKey: or.apiKey,
    kv: timedKv(env.SETTINGS, 3_000),
  });
  try {
    const choice = await withTimeout(
      chooseModel({
        requested: or.defaultModel,
        fallbacks: or.fallbackModels,
        catalog,
        allowed: or.allowedModels,
      }),
      5_000,
      "the model catalog",
    );
    if ("missing" in choice)
      return `DEFAULT_MODEL ${or.defaultModel} is not in OpenRouter's catalog and no fallback is (${choice.tried.join(", ")}): answers will fail until DEFAULT_MODEL or FALLBACK_MODELS names a model that exists`;
    if (choice.fallbackFrom)
      return `DEFAULT_MODEL ${or.defaultModel} is not in OpenRouter's catalog: answers use ${choice.model.id} instead (FALLBACK_MODELS); set DEFAULT_MODEL to a model that exists`;
    return undefined;
  } catch (err) {
    return `could not check DEFAULT_MODEL against OpenRouter's catalog: ${err instanceof Error ? err.message : String(err)}`;
  }
}

app.post("/slack/events", webhookBodyLimit, async (c) => {
  const config = slackConfig(c.env);
  if (isOff(config)) return platformOff(c, config.off);
  const api = new SlackApi({ baseUrl: config.apiUrl, token: config.botToken });
  return handleSlackEvents({
    env: c.env,
    config,
    api,
    request: c.req.raw,
    waitUntil: (p) => c.executionCtx.waitUntil(p),
  });
});

app.post("/discord/interactions", webhookBodyLimit, async (c) => {
  const config = discordConfig(c.env);
  if (isOff(config)) return platformOff(c, config.off);
  return handleDiscordInteraction({
    env: c.env,
    config,
    rawBody: new Uint8Array(await c.req.arrayBuffer()),
    headers: c.req.raw.headers,
    waitUntil: (p) => c.executionCtx.waitUntil(p),
  });
});

/** A platform without its secrets: 404 with the one-line reason, which names no value. */
function platformOff(c: Context<RouteEnv>, reason: string): Response {
  c.set("outcome", "platform_off");
  c.get("log")?.warn("http.platform_off", { detail: reason });
  return c.text(reason, 404);
}

app.notFound((c) =>
  c.json(
    { ok: false, error: "not_found", message: `No route for ${c.req.method} ${c.req.path}` },
    404,
  ),
);
app.onError(onError);

export default {
  fetch: app.fetch,
  async scheduled(controller, env, ctx) {
    const log = logger(
      { correlation: newCorrelationId(), cron: controller.cron },
      { secrets: knownSecrets(env) },
    );
    ctx.waitUntil(
      ensureGateway(env).catch((error: unknown) => log.error("cron.gateway_failed", { error })),
    );
  },
} satisfies ExportedHandler<Env>;

/** The chat adapters the conversation objects answer through, one per platform. */
provideAdapters((platform, env) =>
  platform === "slack" ? slackAdapter(env) : discordAdapter(env),
);

function slackAdapter(env: Env): ChatAdapter {
  const config = slackConfig(env);
  if (isOff(config))
    throw new ConfigError("SLACK_BOT_TOKEN", `is needed to answer in Slack (${config.off})`);
  const adapter = createSlackAdapter({
    api: new SlackApi({ baseUrl: config.apiUrl, token: config.botToken }),
    limiter: sharedRateLimiter(env.RATE_LIMITERS),
  });
  return withSlackFiles(adapter, { token: config.botToken });
}

function discordAdapter(env: Env): ChatAdapter {
  const config = discordConfig(env);
  if (isOff(config))
    throw new ConfigError("DISCORD_BOT_TOKEN", `is needed to answer in Discord (${config.off})`);
  const api = new DiscordApi({
    baseUrl: config.apiUrl,
    token: config.botToken,
    applicationId: config.applicationId,
  });
  const adapter = createDiscordAdapter({
    api,
    botUserId: config.applicationId,
    kv: timedKv(env.SETTINGS),
    limiter: sharedRateLimiter(env.RATE_LIMITERS),
  });
  return withDiscordAttachments(adapter);
}
