import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  BOT_SCOPES,
  buildManifest,
  MANIFEST_FILES,
  manifestOfLink,
  manifestText,
  readmeLinks,
} from "../../scripts/slack-manifest.ts";

interface HttpManifest {
  settings: {
    socket_mode_enabled: boolean;
    event_subscriptions: { request_url: string };
    interactivity: { is_enabled: boolean; request_url: string };
  };
  features: { slash_commands: { url: string }[] };
}

const read = (file: string) => readFileSync(new URL(`../../${file}`, import.meta.url), "utf8");

describe("Slack app manifests", () => {
  for (const [variant, file] of Object.entries(MANIFEST_FILES) as ["http" | "socket", string][]) {
    it(`${file} is what npm run slack:manifest writes`, () => {
      expect(read(file)).toBe(manifestText(variant));
    });

    it(`the README's ${variant} create-app link decodes to ${file}`, () => {
      const link = readmeLinks(read("README.md"))[variant];
      expect(link).toMatch(/^https:\/\/api\.slack\.com\/apps\?new_app=1&manifest_json=/);
      expect(manifestOfLink(link as string)).toEqual(JSON.parse(read(file)));
    });
  }

  it("the HTTP variant sends events, commands and interactivity to the one Worker URL", () => {
    const m = buildManifest("http") as unknown as HttpManifest;
    const url = "https://YOUR-WORKER.workers.dev/slack/events";
    expect(m.settings.socket_mode_enabled).toBe(false);
    expect(m.settings.event_subscriptions.request_url).toBe(url);
    expect(m.settings.interactivity).toEqual({ is_enabled: true, request_url: url });
    expect(m.features.slash_commands.map((c: { url: string }) => c.url)).toEqual([url, url]);
  });

  it("the Socket Mode variant has no URL anywhere", () => {
    const text = manifestText("socket");
    expect(JSON.parse(text).settings.socket_mode_enabled).toBe(true);
    expect(JSON.parse(text).settings.interactivity.is_enabled).toBe(true);
    expect(text).not.toMatch(/"(request_)?url"/);
  });

  it("asks for the scopes the code uses, no assistant:write", () => {
    expect([...BOT_SCOPES].sort()).toEqual([
      "app_mentions:read",
      "channels:history",
      "chat:write",
      "commands",
      "files:read",
      "groups:history",
      "im:history",
      "mpim:history",
      "users:read",
    ]);
    expect(JSON.stringify(buildManifest("http"))).not.toContain("assistant");
  });
});
