import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { commandBody, eventEnvelope, sendMention, sendSlack } from "./support/slack-requests.ts";
import { freshChannel, settled, slackThread, slackWorld } from "./support/slack-world.ts";

const form = { contentType: "application/x-www-form-urlencoded" };

async function settings(text: string, opts: { user?: string; channel: string }) {
  const res = await sendSlack(commandBody("/ask-settings", text, opts), form);
  expect(res.status).toBe(200);
  const body = (await res.json()) as {
    response_type: string;
    text: string;
    blocks: { text: string }[];
  };
  expect(body.response_type).toBe("ephemeral");
  return body.blocks[0]!.text;
}

describe("Slack: /ask-settings", () => {
  it("shows the channel's settings with their defaults", async () => {
    await slackWorld();
    const text = await settings("", { channel: freshChannel() });
    for (const key of [
      "model",
      "system",
      "effort",
      "max_tokens",
      "temperature",
      "followups",
      "daily_budget_usd",
    ]) {
      expect(text).toContain(key);
    }
    expect(text).toContain("openai/o4-mini-deep-research");
  });

  it("an admin sets several keys at once, and the next answer uses them", async () => {
    const { slack, openrouter } = await slackWorld();
    const channel = freshChannel();
    const reply = await settings('model=openai/o4-mini effort=high system="Answer in French"', {
      user: "U0ADMIN",
      channel,
    });
    expect(reply).toMatch(/openai\/o4-mini/);
    const stored = await env.SETTINGS.get(`settings:slack:${channel}`, "json");
    expect(stored).toMatchObject({
      model: "openai/o4-mini",
      effort: "high",
      system: "Answer in French",
    });

    const ts = "1700000200.000100";
    slack.seedMessage(channel, { ts, user: "U0ANA", text: "<@U0QUARRY> bonjour" });
    await sendMention(channel, ts, "bonjour");
    await settled(slackThread(channel, ts));
    const body = openrouter.chatBodies[0] as {
      model: string;
      reasoning?: { effort: string };
      messages: { role: string; content: string }[];
    };
    expect(body.model).toBe("openai/o4-mini");
    expect(body.reasoning).toEqual({ effort: "high" });
    expect(body.messages[0]).toEqual({ role: "system", content: "Answer in French" });
  });

  it("rejects an invalid value, says what is allowed, and changes nothing", async () => {
    await slackWorld();
    const channel = freshChannel();
    const reply = await settings("effort=high max_tokens=5", { user: "U0ADMIN", channel });
    // Deep research accepts only medium effort.
    expect(reply).toMatch(/medium/);
    expect(await env.SETTINGS.get(`settings:slack:${channel}`)).toBeNull();
  });

  it("rejects an unknown key and a model OpenRouter does not list", async () => {
    await slackWorld();
    const channel = freshChannel();
    expect(await settings("colour=blue", { user: "U0ADMIN", channel })).toMatch(/model/);
    expect(await settings("model=nobody/nothing-9000", { user: "U0ADMIN", channel })).toMatch(
      /nobody\/nothing-9000/,
    );
    expect(await env.SETTINGS.get(`settings:slack:${channel}`)).toBeNull();
  });

  it("refuses changes from members who are not workspace admins or owners", async () => {
    await slackWorld();
    const channel = freshChannel();
    const reply = await settings("followups=off", { user: "U0ANA", channel });
    expect(reply).toMatch(/admin/i);
    expect(await env.SETTINGS.get(`settings:slack:${channel}`)).toBeNull();
  });

  it("reset restores the defaults", async () => {
    await slackWorld();
    const channel = freshChannel();
    await settings("followups=off", { user: "U0ADMIN", channel });
    expect(await env.SETTINGS.get(`settings:slack:${channel}`, "json")).toMatchObject({
      followups: false,
    });
    await settings("reset", { user: "U0ADMIN", channel });
    const text = await settings("", { channel });
    expect(text).toMatch(/followups[^\n]*on/);
  });

  it("with followups=off, a thread follow-up without a mention is not answered", async () => {
    const { slack, openrouter } = await slackWorld();
    const channel = freshChannel();
    const root = "1700000300.000100";
    slack.seedMessage(channel, { ts: root, user: "U0ANA", text: "<@U0QUARRY> q1" });
    await sendMention(channel, root, "q1");
    await settled(slackThread(channel, root));
    await settings("followups=off", { user: "U0ADMIN", channel });
    await sendSlack(
      eventEnvelope({
        type: "message",
        user: "U0BEN",
        text: "more?",
        ts: "1700000300.000500",
        thread_ts: root,
        channel,
        channel_type: "channel",
      }),
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(openrouter.chatBodies).toHaveLength(1);
  });

  it("stops answering once the channel's daily budget is spent, and says so", async () => {
    const { slack, openrouter } = await slackWorld();
    const channel = freshChannel();
    await settings("daily_budget_usd=0.01", { user: "U0ADMIN", channel });
    const ask = async (ts: string) => {
      slack.seedMessage(channel, { ts, user: "U0ANA", text: "<@U0QUARRY> q" });
      await sendMention(channel, ts);
      await settled(slackThread(channel, ts));
      return slack.thread(channel, ts).at(-1)!.text;
    };
    openrouter.reply({ text: ["Costly answer."], usage: { cost: 0.0123 } });
    expect(await ask("1700000500.000100")).toContain("Costly answer.");
    const refusal = await ask("1700000501.000100");
    expect(refusal).toMatch(/daily budget/i);
    expect(refusal).toContain("$0.01");
    expect(openrouter.chatBodies).toHaveLength(1);
  });
});
