import { createExecutionContext, SELF } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../src/index.ts";
import { defaultCatalog, fallbackCatalog } from "./fakes/openrouter.ts";
import { eventEnvelope, sendSlack } from "./support/slack-requests.ts";
import { slackWorld } from "./support/slack-world.ts";

describe("routes", () => {
  it("GET /health says which platforms are configured", async () => {
    const res = await SELF.fetch("https://quarry.test/health");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, slack: true });
  });

  it("GET /health warns when DEFAULT_MODEL is not in OpenRouter's catalog, naming the fallback answers use", async () => {
    const { openrouter } = await slackWorld();
    openrouter.models = [
      ...defaultCatalog().filter((m) => m.id !== "openai/o4-mini-deep-research"),
      ...fallbackCatalog(),
    ];
    const res = await SELF.fetch("https://quarry.test/health");
    expect(await res.json()).toMatchObject({
      ok: true,
      warnings: [
        expect.stringMatching(
          /DEFAULT_MODEL openai\/o4-mini-deep-research is not in OpenRouter's catalog: answers use perplexity\/sonar-deep-research/,
        ),
      ],
    });
    openrouter.models = defaultCatalog();
    await env.SETTINGS.delete("cache:models");
    const { clearModelCatalogCache } = await import("../src/openrouter/model-catalog.ts");
    clearModelCatalogCache();
    expect(await (await SELF.fetch("https://quarry.test/health")).json()).not.toHaveProperty(
      "warnings",
    );
  });

  it("a platform without its secrets is off: 404 with the missing variable named, health says why", async () => {
    const bare = { ...env, SLACK_BOT_TOKEN: undefined, SLACK_SIGNING_SECRET: "" };
    const res = await worker.fetch(
      new Request("https://quarry.test/slack/events", { method: "POST", body: "{}" }),
      bare,
      createExecutionContext(),
    );
    expect(res.status).toBe(404);
    expect(await res.text()).toMatch(/SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET are not set/);
    const health = await worker.fetch(
      new Request("https://quarry.test/health"),
      bare,
      createExecutionContext(),
    );
    expect(await health.json()).toMatchObject({
      ok: true,
      slack: false,
      off: expect.arrayContaining([expect.stringMatching(/SLACK_BOT_TOKEN/)]),
    });
  });

  it("unknown routes get a 404 JSON reason", async () => {
    const res = await SELF.fetch("https://quarry.test/nope");
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: "not_found" });
  });
});

describe("POST /slack/events verification", () => {
  it("answers url_verification only when signed", async () => {
    await slackWorld();
    const body = JSON.stringify({
      token: "x",
      challenge: "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
      type: "url_verification",
    });
    const ok = await sendSlack(body);
    expect(await ok.json()).toEqual({
      challenge: "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
    });
    const unsigned = await SELF.fetch("https://quarry.test/slack/events", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    expect(unsigned.status).toBe(401);
  });

  it("rejects a bad signature with 401 and does no work", async () => {
    const { slack, openrouter } = await slackWorld();
    const event = eventEnvelope({
      type: "app_mention",
      user: "U0ANA",
      text: "<@U0QUARRY> hi",
      ts: "1.1",
      channel: "C0X",
      event_ts: "1.1",
    });
    const res = await sendSlack(event, { secret: "not-the-secret" });
    expect(res.status).toBe(401);
    await new Promise((r) => setTimeout(r, 200));
    expect(slack.calls).toHaveLength(0);
    expect(openrouter.requests).toHaveLength(0);
  });

  it("rejects a timestamp more than five minutes old, even correctly signed", async () => {
    const { openrouter } = await slackWorld();
    const event = eventEnvelope({
      type: "app_mention",
      user: "U0ANA",
      text: "<@U0QUARRY> hi",
      ts: "1.2",
      channel: "C0X",
      event_ts: "1.2",
    });
    const res = await sendSlack(event, { timestamp: Math.floor(Date.now() / 1000) - 301 });
    expect(res.status).toBe(401);
    expect(openrouter.requests).toHaveLength(0);
  });

  it("acknowledges Slack's app_rate_limited notice with a 200", async () => {
    await slackWorld();
    const body = JSON.stringify({
      token: "x",
      type: "app_rate_limited",
      team_id: "T0TEAM",
      minute_rate_limited: 1518467820,
      api_app_id: "A0QUARRY",
    });
    expect((await sendSlack(body)).status).toBe(200);
  });

  it("answers malformed but signed input with a 4xx, never a 5xx", async () => {
    await slackWorld();
    for (const [body, contentType] of [
      ["{not json", "application/json"],
      [JSON.stringify({ type: "event_callback" }), "application/json"],
      [JSON.stringify({ type: "something_else" }), "application/json"],
      ["payload=%7Bbroken", "application/x-www-form-urlencoded"],
      ["just text", "text/plain"],
    ] as const) {
      const res = await sendSlack(body, { contentType });
      expect(res.status, body).toBeGreaterThanOrEqual(400);
      expect(res.status, body).toBeLessThan(500);
    }
  });
});
