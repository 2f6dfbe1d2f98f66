import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { discordDelivery } from "../adapters/discord/delivery.ts";
import type { Question } from "../src/chat/types.ts";
import { submitQuestion } from "../src/conversation/submit.ts";
import { textModelEntry } from "./fakes/openrouter.ts";
import { alice } from "./support/discord-payloads.ts";
import {
  APP_ID,
  ask,
  botMessages,
  discordWorld,
  freshSnowflake,
  GUILD_ID,
  MANAGE_CHANNELS,
  sentBodies,
  settingsCommand,
  settled,
} from "./support/discord-world.ts";

const fenceCount = (text: string) => (text.match(/^\s{0,3}```/gm) ?? []).length;

describe("Discord /ask, end to end", () => {
  it("defers within the request, then edits @original with the streamed answer, sources and cost", async () => {
    const world = await discordWorld();
    world.openrouter.reply({
      keepalives: 2,
      reasoning: ["**Searching for QUIC RFC 9000**\n"],
      text: ["QUIC is a transport ", "protocol over UDP."],
      citations: [{ url: "https://www.rfc-editor.org/rfc/rfc9000", title: "RFC 9000" }],
      usage: { cost: 0.0123, promptTokens: 50, completionTokens: 20, webSearches: 2 },
    });
    const started = Date.now();
    const asked = await ask(world, "what is QUIC?");
    expect(asked.response).toEqual({ type: 5 });
    expect(Date.now() - started).toBeLessThan(3000);
    const rows = await settled(asked.thread);
    expect(rows[0]?.state).toBe("answered");

    // The answer fills the deferred message itself: no second message, no "thinking…" (128)
    // left, and its source links do not unfurl (4).
    const shown = botMessages(world);
    expect(shown).toHaveLength(1);
    expect(shown[0]?.id).toBe(asked.original?.id);
    expect(world.discord.message(asked.original?.id ?? "")?.flags).toBe(4);
    const answer = shown[0]?.content ?? "";
    expect(answer).toContain("QUIC is a transport protocol over UDP.");
    expect(answer).toContain("[RFC 9000](https://www.rfc-editor.org/rfc/rfc9000)");
    expect(answer).toContain("$0.012");
    expect(answer).toContain("2 web searches");

    const edits = world.discord.calls(/^PATCH \/webhooks\/\d+\/[^/]+\/messages\/@original$/);
    expect(edits.length).toBeGreaterThanOrEqual(2);
    for (const r of edits) expect(r.path).toContain(`/webhooks/${APP_ID}/${asked.token}/`);
    // Every body the Worker sent to Discord switches pings off.
    const bodies = sentBodies(world);
    expect(bodies.length).toBeGreaterThan(0);
    for (const r of bodies) expect(r.body).toMatchObject({ allowed_mentions: { parse: [] } });

    const chat = world.openrouter.chatBodies[0] as {
      model: string;
      messages: { role: string; content: string }[];
      user: string;
    };
    expect(chat.model).toBe("openai/o4-mini-deep-research");
    expect(chat.messages.at(-1)).toMatchObject({ role: "user" });
    expect(String(chat.messages.at(-1)?.content)).toContain("what is QUIC?");
    expect(chat.user).not.toContain(alice.id);
  });

  it("still fills @original when the answer starts before Discord has the deferral", async () => {
    const world = await discordWorld();
    world.openrouter.reply({ text: ["An answer that raced the deferral."] });
    const asked = await ask(world, "quick one", { ackDelayMs: 400 });
    await settled(asked.thread);
    const shown = botMessages(world);
    expect(shown.map((m) => m.id)).toEqual([asked.original?.id]);
    expect(shown[0]?.content).toContain("An answer that raced the deferral.");
    expect(world.discord.message(asked.original?.id ?? "")?.flags).toBe(4);
  });

  it("fills @original when Discord registers the deferral 3 s after the response", async () => {
    const world = await discordWorld();
    world.openrouter.reply({ text: ["Worth the wait."] });
    const asked = await ask(world, "slow deferral", { ackDelayMs: 3_000 });
    await settled(asked.thread);
    expect(botMessages(world).map((m) => m.id)).toEqual([asked.original?.id]);
    expect(botMessages(world)[0]?.content).toContain("Worth the wait.");
    const reads = world.discord.calls(`GET /webhooks/${APP_ID}/${asked.token}/messages/@original`);
    expect(reads[0]?.status).toBe(404);
    expect(world.discord.calls(`POST /channels/${world.channelId}/messages`)).toEqual([]);
  });

  it("continues a 9,000-character answer in followups of at most 2,000 characters, fences balanced", async () => {
    const world = await discordWorld();
    const paragraph = (i: number) =>
      `Paragraph ${String(i).padStart(2, "0")}. ${"Lorem ipsum dolor sit amet. ".repeat(12)}\n\n`;
    const code = `\`\`\`ts\n${Array.from({ length: 90 }, (_, i) => `console.log(${i});`).join("\n")}\n\`\`\`\n\n`;
    const chunks = [...Array.from({ length: 12 }, (_, i) => paragraph(i)), code];
    chunks.push(...Array.from({ length: 12 }, (_, i) => paragraph(i + 12)));
    expect(chunks.join("").length).toBeGreaterThan(9000);
    world.openrouter.reply({ text: chunks, usage: { cost: 0.05 } });
    const asked = await ask(world, "long please");
    await settled(asked.thread);

    const shown = botMessages(world);
    expect(shown.length).toBeGreaterThanOrEqual(5);
    expect(shown[0]?.id).toBe(asked.original?.id);
    const followups = world.discord.calls(/^POST \/webhooks\/\d+\/[^/]+$/);
    expect(followups).toHaveLength(shown.length - 1);
    for (const m of shown) {
      expect(m.content.length).toBeLessThanOrEqual(2000);
      expect(fenceCount(m.content) % 2).toBe(0);
    }
    const all = shown.map((m) => m.content).join("\n");
    for (let i = 0; i < 24; i++) {
      expect(all.split(`Paragraph ${String(i).padStart(2, "0")}.`)).toHaveLength(2);
    }
    expect(all).toContain("console.log(89);");
    expect(shown.at(-1)?.content).toContain("$0.050");
  });

  it("waits out a 429 on an edit for its retry_after, and the answer is still complete", async () => {
    const world = await discordWorld();
    const editOriginal = /^PATCH \/webhooks\/\d+\/[^/]+\/messages\/@original$/;
    // The first PATCH fills the deferral; the one after it, an edit, is rate limited.
    world.discord.rateLimitNext(editOriginal, 1, 1.2, 1);
    // Slow enough that the progress line fills the deferral before the text edits it.
    world.openrouter.reply({
      keepalives: 2,
      delayMs: 400,
      text: ["Rate limited ", "but complete."],
    });
    const asked = await ask(world, "rl");
    await settled(asked.thread);
    expect(botMessages(world).map((m) => m.content)).toEqual([
      expect.stringContaining("Rate limited but complete."),
    ]);
    const edits = world.discord.calls(editOriginal);
    const limited = edits.findIndex((r) => r.status === 429);
    expect(limited).toBe(1);
    const retry = edits[limited + 1];
    expect(retry?.status).toBe(200);
    expect((retry?.at ?? 0) - (edits[limited]?.at ?? 0)).toBeGreaterThanOrEqual(1200);
  });

  it("never sends the model's @everyone, @here, user or role mentions in a pinging form", async () => {
    const world = await discordWorld();
    world.openrouter.reply({
      text: ["Hey @everyone and @here, ", "ask <@123> or <@!124> or the <@&456> role."],
    });
    const asked = await ask(world, "ping test");
    await settled(asked.thread);
    const answer = botMessages(world)[0]?.content ?? "";
    expect(answer).toContain("everyone");
    for (const r of sentBodies(world)) {
      const content = String((r.body as { content?: string }).content ?? "");
      expect(content).not.toMatch(/(?<!\u200b)@(everyone|here)|<@!?\d|<@&\d/);
      expect(r.body).toMatchObject({ allowed_mentions: { parse: [] } });
    }
  });

  it("ends an OpenRouter failure (402) as a plain message in @original", async () => {
    const world = await discordWorld();
    world.openrouter.reply({
      error: { status: 402, body: { error: { code: 402, message: "Insufficient credits" } } },
    });
    const asked = await ask(world, "costly");
    const rows = await settled(asked.thread);
    expect(rows[0]?.state).toBe("failed");
    const shown = botMessages(world);
    expect(shown.map((m) => m.id)).toEqual([asked.original?.id]);
    expect(shown[0]?.content).toMatch(/credits/i);
    expect(shown[0]?.content).toContain("402");
  });
});

describe("Discord /ask past the interaction token", () => {
  /** A question as parse-interaction builds it, whose token runs out `ttlMs` from now. */
  function askQuestion(channelId: string, token: string, ttlMs: number): Question {
    const id = freshSnowflake();
    return {
      id: `discord:interaction:${id}`,
      thread: {
        platform: "discord",
        workspaceId: GUILD_ID,
        channelId,
        threadId: `interaction:${id}`,
      },
      text: "a long research question",
      trigger: "command",
      user: { id: alice.id, name: "Alice" },
      receivedAt: Date.now(),
      delivery: discordDelivery({
        interactionToken: token,
        applicationId: APP_ID,
        interactionExpiresAt: String(Date.now() + ttlMs),
        channelId,
      }),
    };
  }

  const lines = Array.from(
    { length: 14 },
    (_, i) => `Line ${String(i).padStart(2, "0")} ${"of a long answer ".repeat(14)}\n\n`,
  );

  function expectEachLineOnce(contents: string[]) {
    const all = contents.join("\n");
    let last = -1;
    for (let i = 0; i < lines.length; i++) {
      const marker = `Line ${String(i).padStart(2, "0")} `;
      expect(all.split(marker)).toHaveLength(2);
      expect(all.indexOf(marker)).toBeGreaterThan(last);
      last = all.indexOf(marker);
    }
  }

  it("continues through the bot token in the channel when the token nears its end, without gap or duplicate", async () => {
    const world = await discordWorld();
    const token = `token-${freshSnowflake()}`;
    const original = world.discord.openInteraction(token, world.channelId);
    // Quarry stops using a token a minute before its end: this one is usable for ~1.5 s.
    const question = askQuestion(world.channelId, token, 61_500);
    world.openrouter.reply({ text: lines, delayMs: 300 });
    expect((await submitQuestion(env, question)).status).toBe("queued");
    await settled(question.thread);

    const shown = botMessages(world);
    expect(shown[0]?.id).toBe(original.id);
    expect(shown.length).toBeGreaterThanOrEqual(2);
    for (const m of shown) expect(m.content.length).toBeLessThanOrEqual(2000);
    expectEachLineOnce(shown.map((m) => m.content));
    // Later parts went out with the bot token, each replying to the part before it.
    const channelPosts = world.discord.calls(`POST /channels/${world.channelId}/messages`);
    expect(channelPosts.length).toBeGreaterThanOrEqual(1);
    for (const r of channelPosts)
      expect(r.headers.authorization).toBe(`Bot ${world.discord.token}`);
    const viaBot = shown.filter((m) => !world.discord.message(m.id)?.webhook_id);
    expect(viaBot).toHaveLength(channelPosts.length);
    for (const m of viaBot) expect(m.replyTo).toBe(shown[shown.indexOf(m) - 1]?.id);
    // Past the token, @original itself is edited with the bot token.
    const botEdits = world.discord.calls(
      `PATCH /channels/${world.channelId}/messages/${original.id}`,
    );
    expect(botEdits.length).toBeGreaterThan(0);
  });

  it("carries on with the bot token when Discord already refuses the token (10015)", async () => {
    const world = await discordWorld();
    const token = `token-${freshSnowflake()}`;
    const original = world.discord.openInteraction(token, world.channelId);
    const question = askQuestion(world.channelId, token, 15 * 60_000);
    world.openrouter.reply({ text: lines, delayMs: 300 });
    await submitQuestion(env, question);
    // The first text has reached @original through the webhook; then the token dies.
    await new Promise((r) => setTimeout(r, 1500));
    expect(world.discord.calls("PATCH /webhooks/").length).toBeGreaterThanOrEqual(1);
    world.discord.expireInteraction(token);
    await settled(question.thread);

    const shown = botMessages(world);
    expect(shown[0]?.id).toBe(original.id);
    expectEachLineOnce(shown.map((m) => m.content));
    expect(
      world.discord.calls(`PATCH /channels/${world.channelId}/messages/`).length,
    ).toBeGreaterThan(0);
  });
});

describe("Discord /settings and autocomplete, end to end", () => {
  it("lets a member with Manage Channels set the model, and the next /ask uses it", async () => {
    const world = await discordWorld();
    const set = await settingsCommand(world, "set", {
      permissions: MANAGE_CHANNELS,
      options: [{ name: "model", type: 3, value: "openai/o4-mini" }],
    });
    expect(set.type).toBe(4);
    expect(set.data?.flags).toBe(64);
    expect(set.data?.content).toContain("openai/o4-mini");
    const stored = await env.SETTINGS.get(`settings:discord:${world.channelId}`, "json");
    expect(stored).toMatchObject({ model: "openai/o4-mini" });

    const asked = await ask(world, "which model?");
    await settled(asked.thread);
    expect((world.openrouter.chatBodies[0] as { model: string }).model).toBe("openai/o4-mini");
    expect(botMessages(world)[0]?.content).toContain("openai/o4-mini");
  });

  it("refuses a member without Manage Channels, ephemerally, and changes nothing", async () => {
    const world = await discordWorld();
    const res = await settingsCommand(world, "set", {
      permissions: "0",
      options: [{ name: "model", type: 3, value: "openai/o4-mini" }],
    });
    expect(res.type).toBe(4);
    expect(res.data?.flags).toBe(64);
    expect(res.data?.content).toMatch(/Manage Channels/);
    expect(res.data?.content).toMatch(/Nothing was changed/);
    expect(await env.SETTINGS.get(`settings:discord:${world.channelId}`)).toBeNull();
  });

  it("shows the channel's settings and resets them to the defaults", async () => {
    const world = await discordWorld();
    await settingsCommand(world, "set", {
      permissions: MANAGE_CHANNELS,
      options: [
        { name: "effort", type: 3, value: "high" },
        { name: "model", type: 3, value: "openai/o4-mini" },
      ],
    });
    const shown = await settingsCommand(world, "show");
    expect(shown.data?.flags).toBe(64);
    expect(shown.data?.content).toMatch(/`model`: `openai\/o4-mini`(?! \(default\))/);
    expect(shown.data?.content).toMatch(/`effort`: `high`/);

    const reset = await settingsCommand(world, "reset", { permissions: MANAGE_CHANNELS });
    expect(reset.data?.content).toMatch(/defaults/);
    expect(await env.SETTINGS.get(`settings:discord:${world.channelId}`)).toBeNull();
    const after = await settingsCommand(world, "show");
    expect(after.data?.content).toMatch(/`model`: `openai\/o4-mini-deep-research` \(default\)/);
  });

  it("autocompletes `model` with at most 25 catalog models matching what was typed", async () => {
    const world = await discordWorld();
    for (let i = 0; i < 30; i++) {
      world.openrouter.models.push(textModelEntry(`vendor/model-${i}`, `Vendor Model ${i}`));
    }
    const complete = (typed: string) =>
      settingsCommand(world, "set", {
        type: 4,
        options: [{ name: "model", type: 3, value: typed, focused: true }],
      });

    const many = await complete("vendor/");
    expect(many.type).toBe(8);
    expect(many.data?.choices).toHaveLength(25);
    for (const c of many.data?.choices ?? []) expect(c.value).toMatch(/^vendor\/model-\d+$/);

    const few = await complete("o4-mini");
    expect(few.data?.choices?.map((c) => c.value)).toEqual([
      "openai/o4-mini-deep-research",
      "openai/o4-mini",
    ]);
    expect(world.openrouter.requests.filter((r) => r.path.endsWith("/models"))).toHaveLength(1);
  });
});
