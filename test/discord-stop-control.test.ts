/**
 * The Discord side of Stop on its own: the button component, its `custom_id` (at most 100
 * characters, naming conversation and question), the bodies posts and edits send with and
 * without it, and the parse of a click with the presser's permissions.
 */
import { beforeEach, describe, expect, it, vi } from "vitest";
import { parseInteraction } from "../adapters/discord/parse-interaction.ts";
import {
  parseStopCustomId,
  stopComponents,
  stopCustomId,
} from "../adapters/discord/stop-control.ts";
import type { ChatAdapter } from "../src/chat/adapter.ts";
import type { Question, ThreadRef } from "../src/chat/types.ts";
import type { FakeDiscord } from "./fakes/discord-api.ts";
import {
  discordAdapterFor,
  fakeDiscordOn,
  mentionAsked,
  slashAsked,
  TestClock,
} from "./support/discord-adapter-fixture.ts";
import { alice, CHANNEL_ID, componentInteraction, GUILD_ID } from "./support/discord-payloads.ts";

const MAX_SNOWFLAKE = "18446744073709551615";
const START = 1_790_000_000_000;

describe("Discord Stop custom_id", () => {
  const cases: [string, ThreadRef, string][] = [
    [
      "an /ask in a channel",
      {
        platform: "discord",
        workspaceId: GUILD_ID,
        channelId: CHANNEL_ID,
        threadId: "interaction:3000000000000000001",
      },
      "discord:interaction:3000000000000000001",
    ],
    [
      "a mention answered as a reply chain",
      {
        platform: "discord",
        workspaceId: GUILD_ID,
        channelId: CHANNEL_ID,
        threadId: "5000000000000000001",
      },
      "discord:message:5000000000000000002",
    ],
    [
      "a DM, which has no guild",
      { platform: "discord", workspaceId: "", channelId: CHANNEL_ID, threadId: "5000000000000001" },
      "discord:message:5000000000000001",
    ],
    [
      "the longest ids Discord can have",
      {
        platform: "discord",
        workspaceId: MAX_SNOWFLAKE,
        channelId: MAX_SNOWFLAKE,
        threadId: `interaction:${MAX_SNOWFLAKE}`,
      },
      `discord:interaction:${MAX_SNOWFLAKE}`,
    ],
  ];

  for (const [what, thread, questionId] of cases) {
    it(`names the conversation and question of ${what} within 100 characters`, () => {
      const id = stopCustomId(thread, questionId);
      expect(id?.length).toBeLessThanOrEqual(100);
      expect(parseStopCustomId(id as string)).toEqual({ thread, questionId });
    });
  }

  it("makes no button for ids Quarry never makes, rather than a custom_id Discord would refuse", () => {
    vi.spyOn(console, "warn").mockImplementation(() => {});
    const thread = cases[0]?.[1] as ThreadRef;
    expect(stopComponents(thread, "slack:C1:1.2")).toBeUndefined();
    expect(stopComponents({ ...thread, channelId: "1".repeat(90) }, "discord:message:1")).toBe(
      undefined,
    );
    vi.restoreAllMocks();
  });

  it("reads no Stop from another custom_id", () => {
    for (const id of ["", "stop", "stop:1:2:3", "vote:1:2:3:m4", "stop:1:2:x3:m4", "stop:1:2:3:q4"])
      expect(parseStopCustomId(id)).toBeUndefined();
  });

  it("is one danger button in one action row", () => {
    const [thread, questionId] = [cases[0]?.[1] as ThreadRef, cases[0]?.[2] as string];
    expect(stopComponents(thread, questionId)).toEqual([
      {
        type: 1,
        components: [
          {
            type: 2,
            style: 4,
            label: "Stop",
            emoji: { name: "⏹️" },
            custom_id: stopCustomId(thread, questionId),
          },
        ],
      },
    ]);
  });
});

describe("parsing a Stop click", () => {
  const thread: ThreadRef = {
    platform: "discord",
    workspaceId: GUILD_ID,
    channelId: CHANNEL_ID,
    threadId: "interaction:3000000000000000001",
  };
  const customId = stopCustomId(thread, "discord:interaction:3000000000000000001") as string;
  const click = (init: { permissions?: string; guild?: boolean }) =>
    parseInteraction(
      JSON.stringify(
        componentInteraction(customId, { channelId: CHANNEL_ID, messageId: "6000", ...init }),
      ),
    );

  it("names the conversation, the question and who clicked", () => {
    expect(click({})).toEqual({
      kind: "stop",
      thread,
      questionId: "discord:interaction:3000000000000000001",
      userId: alice.id,
      mayChangeSettings: false,
    });
  });

  it("lets Manage Channels, Administrator and a DM change settings, and no other permission", () => {
    expect(click({ permissions: String(1 << 4) })).toMatchObject({ mayChangeSettings: true });
    expect(click({ permissions: String(1 << 3) })).toMatchObject({ mayChangeSettings: true });
    expect(click({ permissions: String((1 << 11) | (1 << 13)) })).toMatchObject({
      mayChangeSettings: false,
    });
    expect(click({ guild: false })).toMatchObject({ mayChangeSettings: true });
  });
});

describe("Discord adapter with controls", () => {
  let fake: FakeDiscord;
  let adapter: ChatAdapter;

  beforeEach(() => {
    const clock = new TestClock(START);
    fake = fakeDiscordOn(clock);
    adapter = discordAdapterFor(fake, clock);
  });

  const mention = (): Question => mentionAsked(fake, "why?", START);

  function ask(token: string): Question {
    fake.openInteraction(token, CHANNEL_ID);
    return slashAsked(fake, { token, text: "why?", receivedAt: START });
  }

  it("puts the Stop on a reply and removes it with an edit without controls (components: [])", async () => {
    const q = mention();
    const sent = await adapter.post(q, "⏳ researching", undefined, "k1", {
      stop: { questionId: q.id },
    });
    const posted = fake.calls("POST /channels").at(-1)?.body as Record<string, unknown>;
    expect(posted.components).toEqual(stopComponents(q.thread, q.id));
    expect(fake.buttons(sent.id)).toEqual([stopCustomId(q.thread, q.id)]);

    await adapter.edit(q, sent, "The answer.");
    expect(fake.calls("PATCH /channels").at(-1)?.body).toMatchObject({
      content: "The answer.",
      components: [],
    });
    expect(fake.buttons(sent.id)).toEqual([]);
  });

  it("puts the Stop on the deferred @original of an /ask and removes it through the webhook", async () => {
    const q = ask("token-stop-1");
    const sent = await adapter.post(q, "⏳ researching", undefined, "k1", {
      stop: { questionId: q.id },
    });
    expect(fake.buttons(sent.id)).toEqual([stopCustomId(q.thread, q.id)]);
    await adapter.edit(q, sent, "⏳ still researching", { stop: { questionId: q.id } });
    expect(fake.buttons(sent.id)).toHaveLength(1);
    await adapter.edit(q, sent, "The answer.");
    const edits = fake.calls("PATCH /webhooks");
    expect(edits.at(-1)?.body).toMatchObject({ components: [] });
    expect(fake.buttons(sent.id)).toEqual([]);
  });

  it("sends no components on a post without controls", async () => {
    const q = mention();
    await adapter.post(q, "An answer.");
    expect(fake.calls("POST /channels").at(-1)?.body).not.toHaveProperty("components");
  });
});
