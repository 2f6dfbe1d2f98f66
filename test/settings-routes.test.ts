/**
 * The settings commands end to end: signed requests to the Worker's routes, the real KV
 * and ledger objects behind them, fake Slack and Discord APIs.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ledgerFor, utcDay } from "../src/budget/channel-ledger.ts";
import type { Env } from "../src/config.ts";
import worker from "../src/index.ts";
import { interaction } from "./support/discord-payloads.ts";
import { createDiscordSigner } from "./support/discord-signing.ts";
import {
  discordWorld,
  freshSnowflake,
  MANAGE_CHANNELS,
  settingsCommand,
} from "./support/discord-world.ts";
import { commandBody, sendSlack } from "./support/slack-requests.ts";
import { freshChannel, slackWorld } from "./support/slack-world.ts";

const form = { contentType: "application/x-www-form-urlencoded" };

async function slackSettings(text: string, opts: { user?: string; channel: string }) {
  const res = await sendSlack(commandBody("/ask-settings", text, opts), form);
  expect(res.status).toBe(200);
  return ((await res.json()) as { blocks: { text: string }[] }).blocks[0]!.text;
}

describe("Slack /ask-settings", () => {
  it("shows today's spend and what is left next to the budget", async () => {
    await slackWorld();
    const channel = freshChannel();
    await slackSettings("daily_budget_usd=2", { user: "U0ADMIN", channel });
    await ledgerFor(env, "slack", channel).settle({
      day: utcDay(Date.now()),
      id: "q1",
      costUsd: 0.5,
    });
    const text = await slackSettings("", { channel });
    expect(text).toContain("`daily_budget_usd`: $2.00");
    expect(text).toMatch(
      /\*\*Today\*\* \(UTC\): \$0\.50 spent on 1 answer; \$1\.50 left of \$2\.00\. Resets at 00:00 UTC, in /,
    );
  });

  it("takes 0, off and default for the budget, and refuses anything else saying what is allowed", async () => {
    await slackWorld();
    const channel = freshChannel();
    const key = `settings:slack:${channel}`;
    expect(await slackSettings("daily_budget_usd=0", { user: "U0ADMIN", channel })).toContain(
      "nothing may be spent",
    );
    expect(await env.SETTINGS.get(key, "json")).toEqual({ daily_budget_usd: 0 });
    await slackSettings("daily_budget_usd=off", { user: "U0ADMIN", channel });
    expect(await env.SETTINGS.get(key, "json")).toEqual({ daily_budget_usd: "off" });
    const bad = await slackSettings("daily_budget_usd=lots web_search=on", {
      user: "U0ADMIN",
      channel,
    });
    expect(bad).toMatch(/Nothing was changed/);
    expect(bad).toMatch(/`off` for no cap/);
    expect(await env.SETTINGS.get(key, "json")).toEqual({ daily_budget_usd: "off" });
    await slackSettings("daily_budget_usd=default", { user: "U0ADMIN", channel });
    expect(await env.SETTINGS.get(key)).toBeNull();
  });

  it("in a DM, lets the person in it change its settings (DM_SETTINGS unset), admin or not", async () => {
    const { slack } = await slackWorld();
    const dm = `D${freshChannel().slice(1)}`;
    const reply = await slackSettings("web_search=on", { user: "U0ANA", channel: dm });
    expect(reply).toMatch(/Updated this direct message's settings/);
    expect(await env.SETTINGS.get(`settings:slack:${dm}`, "json")).toEqual({ web_search: true });
    // The DM policy needs to know whether the person is an admin.
    expect(slack.calls.some((c) => c.method === "users.info")).toBe(true);
  });

  it("still refuses a non-admin in a channel", async () => {
    await slackWorld();
    const channel = freshChannel();
    expect(await slackSettings("web_search=on", { user: "U0ANA", channel })).toMatch(
      /Only workspace admins and owners can change this channel's settings/,
    );
    expect(await env.SETTINGS.get(`settings:slack:${channel}`)).toBeNull();
  });
});

describe("Discord /settings", () => {
  it("sets the budget off and web_search on with the string options, and shows today's spend", async () => {
    const world = await discordWorld();
    const set = await settingsCommand(world, "set", {
      permissions: MANAGE_CHANNELS,
      options: [
        { name: "daily_budget_usd", type: 3, value: "off" },
        { name: "web_search", type: 3, value: "on" },
        { name: "streaming", type: 3, value: "edit" },
      ],
    });
    expect(set.data?.content).toMatch(/Updated this channel's settings/);
    expect(await env.SETTINGS.get(`settings:discord:${world.channelId}`, "json")).toEqual({
      daily_budget_usd: "off",
      web_search: true,
      streaming: "edit",
    });
    await ledgerFor(env, "discord", world.channelId).settle({
      day: utcDay(Date.now()),
      id: "q1",
      costUsd: 0.25,
    });
    const shown = await settingsCommand(world, "show");
    expect(shown.data?.content).toContain("$0.25 spent on 1 answer; no daily budget.");
  });

  it("in a DM, follows DM_SETTINGS: nobody may change it, and it says so", async () => {
    await discordWorld();
    const signer = await createDiscordSigner();
    const send = async (vars: Partial<Env>) => {
      const body = JSON.stringify(
        interaction({
          id: freshSnowflake(),
          guild: false,
          channel: { id: dmChannel, type: 1 },
          name: "settings",
          options: [
            { name: "set", type: 1, options: [{ name: "followups", type: 3, value: "off" }] },
          ],
        }),
      );
      const request = new Request("https://quarry.test/discord/interactions", {
        method: "POST",
        headers: await signer.sign(body),
        body,
      });
      const ctx = createExecutionContext();
      const res = await worker.fetch(
        request,
        { ...env, DISCORD_PUBLIC_KEY: signer.publicKeyHex, ...vars },
        ctx,
      );
      await waitOnExecutionContext(ctx);
      return ((await res.json()) as { data: { content: string } }).data.content;
    };
    const dmChannel = freshSnowflake();
    expect(await send({ DM_SETTINGS: "nobody" })).toMatch(/fixed by its operator/);
    expect(await env.SETTINGS.get(`settings:discord:${dmChannel}`)).toBeNull();
    expect(await send({})).toMatch(/Updated this direct message's settings/);
    expect(await env.SETTINGS.get(`settings:discord:${dmChannel}`, "json")).toEqual({
      followups: false,
    });
  });
});
