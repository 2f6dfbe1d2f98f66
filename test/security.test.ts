/**
 * The promises of README "Security and data" that no narrower test keeps end to end:
 * replayed and tampered requests start no work, URLs in what people write are never
 * fetched, and no secret reaches a posted message, even when an upstream echoes it.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { verifyDiscordRequest } from "../adapters/discord/verify.ts";
import { askInteraction } from "./support/discord-payloads.ts";
import { createDiscordSigner } from "./support/discord-signing.ts";
import { ask, botMessages, discordWorld, sentBodies, settled } from "./support/discord-world.ts";
import { deliver, fuzzWorld, NO_WORK, postSlack, signSlackBytes } from "./support/fuzz-world.ts";
import { eventEnvelope, mentionEvent, sendMention } from "./support/slack-requests.ts";
import { freshChannel, slackThread, slackWorld } from "./support/slack-world.ts";

const now = () => Math.floor(Date.now() / 1000);
const settle = () => new Promise((r) => setTimeout(r, 300));

describe("replayed and tampered requests", () => {
  it("Slack: a request signed more than five minutes ago or ahead, or re-stamped, starts no work", async () => {
    const world = await fuzzWorld();
    const body = eventEnvelope(mentionEvent("C0REPLAY", "3.3", "what is new?"));
    expect((await postSlack(body, { timestamp: now() - 301 })).status).toBe(401);
    expect((await postSlack(body, { timestamp: now() + 301 })).status).toBe(401);
    // A captured request re-sent with a fresh timestamp: the old signature covers the old one.
    const old = String(now() - 301);
    const signature = await signSlackBytes(new TextEncoder().encode(body), old);
    const restamped = new Request("https://quarry.test/slack/events", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-slack-request-timestamp": String(now()),
        "x-slack-signature": signature,
      },
      body,
    });
    expect((await deliver(restamped)).status).toBe(401);
    await settle();
    expect(world.outbound()).toEqual(NO_WORK);
  });

  it("Discord: a valid signature over another body, an old timestamp, or a re-stamped one starts no work", async () => {
    const world = await fuzzWorld();
    const keys = await createDiscordSigner();
    const body = JSON.stringify(askInteraction("what is new?"));
    const send = (raw: string, headers: Headers) =>
      deliver(
        new Request("https://quarry.test/discord/interactions", {
          method: "POST",
          headers,
          body: raw,
        }),
        { DISCORD_PUBLIC_KEY: keys.publicKeyHex },
      );
    const tampered = body.replace("what is new?", "what is old?");
    expect((await send(tampered, await keys.sign(body))).status).toBe(401);
    expect((await send(body, await keys.sign(body, now() - 301))).status).toBe(401);
    const restamped = await keys.sign(body, now() - 301);
    restamped.set("X-Signature-Timestamp", String(now()));
    expect((await send(body, restamped)).status).toBe(401);
    await settle();
    expect(world.outbound()).toEqual(NO_WORK);
    // The control: the signatures were real, only the tampering or the clock refused them.
    const fresh = await keys.sign(body, now() - 301);
    const verified = await verifyDiscordRequest({
      publicKeyHex: keys.publicKeyHex,
      signatureHex: fresh.get("X-Signature-Ed25519"),
      timestamp: fresh.get("X-Signature-Timestamp"),
      rawBody: body,
      nowSeconds: now() - 301,
    });
    expect(verified).toBe(true);
  });
});

const FILE_URLS = [
  "https://files.slack.com/files-pri/T0TEAM-F0SECRET/report.pdf",
  "https://cdn.discordapp.com/attachments/1/2/chart.png",
  "https://media.discordapp.net/attachments/1/2/chart.png",
  "https://evil.test/exfiltrate.png",
];

describe("files", () => {
  it("Slack: fetches no URL written in a question, file hosts' included", async () => {
    const { slack, openrouter, files, network } = await slackWorld();
    const channel = freshChannel();
    const text = `what is in ${FILE_URLS.map((u) => `<${u}>`).join(" and ")}?`;
    slack.seedMessage(channel, {
      ts: "1700000005.000100",
      user: "U0ANA",
      text: `<@U0QUARRY> ${text}`,
    });
    openrouter.reply({ text: ["I cannot open links."] });
    expect((await sendMention(channel, "1700000005.000100", text)).status).toBe(200);
    await settled(slackThread(channel, "1700000005.000100"));
    // The model got the URLs as text, and nothing asked for them.
    expect(JSON.stringify(openrouter.chatBodies[0])).toContain("evil.test/exfiltrate.png");
    expect(files.requests).toEqual([]);
    expect(network.unknown).toEqual([]);
    const hosts = new Set(network.log.map((l) => new URL(l.url).host));
    expect([...hosts].sort()).toEqual(["openrouter.test", "slack.test"]);
  });

  it("Discord: fetches no URL written in an /ask, CDN's included", async () => {
    const world = await discordWorld();
    world.openrouter.reply({ text: ["I cannot open links."] });
    const asked = await ask(world, `what is in ${FILE_URLS.join(" and ")}?`);
    await settled(asked.thread);
    expect(JSON.stringify(world.openrouter.chatBodies[0])).toContain("evil.test/exfiltrate.png");
    expect(world.cdn.requests).toEqual([]);
    expect(world.network.unknown).toEqual([]);
    const hosts = new Set(world.network.log.map((l) => new URL(l.url).host));
    expect([...hosts].sort()).toEqual(["discord.test", "openrouter.test"]);
  });
});

/** The Worker's secrets (vitest.config.ts). */
const SECRETS = [
  env.OPENROUTER_API_KEY,
  env.SLACK_BOT_TOKEN,
  env.SLACK_SIGNING_SECRET,
  env.DISCORD_BOT_TOKEN,
] as string[];
const leaked = (posted: string) => SECRETS.filter((s) => posted.includes(s));

/** An upstream that quotes what it was sent: every secret, in an error's message. */
const ECHO = `you sent ${SECRETS.join(" ")}`;

describe("secrets in posted messages", () => {
  it("Slack: an OpenRouter error that quotes the key and tokens is posted without them", async () => {
    const { slack, openrouter } = await slackWorld();
    const channel = freshChannel();
    slack.seedMessage(channel, { ts: "1700000006.000100", user: "U0ANA", text: "<@U0QUARRY> q" });
    openrouter.reply({ error: { status: 400, body: { error: { code: 400, message: ECHO } } } });
    await sendMention(channel, "1700000006.000100", "q");
    await settled(slackThread(channel, "1700000006.000100"));
    const posted = slack.calls
      .filter((c) => c.method.startsWith("chat."))
      .map((c) => JSON.stringify(c.body));
    expect(posted.join("\n")).toContain("OpenRouter refused the request");
    expect(leaked(posted.join("\n"))).toEqual([]);
  });

  it("Discord: an error mid-answer that quotes the key and tokens is posted without them", async () => {
    const world = await discordWorld();
    world.openrouter.reply({
      text: ["Partial answer. "],
      midStreamError: { code: "server_error", message: ECHO },
    });
    const asked = await ask(world, "q");
    await settled(asked.thread);
    const shown = botMessages(world)
      .map((m) => m.content)
      .join("\n");
    expect(shown).toContain("broke off");
    expect(leaked(shown)).toEqual([]);
    expect(leaked(JSON.stringify(sentBodies(world).map((r) => r.body)))).toEqual([]);
  });
});
