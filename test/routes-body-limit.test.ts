import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { sendSlack } from "./support/slack-requests.ts";
import { slackWorld } from "./support/slack-world.ts";

describe("webhook body limit", () => {
  it("answers 413 to an oversized Slack request, signed or not, and does no work", async () => {
    const { slack, openrouter, network } = await slackWorld();
    const body = JSON.stringify({ type: "event_callback", pad: "x".repeat(1024 * 1024) });
    const res = await sendSlack(body);
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ ok: false, error: "payload_too_large" });
    expect(slack.calls).toHaveLength(0);
    expect(openrouter.requests).toHaveLength(0);
    expect(network.log).toHaveLength(0);
  });

  it("answers 413 to an oversized Discord interaction before checking its signature", async () => {
    const res = await SELF.fetch("https://quarry.test/discord/interactions", {
      method: "POST",
      headers: { "content-type": "application/json", "content-length": String(2 * 1024 * 1024) },
      body: "y".repeat(2 * 1024 * 1024),
    });
    expect(res.status).toBe(413);
  });

  it("still takes a normal-sized request", async () => {
    await slackWorld();
    const res = await sendSlack(JSON.stringify({ type: "url_verification", challenge: "c" }));
    expect(res.status).toBe(200);
  });
});
