/**
 * No secret in logs: signed requests that carry secrets (tokens in bodies, interaction
 * tokens, Authorization headers, response URLs) go through the whole Worker, answers
 * included, and every line written to the console is searched for every secret value.
 */
import { createExecutionContext, SELF, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import worker from "../src/index.ts";
import { askInteraction } from "./support/discord-payloads.ts";
import { createDiscordSigner } from "./support/discord-signing.ts";
import { discordWorld, freshSnowflake } from "./support/discord-world.ts";
import { commandBody, eventEnvelope, mentionEvent, sendSlack } from "./support/slack-requests.ts";
import { freshChannel, settled, slackThread, slackWorld } from "./support/slack-world.ts";

// Shaped like the real thing, so only exact matching or shape matching can hide them.
const SECRETS = {
  slackUserToken: "xoxp-2222222222-3333333333-4444444444-0123456789abcdef0123456789abcdef",
  slackAppToken: "xapp-1-A0QUARRY-5555555555-0123456789abcdef0123456789abcdef01234567",
  openrouterKey: "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",
  discordBotToken: "MTEwMDAwMDAwMDAwMDAwMDAwMQ.GhIjKl.Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0",
  legacyVerificationToken: "Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2",
  interactionToken: `aW50ZXJhY3Rpb246MTEwMDAwMDAwMDAwMDAwMDAwMTp${"VGhpc0lzQVNlY3JldA".repeat(8)}`,
  responseUrlSecret: "hooksSecretPart7Hd9Kq2Lm",
};

/** The Worker's own secrets (vitest.config.ts). */
const CONFIGURED = [
  env.OPENROUTER_API_KEY,
  env.SLACK_BOT_TOKEN,
  env.SLACK_SIGNING_SECRET,
  env.DISCORD_BOT_TOKEN,
] as string[];

function captureConsole(): string[] {
  const lines: string[] = [];
  for (const method of ["log", "info", "warn", "error", "debug"] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      lines.push(args.map((a) => (a instanceof Error ? `${a.stack}` : String(a))).join(" "));
    });
  }
  return lines;
}

function leaks(lines: string[]): string[] {
  const all = [...Object.values(SECRETS), ...CONFIGURED];
  return all.filter((secret) => lines.some((line) => line.includes(secret)));
}

const requestLines = (lines: string[]) =>
  lines
    .filter((l) => l.includes('"event":"http.request"'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

const bearer = { authorization: `Bearer ${SECRETS.slackUserToken}` };

afterEach(() => {
  vi.restoreAllMocks();
});

describe("no secret in logs", () => {
  it("Slack: events, commands, button clicks and bad signatures log no secret", async () => {
    await slackWorld();
    const lines = captureConsole();
    const channel = freshChannel();
    const mention = mentionEvent(
      channel,
      "1718000000.000100",
      `my key is ${SECRETS.openrouterKey}`,
    );
    const envelope = JSON.parse(eventEnvelope(mention)) as Record<string, unknown>;
    envelope.token = SECRETS.legacyVerificationToken;
    expect((await sendSlack(JSON.stringify(envelope), { headers: bearer })).status).toBe(200);

    const command = new URLSearchParams(commandBody("/ask-settings", "", { channel }));
    command.set("token", SECRETS.legacyVerificationToken);
    command.set(
      "response_url",
      `https://hooks.slack.com/commands/T0TEAM/1/${SECRETS.responseUrlSecret}`,
    );
    const form = { contentType: "application/x-www-form-urlencoded", headers: bearer };
    expect((await sendSlack(command.toString(), form)).status).toBe(200);

    const click = {
      type: "block_actions",
      token: SECRETS.legacyVerificationToken,
      user: { id: "U0ANA", name: "ana", team_id: "T0TEAM" },
      team: { id: "T0TEAM" },
      channel: { id: channel },
      trigger_id: "1.2.3",
      response_url: `https://hooks.slack.com/actions/T0TEAM/2/${SECRETS.responseUrlSecret}`,
      actions: [{ action_id: "stop", value: SECRETS.slackAppToken }],
    };
    const payload = new URLSearchParams({ payload: JSON.stringify(click) }).toString();
    expect((await sendSlack(payload, form)).status).toBe(200);

    const forged = await sendSlack(JSON.stringify(envelope), {
      secret: SECRETS.slackAppToken,
      headers: { authorization: `Bot ${SECRETS.discordBotToken}` },
    });
    expect(forged.status).toBe(401);
    await settled(slackThread(channel, "1718000000.000100"));

    const requests = requestLines(lines);
    expect(requests.map((r) => [r.path, r.status, r.outcome])).toEqual([
      ["/slack/events", 200, "ok"],
      ["/slack/events", 200, "ok"],
      ["/slack/events", 200, "ok"],
      ["/slack/events", 401, "bad_signature"],
    ]);
    expect(leaks(lines)).toEqual([]);
  });

  it("Discord: an /ask with its interaction token, and a forged one, log no secret", async () => {
    const world = await discordWorld();
    const lines = captureConsole();
    const signer = await createDiscordSigner();
    const interactionId = freshSnowflake();
    const body = JSON.stringify({
      ...askInteraction(`is ${SECRETS.discordBotToken} safe?`, {
        id: interactionId,
        channel: { id: world.channelId, type: 0 },
      }),
      token: SECRETS.interactionToken,
    });
    const headers = await signer.sign(body);
    headers.set("authorization", `Bot ${SECRETS.discordBotToken}`);
    const send = async (h: Headers) => {
      const ctx = createExecutionContext();
      const request = new Request("https://quarry.test/discord/interactions", {
        method: "POST",
        headers: h,
        body,
      });
      const res = await worker.fetch(
        request,
        { ...env, DISCORD_PUBLIC_KEY: signer.publicKeyHex },
        ctx,
      );
      await waitOnExecutionContext(ctx);
      return res;
    };
    expect(((await (await send(headers)).json()) as { type: number }).type).toBe(5);
    world.discord.openInteraction(SECRETS.interactionToken, world.channelId);
    await settled({
      platform: "discord",
      workspaceId: String((JSON.parse(body) as { guild_id: string }).guild_id),
      channelId: world.channelId,
      threadId: `interaction:${interactionId}`,
    });

    const forged = new Headers(headers);
    forged.set("X-Signature-Ed25519", "ab".repeat(64));
    expect((await send(forged)).status).toBe(401);

    const health = await SELF.fetch("https://quarry.test/health", { headers: bearer });
    expect(health.status).toBe(200);

    expect(requestLines(lines).map((r) => [r.path, r.status, r.outcome])).toEqual([
      ["/discord/interactions", 200, "ok"],
      ["/discord/interactions", 401, "bad_signature"],
      ["/health", 200, "ok"],
    ]);
    expect(leaks(lines)).toEqual([]);
  });
});
