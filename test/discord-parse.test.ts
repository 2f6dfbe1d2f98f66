import type { APIUser } from "discord-api-types/v10";
import { describe, expect, it } from "vitest";
import { discordDelivery, discordDeliveryOf } from "../adapters/discord/delivery.ts";
import { parseInteraction } from "../adapters/discord/parse-interaction.ts";
import {
  botRoleLookup,
  type MessageContext,
  messageCreateToQuestion,
} from "../adapters/discord/parse-message.ts";
import type { ThreadRef } from "../src/chat/types.ts";
import { BadRequestError } from "../src/errors.ts";
import {
  APP_ID,
  alice,
  askInteraction,
  botUser,
  CHANNEL_ID,
  GUILD_ID,
  interaction,
  messageCreate,
  THREAD_ID,
} from "./support/discord-payloads.ts";

const NOW = 1_790_000_000_000;
const parse = (body: unknown) => parseInteraction(JSON.stringify(body), NOW);

describe("parseInteraction", () => {
  it("recognises PING", () => {
    expect(parse({ id: "1", application_id: APP_ID, type: 1, token: "t", version: 1 })).toEqual({
      kind: "ping",
    });
  });

  it("turns /ask in a channel into a command question with its own conversation and delivery details", () => {
    const parsed = parse(
      askInteraction("What is <@2000000000000000001> up to?", { nick: "Ally", permissions: "16" }),
    );
    expect(parsed.kind).toBe("ask");
    if (parsed.kind !== "ask") return;
    expect(parsed.question).toEqual({
      id: "discord:interaction:3000000000000000001",
      thread: {
        platform: "discord",
        workspaceId: GUILD_ID,
        channelId: CHANNEL_ID,
        threadId: "interaction:3000000000000000001",
      },
      text: "What is @user up to?",
      trigger: "command",
      user: { id: alice.id, name: "Ally" },
      receivedAt: NOW,
      delivery: discordDelivery({
        interactionToken: "aW50ZXJhY3Rpb246MzAwMDAwMDAwMDAwMDAwMDAwMTp0b2tlbg",
        applicationId: APP_ID,
        interactionExpiresAt: String(NOW + 15 * 60_000),
        channelId: CHANNEL_ID,
      }),
    });
    expect(parsed.permissions).toBe("16");
  });

  it("puts /ask used in a thread into the thread's conversation under the parent channel's settings", () => {
    const parsed = parse(
      askInteraction("why?", { channel: { id: THREAD_ID, type: 11, parent_id: CHANNEL_ID } }),
    );
    if (parsed.kind !== "ask") throw new Error(parsed.kind);
    expect(parsed.question.thread).toEqual({
      platform: "discord",
      workspaceId: GUILD_ID,
      channelId: CHANNEL_ID,
      threadId: THREAD_ID,
    });
    expect(parsed.question.delivery).toMatchObject({ channelId: THREAD_ID, inThread: "1" });
  });

  it("accepts /ask in a DM, with an empty workspace and the user's display name", () => {
    const parsed = parse(askInteraction("hi", { guild: false }));
    if (parsed.kind !== "ask") throw new Error(parsed.kind);
    expect(parsed.question.thread.workspaceId).toBe("");
    expect(parsed.question.user).toEqual({ id: alice.id, name: "Alice" });
  });

  it("rejects /ask with a blank question", () => {
    expect(() => parse(askInteraction("   "))).toThrow(BadRequestError);
  });

  it("reads /settings set options as strings keyed by setting", () => {
    const body = interaction({
      name: "settings",
      permissions: "16",
      options: [
        {
          name: "set",
          type: 1,
          options: [
            { name: "model", type: 3, value: "openai/o4-mini" },
            { name: "max_tokens", type: 4, value: 2000 },
            { name: "temperature", type: 10, value: 0.5 },
          ],
        },
      ],
    });
    expect(parse(body)).toEqual({
      kind: "settings",
      action: {
        kind: "set",
        values: { model: "openai/o4-mini", max_tokens: "2000", temperature: "0.5" },
      },
      channelId: CHANNEL_ID,
      guildId: GUILD_ID,
      userId: alice.id,
      canChange: true,
    });
  });

  it("lets Manage Channels and Administrator change settings, and leaves DMs to DM_SETTINGS", () => {
    const show = (init: Parameters<typeof interaction>[0]) =>
      parse(interaction({ name: "settings", options: [{ name: "show", type: 1 }], ...init }));
    expect(show({ permissions: String(1 << 4) })).toMatchObject({
      action: { kind: "show" },
      canChange: true,
    });
    expect(show({ permissions: String(1 << 3) })).toMatchObject({ canChange: true });
    expect(show({ permissions: String((1 << 11) | (1 << 10)) })).toMatchObject({
      canChange: false,
    });
    // A DM has no server, so no admins: the settings command applies the operator's policy.
    expect(show({ guild: false })).toMatchObject({
      canChange: { dm: true, admin: false },
      guildId: "",
    });
  });

  it("applies /settings in a thread to the parent channel", () => {
    const body = interaction({
      name: "settings",
      options: [{ name: "reset", type: 1 }],
      channel: { id: THREAD_ID, type: 11, parent_id: CHANNEL_ID },
    });
    expect(parse(body)).toMatchObject({ action: { kind: "reset" }, channelId: CHANNEL_ID });
  });

  it("finds the focused option of an autocomplete inside its subcommand", () => {
    const body = interaction({
      type: 4,
      name: "settings",
      options: [
        {
          name: "set",
          type: 1,
          options: [{ name: "model", type: 3, value: "claude", focused: true }],
        },
      ],
    });
    expect(parse(body)).toEqual({
      kind: "autocomplete",
      command: "settings",
      option: "model",
      value: "claude",
    });
  });

  it("rejects unknown commands, unknown subcommands and unhandled interaction types", () => {
    expect(() => parse(interaction({ name: "dance" }))).toThrow(/unknown command/);
    expect(() =>
      parse(interaction({ name: "settings", options: [{ name: "nuke", type: 1 }] })),
    ).toThrow(BadRequestError);
    // Type 5 is a modal submit: Quarry opens no modals.
    expect(() => parse({ ...interaction(), type: 5 })).toThrow(/unhandled interaction type 5/);
    // A component click whose custom_id is no Stop of Quarry's.
    expect(() => parse({ ...interaction(), type: 3 })).toThrow(/unknown component/);
  });

  it("rejects malformed bodies with a 400", () => {
    for (const body of [
      "not json",
      JSON.stringify({ type: 2 }),
      JSON.stringify({ ...interaction(), member: { permissions: "lots" } }),
    ]) {
      try {
        parseInteraction(body, NOW);
        throw new Error("accepted");
      } catch (err) {
        expect(err).toBeInstanceOf(BadRequestError);
        expect((err as BadRequestError).status).toBe(400);
      }
    }
  });
});

/** A `findConversation` backed by a plain map, recording what it was asked. */
function context(known: Record<string, ThreadRef> = {}, parents: Record<string, string> = {}) {
  const asked: string[] = [];
  const ctx: MessageContext = {
    botUserId: APP_ID,
    now: () => NOW,
    async findConversation(id) {
      asked.push(id);
      return known[id];
    },
    async threadParentOf(id) {
      return parents[id];
    },
  };
  return { ctx, asked };
}

const answerThread: ThreadRef = {
  platform: "discord",
  workspaceId: GUILD_ID,
  channelId: CHANNEL_ID,
  threadId: "5000000000000000000",
};
const mentionOfBot: APIUser[] = [botUser];

describe("messageCreateToQuestion", () => {
  it("answers a mention as a new conversation rooted at the message, without the mention in the text", async () => {
    const { ctx } = context();
    const q = await messageCreateToQuestion(
      messageCreate({ content: `<@${APP_ID}> what is new in <#42>?`, mentions: mentionOfBot }),
      ctx,
    );
    expect(q).toEqual({
      id: "discord:message:5000000000000000001",
      thread: {
        platform: "discord",
        workspaceId: GUILD_ID,
        channelId: CHANNEL_ID,
        threadId: "5000000000000000001",
      },
      text: "what is new in #channel?",
      trigger: "mention",
      user: { id: alice.id, name: "Alice" },
      messageId: "5000000000000000001",
      receivedAt: NOW,
      delivery: discordDelivery({ channelId: CHANNEL_ID, replyTo: "5000000000000000001" }),
    });
  });

  it("treats the <@!id> nickname form in the content as a mention even without mentions[]", async () => {
    const q = await messageCreateToQuestion(
      messageCreate({ content: `<@!${APP_ID}> hi` }),
      context().ctx,
    );
    expect(q?.trigger).toBe("mention");
    expect(q?.text).toBe("hi");
  });

  it("ignores messages that neither mention the bot nor continue one of its conversations", async () => {
    expect(
      await messageCreateToQuestion(messageCreate({ content: "just chatting" }), context().ctx),
    ).toBeNull();
  });

  it("ignores bots, itself, webhooks and system messages", async () => {
    const { ctx } = context();
    const mention = { content: `<@${APP_ID}> hi`, mentions: mentionOfBot };
    const otherBot = { ...alice, id: "2100000000000000001", bot: true };
    expect(
      await messageCreateToQuestion(messageCreate({ ...mention, author: otherBot }), ctx),
    ).toBeNull();
    expect(
      await messageCreateToQuestion(
        messageCreate({ ...mention, author: { ...botUser, bot: undefined } }),
        ctx,
      ),
    ).toBeNull();
    expect(
      await messageCreateToQuestion(messageCreate({ ...mention, webhook_id: "77" }), ctx),
    ).toBeNull();
    expect(await messageCreateToQuestion(messageCreate({ ...mention, type: 7 }), ctx)).toBeNull();
  });

  it("continues the conversation of a bot answer that the message replies to", async () => {
    const { ctx } = context({ "5000000000000000009": answerThread });
    const q = await messageCreateToQuestion(
      messageCreate({
        type: 19,
        content: "and then?",
        message_reference: { message_id: "5000000000000000009", channel_id: CHANNEL_ID },
      }),
      ctx,
    );
    expect(q?.trigger).toBe("mention");
    expect(q?.thread).toEqual(answerThread);
    expect(q?.delivery).toEqual({ channelId: CHANNEL_ID, replyTo: "5000000000000000001" });
  });

  it("answers a reply to a bot message it no longer remembers, rooted at that message", async () => {
    const q = await messageCreateToQuestion(
      messageCreate({
        type: 19,
        content: "more please",
        message_reference: { message_id: "5000000000000000007", channel_id: CHANNEL_ID },
        referenced_message: { ...messageCreate({ id: "5000000000000000007", author: botUser }) },
      }),
      context().ctx,
    );
    expect(q?.trigger).toBe("mention");
    expect(q?.thread.threadId).toBe("5000000000000000007");
  });

  it("does not look up replies to other people's messages", async () => {
    const { ctx, asked } = context();
    const q = await messageCreateToQuestion(
      messageCreate({
        type: 19,
        content: "agreed",
        message_reference: { message_id: "5000000000000000005", channel_id: CHANNEL_ID },
        referenced_message: messageCreate({ id: "5000000000000000005" }),
      }),
      ctx,
    );
    expect(q).toBeNull();
    expect(asked).not.toContain("5000000000000000005");
  });

  it("takes a message in a thread started from an answer as a follow-up of that answer's conversation", async () => {
    const { ctx } = context({ [THREAD_ID]: answerThread });
    const q = await messageCreateToQuestion(
      messageCreate({ channel_id: THREAD_ID, channel_type: 11, content: "why?" }),
      ctx,
    );
    expect(q?.trigger).toBe("followup");
    expect(q?.thread).toEqual(answerThread);
    expect(q?.delivery).toEqual({
      channelId: THREAD_ID,
      replyTo: "5000000000000000001",
      inThread: "1",
    });
  });

  it("roots a mention inside a thread at the thread, under the parent channel's settings", async () => {
    const { ctx } = context({}, { [THREAD_ID]: CHANNEL_ID });
    const q = await messageCreateToQuestion(
      messageCreate({
        channel_id: THREAD_ID,
        channel_type: 11,
        content: `<@${APP_ID}> summarise`,
        mentions: mentionOfBot,
      }),
      ctx,
    );
    expect(q?.thread).toEqual({
      platform: "discord",
      workspaceId: GUILD_ID,
      channelId: CHANNEL_ID,
      threadId: THREAD_ID,
    });
    expect(q && discordDeliveryOf(q).inThread).toBe("1");
  });

  it("does not look up plain text channels as threads", async () => {
    const { ctx, asked } = context();
    await messageCreateToQuestion(messageCreate({ content: "hello", channel_type: 0 }), ctx);
    expect(asked).toEqual([]);
  });

  it("answers any direct message, as a dm", async () => {
    const q = await messageCreateToQuestion(
      messageCreate({
        guild_id: undefined,
        member: undefined,
        channel_type: 1,
        content: "hello bot",
      }),
      context().ctx,
    );
    expect(q?.trigger).toBe("dm");
    expect(q?.thread).toEqual({
      platform: "discord",
      workspaceId: "",
      channelId: CHANNEL_ID,
      threadId: "5000000000000000001",
    });
  });

  it("takes a mention of the bot's own role as a mention of the bot, without the role in the text", async () => {
    const { ctx } = context();
    const roleLookups: string[] = [];
    ctx.botRoleIn = async (guild) => {
      roleLookups.push(guild);
      return "7000000000000000001";
    };
    const q = await messageCreateToQuestion(
      messageCreate({
        content: "<@&7000000000000000001> what changed in <@&7000000000000000002>?",
        mention_roles: ["7000000000000000001", "7000000000000000002"],
      }),
      ctx,
    );
    expect(q?.trigger).toBe("mention");
    expect(q?.text).toBe("what changed in @role?");
    expect(roleLookups).toEqual([GUILD_ID]);
  });

  it("ignores a mention of any other role, and looks roles up only when a message mentions one", async () => {
    const { ctx } = context();
    let lookups = 0;
    ctx.botRoleIn = async () => {
      lookups++;
      return "7000000000000000001";
    };
    const other = messageCreate({
      content: "<@&7000000000000000002> standup in 5",
      mention_roles: ["7000000000000000002"],
    });
    expect(await messageCreateToQuestion(other, ctx)).toBeNull();
    expect(await messageCreateToQuestion(messageCreate({ content: "hi all" }), ctx)).toBeNull();
    expect(lookups).toBe(1);
  });

  it("skips a bare mention with nothing to answer", async () => {
    expect(
      await messageCreateToQuestion(
        messageCreate({ content: `<@${APP_ID}>`, mentions: mentionOfBot }),
        context().ctx,
      ),
    ).toBeNull();
  });
});

describe("botRoleLookup", () => {
  const roles = [
    { id: GUILD_ID, name: "@everyone", managed: false },
    { id: "7000000000000000003", name: "Other bot", managed: true, tags: { bot_id: "99" } },
    { id: "7000000000000000001", name: "Quarry", managed: true, tags: { bot_id: APP_ID } },
  ];

  it("finds the role Discord made for this bot, asks once per server, and asks again after a failure", async () => {
    const asked: string[] = [];
    let fail = true;
    const lookup = botRoleLookup(
      {
        async getGuildRoles(guild) {
          asked.push(guild);
          if (fail) {
            fail = false;
            throw new Error("503");
          }
          return roles as never;
        },
      },
      APP_ID,
    );
    await expect(lookup(GUILD_ID)).rejects.toThrow("503");
    expect(await lookup(GUILD_ID)).toBe("7000000000000000001");
    expect(await lookup(GUILD_ID)).toBe("7000000000000000001");
    expect(asked).toEqual([GUILD_ID, GUILD_ID]);
  });
});
