/**
 * Quarry's Slack app manifest, in its two variants, and the links that open Slack's
 * create-app dialog with it filled in. `npm run slack:manifest` writes both files and the
 * README links from here; test/node/slack-manifest.test.ts fails when they drift apart.
 * https://docs.slack.dev/reference/app-manifest
 */

export type ManifestVariant = "http" | "socket";

export const MANIFEST_FILES: Record<ManifestVariant, string> = {
  http: "slack-manifest.json",
  socket: "slack-manifest.socket.json",
};

/** Where the HTTP variant points until the developer puts their Worker's host in. */
export const PLACEHOLDER_HOST = "YOUR-WORKER.workers.dev";

/**
 * Exactly what the code uses (see the README's Slack setup for why each is there):
 * events and history of the four conversation kinds, posting and streaming (`chat:write`,
 * which also covers `assistant.threads.setStatus` since March 2026), names and admin checks
 * (`users.info`), the slash commands, and the files people attach (images for the model).
 */
export const BOT_SCOPES = [
  "app_mentions:read",
  "channels:history",
  "chat:write",
  "commands",
  "files:read",
  "groups:history",
  "im:history",
  "mpim:history",
  "users:read",
] as const;

export const BOT_EVENTS = [
  "app_mention",
  "message.channels",
  "message.groups",
  "message.im",
  "message.mpim",
] as const;

const COMMANDS = [
  {
    command: "/ask",
    description: "Ask Quarry a research question; it answers in a thread",
    usage_hint: "What changed between HTTP/2 and HTTP/3?",
  },
  {
    command: "/ask-settings",
    description: "Show or change Quarry's settings for this channel",
    usage_hint: "[reset | key=value …] e.g. model=openai/o4-mini effort=high",
  },
];

/** The manifest of one variant: HTTP has request URLs, Socket Mode has none. */
export function buildManifest(variant: ManifestVariant): Record<string, unknown> {
  const url = variant === "http" ? { url: `https://${PLACEHOLDER_HOST}/slack/events` } : {};
  const requestUrl =
    variant === "http" ? { request_url: `https://${PLACEHOLDER_HOST}/slack/events` } : {};
  return {
    _metadata: { major_version: 1, minor_version: 1 },
    display_information: {
      name: "Quarry",
      description: "Deep-research answers in your threads, streamed from OpenRouter.",
      background_color: "#2f3b45",
    },
    features: {
      app_home: {
        home_tab_enabled: false,
        messages_tab_enabled: true,
        messages_tab_read_only_enabled: false,
      },
      bot_user: { display_name: "Quarry", always_online: true },
      slash_commands: COMMANDS.map((c) => ({ ...c, ...url, should_escape: true })),
    },
    oauth_config: { scopes: { bot: [...BOT_SCOPES] } },
    settings: {
      event_subscriptions: { ...requestUrl, bot_events: [...BOT_EVENTS] },
      // Buttons (Stop) come back as interactions: the same one URL, or the socket.
      interactivity: { is_enabled: true, ...requestUrl },
      org_deploy_enabled: false,
      socket_mode_enabled: variant === "socket",
      token_rotation_enabled: false,
    },
  };
}

/** The file's text: two-space JSON and a final newline, as Biome formats it. */
export function manifestText(variant: ManifestVariant): string {
  return `${JSON.stringify(buildManifest(variant), null, 2)}\n`;
}

/** Opens api.slack.com's "create an app from a manifest" dialog with `manifest` in it. */
export function createAppLink(manifest: unknown): string {
  return `https://api.slack.com/apps?new_app=1&manifest_json=${encodeURIComponent(JSON.stringify(manifest))}`;
}

/** The manifest a create-app link carries. */
export function manifestOfLink(link: string): unknown {
  const json = new URL(link).searchParams.get("manifest_json");
  if (json === null) throw new Error(`no manifest_json in ${link.slice(0, 60)}…`);
  return JSON.parse(json);
}

const LINK_LINE = /^\[create-app-(http|socket)\]: (\S+)$/gm;

/** The `[create-app-http]: …` / `[create-app-socket]: …` link definitions of the README. */
export function readmeLinks(readme: string): Partial<Record<ManifestVariant, string>> {
  const links: Partial<Record<ManifestVariant, string>> = {};
  for (const m of readme.matchAll(LINK_LINE)) links[m[1] as ManifestVariant] = m[2] as string;
  return links;
}

/** `readme` with both link definitions rewritten from the manifests. */
export function readmeWithLinks(readme: string): string {
  const found = readmeLinks(readme);
  if (!found.http || !found.socket)
    throw new Error("README.md needs the [create-app-http]: and [create-app-socket]: lines");
  return readme.replace(
    LINK_LINE,
    (_line, variant: ManifestVariant) =>
      `[create-app-${variant}]: ${createAppLink(buildManifest(variant))}`,
  );
}
