/**
 * The Chat SDK's minimal Worker (vercel/chat's `chat` package with its Slack and Discord
 * adapters and the in-memory state), which `npm run size -- --chat-sdk` writes to a temp
 * directory, installs from the npm registry and bundles with Quarry's own wrangler: the
 * peer Quarry's bundle is compared with. Versions are pinned so the figure can be rebuilt.
 */

export const CHAT_SDK_PACKAGES = {
  chat: "4.41.0",
  "@chat-adapter/slack": "4.41.0",
  "@chat-adapter/discord": "4.41.0",
  "@chat-adapter/state-memory": "4.41.0",
};

export const CHAT_SDK_FILES: Record<string, string> = {
  "package.json": `${JSON.stringify(
    { name: "chat-sdk-minimal", private: true, type: "module", dependencies: CHAT_SDK_PACKAGES },
    null,
    2,
  )}\n`,
  "wrangler.toml": `name = "chat-sdk-minimal"
main = "src/index.ts"
compatibility_date = "2026-10-20"
# discord.js and @slack/web-api import Node built-ins.
compatibility_flags = ["nodejs_compat"]
`,
  // One Chat, both adapters, a reply to a mention: the least a bot on both platforms needs.
  "src/index.ts": `import { createDiscordAdapter } from "@chat-adapter/discord";
import { createSlackAdapter } from "@chat-adapter/slack";
import { createMemoryState } from "@chat-adapter/state-memory";
import { Chat } from "chat";

interface Env {
  SLACK_BOT_TOKEN: string;
  SLACK_SIGNING_SECRET: string;
  DISCORD_BOT_TOKEN: string;
  DISCORD_PUBLIC_KEY: string;
  DISCORD_APPLICATION_ID: string;
}

let bot: Chat | undefined;
function botFor(env: Env): Chat {
  if (bot) return bot;
  bot = new Chat({
    userName: "quarry",
    adapters: {
      slack: createSlackAdapter({ botToken: env.SLACK_BOT_TOKEN, signingSecret: env.SLACK_SIGNING_SECRET }),
      discord: createDiscordAdapter({
        botToken: env.DISCORD_BOT_TOKEN,
        publicKey: env.DISCORD_PUBLIC_KEY,
        applicationId: env.DISCORD_APPLICATION_ID,
      }),
    },
    state: createMemoryState(),
  });
  bot.onNewMention(async (thread) => {
    await thread.post("Looking into it…");
  });
  return bot;
}

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const path = new URL(request.url).pathname;
    const options = { waitUntil: (task: Promise<unknown>) => ctx.waitUntil(task) };
    if (path === "/slack/events") return botFor(env).webhooks.slack(request, options);
    if (path === "/discord/interactions") return botFor(env).webhooks.discord(request, options);
    return new Response("not found", { status: 404 });
  },
};
`,
};

/** The floor for startup: a Worker that loads nothing. */
export const BARE_WORKER_FILES: Record<string, string> = {
  "wrangler.toml": `name = "bare"
main = "index.js"
compatibility_date = "2026-10-20"
`,
  "index.js": `export default { fetch: () => new Response("ok") };\n`,
};
