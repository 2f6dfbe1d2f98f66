export { settled } from "./conversations.ts";

import { env } from "cloudflare:workers";
import { vi } from "vitest";
import type { ThreadRef } from "../../src/chat/types.ts";
import { clearModelCatalogCache } from "../../src/openrouter/model-catalog.ts";
import { SettingsStore } from "../../src/settings/settings-store.ts";
import { installFakeNetwork } from "../fakes/network.ts";
import { FakeOpenRouter } from "../fakes/openrouter.ts";
import { FakeSlack } from "../fakes/slack-api.ts";
import { FakeSlackFiles, SLACK_FILES_HOST } from "../fakes/slack-files.ts";
import { FakeSlackHooks } from "../fakes/slack-hooks.ts";

/** Fake Slack (Web API and file host) + fake OpenRouter behind the Worker's fetch, fresh for each test. */
export async function slackWorld(opts: { nativeStreaming?: FakeSlack["nativeStreaming"] } = {}) {
  vi.restoreAllMocks();
  clearModelCatalogCache();
  await env.SETTINGS.delete("cache:models");
  const slack = new FakeSlack({ nativeStreaming: opts.nativeStreaming ?? "unknown_method" });
  slack.seedUser({ id: "U0ANA", name: "ana", real_name: "Ana Lima" });
  slack.seedUser({ id: "U0BEN", name: "ben", real_name: "Ben Okafor" });
  slack.seedUser({ id: "U0ADMIN", name: "root", real_name: "Ada Admin", is_admin: true });
  const openrouter = new FakeOpenRouter();
  const hooks = new FakeSlackHooks();
  const files = new FakeSlackFiles({ token: slack.token, teamId: slack.teamId });
  const network = installFakeNetwork({
    "slack.test": slack,
    "hooks.slack.test": hooks,
    "openrouter.test": openrouter,
    [SLACK_FILES_HOST]: files,
  });
  return { slack, openrouter, hooks, files, network };
}

let counter = 0;
/** A channel id no other test uses, so conversations and settings never leak between tests. */
export function freshChannel(): string {
  return `C${Date.now().toString(36).toUpperCase()}${++counter}`;
}

export function slackThread(channel: string, threadTs: string): ThreadRef {
  return { platform: "slack", workspaceId: "T0TEAM", channelId: channel, threadId: threadTs };
}

/** Sets the channel's `streaming` to `native`: channels default to post and edit (`auto`). */
export async function streamNatively(channel: string): Promise<void> {
  await new SettingsStore(env.SETTINGS, "openai/o4-mini-deep-research").update("slack", channel, {
    streaming: "native",
  });
}
