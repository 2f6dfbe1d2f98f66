/**
 * Properties of the platform parsers: any input is either read or refused with a 4xx
 * (`BadRequestError`); nothing else is ever thrown. Inputs are random, and real payloads
 * with fields deleted or replaced by any JSON value. Reproducible: a fixed seed.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseInteraction } from "../adapters/discord/parse-interaction.ts";
import { mayAskBot, messageCreateToQuestion } from "../adapters/discord/parse-message.ts";
import {
  parseSlackRequest,
  slackCommandToQuestion,
  slackEventToQuestion,
} from "../adapters/slack/parse.ts";
import { BadRequestError } from "../src/errors.ts";
import { askInteraction, componentInteraction, messageCreate } from "./support/discord-payloads.ts";
import {
  agentSessionStoppedEvent,
  blockActionsBody,
  commandBody,
  eventEnvelope,
  mentionEvent,
  messageEvent,
} from "./support/slack-requests.ts";

const SEED = 1_234_567;
const runs = (numRuns: number) => ({ seed: SEED, numRuns });

/** Runs `read`; a throw must be a `BadRequestError` with a 4xx status. Returns what it read. */
function readOrRefuse<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch (err) {
    expect(err, String(err)).toBeInstanceOf(BadRequestError);
    const status = (err as BadRequestError).status;
    expect(status >= 400 && status < 500).toBe(true);
    return undefined;
  }
}

type Json = unknown;

/** Every path to a value in `value`, parents first. */
function paths(value: Json, prefix: (string | number)[] = []): (string | number)[][] {
  if (typeof value !== "object" || value === null) return [prefix];
  const keys: (string | number)[] = Array.isArray(value)
    ? value.map((_, i) => i)
    : Object.keys(value);
  return [
    prefix,
    ...keys.flatMap((k) => paths((value as Record<string, Json>)[k], [...prefix, k])),
  ];
}

function setAt(root: Json, path: (string | number)[], replacement: Json | undefined): Json {
  if (path.length === 0) return replacement;
  const copy = structuredClone(root) as Record<string | number, Json>;
  let holder = copy;
  for (const key of path.slice(0, -1)) holder = holder[key] as Record<string | number, Json>;
  const last = path.at(-1) as string | number;
  if (replacement === undefined) delete holder[last];
  else holder[last] = replacement;
  return copy;
}

/** `base` with one to three of its fields deleted or replaced by any JSON value. */
function mutated(base: Json): fc.Arbitrary<Json> {
  const all = paths(base);
  const edit = fc.tuple(
    fc.nat({ max: all.length - 1 }),
    fc.option(fc.jsonValue({ maxDepth: 2 }), { nil: undefined }),
  );
  return fc.array(edit, { minLength: 1, maxLength: 3 }).map((edits) =>
    edits.reduce<Json>((doc, [i, value]) => {
      const live = paths(doc);
      return setAt(doc, live[i % live.length] ?? [], value);
    }, base),
  );
}

const SLACK_JSON = "application/json";
const SLACK_FORM = "application/x-www-form-urlencoded";
const slackEvents = [
  eventEnvelope(mentionEvent("C0P", "1.1", "what is new?")),
  eventEnvelope(messageEvent("C0P", "1.2", "follow", { thread_ts: "1.1" })),
  eventEnvelope(messageEvent("D0P", "1.3", "dm", { channel_type: "im", files: [{ id: "F1" }] })),
  eventEnvelope(agentSessionStoppedEvent("C0P", "1.1", "U0ANA")),
  JSON.stringify({ type: "url_verification", challenge: "c" }),
].map((s) => JSON.parse(s) as Json);
const blockActions = new URLSearchParams(
  blockActionsBody({
    user: "U0ANA",
    channel: "C0P",
    messageTs: "1.5",
    threadTs: "1.1",
    button: { action_id: "stop", value: "x" },
    responseUrl: "https://hooks.slack.test/x",
  }),
).get("payload") as string;

/** What the route does with a parsed request, short of calling out: must not throw either. */
function followSlack(inbound: ReturnType<typeof parseSlackRequest>): void {
  if (inbound.kind === "event") slackEventToQuestion(inbound);
  if (inbound.kind === "command") slackCommandToQuestion(inbound, "1.9");
}

describe("the Slack parser", () => {
  it("reads or refuses any body under any content type", () => {
    const type = fc.oneof(
      fc.constantFrom(SLACK_JSON, SLACK_FORM, `${SLACK_JSON}; charset=utf-8`, "", "text/plain"),
      fc.string({ maxLength: 20 }),
    );
    fc.assert(
      fc.property(type, fc.string({ maxLength: 300 }), (t, body) => {
        const inbound = readOrRefuse(() => parseSlackRequest(t, body));
        if (inbound) followSlack(inbound);
      }),
      runs(500),
    );
  });

  it("reads or refuses real events with fields deleted or replaced by anything", () => {
    const doc = fc.constantFrom(...slackEvents).chain(mutated);
    fc.assert(
      fc.property(doc, (d) => {
        const inbound = readOrRefuse(() => parseSlackRequest(SLACK_JSON, JSON.stringify(d) ?? ""));
        if (inbound) followSlack(inbound);
      }),
      runs(500),
    );
  });

  it("reads or refuses slash commands and interaction payloads with fields changed", () => {
    const command = Object.fromEntries(new URLSearchParams(commandBody("/ask", "q")));
    const form = fc.oneof(
      fc
        .dictionary(fc.constantFrom(...Object.keys(command)), fc.string(), { maxKeys: 12 })
        .map((over) => new URLSearchParams({ ...command, ...over }).toString()),
      mutated(JSON.parse(blockActions) as Json).map((p) =>
        new URLSearchParams({ payload: JSON.stringify(p) ?? "" }).toString(),
      ),
    );
    fc.assert(
      fc.property(form, (body) => {
        const inbound = readOrRefuse(() => parseSlackRequest(SLACK_FORM, body));
        if (inbound) followSlack(inbound);
      }),
      runs(400),
    );
  });
});

describe("the Discord interaction parser", () => {
  it("reads or refuses any body", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 300 }),
          fc.jsonValue().map((j) => JSON.stringify(j) ?? ""),
        ),
        (body) => {
          readOrRefuse(() => parseInteraction(body));
        },
      ),
      runs(500),
    );
  });

  it("reads or refuses real interactions with fields deleted or replaced by anything", () => {
    const bases = [
      askInteraction("what is new?"),
      askInteraction("in a DM", { guild: false }),
      askInteraction("autocomplete", { type: 4 }),
      {
        ...askInteraction("settings"),
        data: {
          name: "settings",
          options: [{ name: "set", type: 1, options: [{ name: "model", type: 3, value: "x" }] }],
        },
      },
      componentInteraction("stop:1:2:3:4", { channelId: "1", messageId: "2" }),
      { id: "1", application_id: "1", type: 1, token: "t" },
    ] as Json[];
    fc.assert(
      fc.property(fc.constantFrom(...bases).chain(mutated), (doc) => {
        readOrRefuse(() => parseInteraction(JSON.stringify(doc) ?? ""));
      }),
      runs(600),
    );
  });
});

describe("the Discord message parser", () => {
  const id = fc.oneof(
    fc.bigInt({ min: 1n, max: 2n ** 63n }).map(String),
    fc.constantFrom("1100000000000000001", "(", "[0", "1+", "*", "\\"),
  );
  const user = fc.record({
    id,
    username: fc.string(),
    bot: fc.option(fc.boolean(), { nil: undefined }),
  });
  const message = fc
    .record({
      bot: id,
      content: fc.oneof(
        fc.string(),
        fc.constantFrom("<@1100000000000000001> hi", "<@!(> x", "<@&7>"),
      ),
      author: user,
      mentions: fc.array(user, { maxLength: 3 }),
      mention_roles: fc.array(id, { maxLength: 2 }),
      guild: fc.boolean(),
      channel_type: fc.option(fc.constantFrom(0, 1, 5, 10, 11, 12, 15), { nil: undefined }),
      type: fc.constantFrom(0, 19, 7),
      reply: fc.option(
        fc.record({ message_id: id, type: fc.option(fc.constantFrom(0, 1), { nil: undefined }) }),
        { nil: undefined },
      ),
      attachments: fc.nat({ max: 2 }),
    })
    .map((m) => ({
      bot: m.bot,
      msg: messageCreate({
        content: m.content,
        author: { ...m.author, discriminator: "0", avatar: null, global_name: null },
        mentions: m.mentions.map((u) => ({
          ...u,
          discriminator: "0",
          avatar: null,
          global_name: null,
        })),
        mention_roles: m.mention_roles,
        ...(m.guild ? {} : { guild_id: undefined, member: undefined }),
        channel_type: m.channel_type,
        type: m.type,
        ...(m.reply ? { message_reference: m.reply } : {}),
        attachments: Array.from({ length: m.attachments }, (_, i) => ({
          id: String(i),
          filename: `f${i}.txt`,
          size: 1,
          url: `https://cdn.discordapp.com/attachments/1/${i}/f.txt`,
          proxy_url: `https://media.discordapp.net/attachments/1/${i}/f.txt`,
        })),
      } as never),
    }));

  it("turns any message into a question or nothing, whatever the ids hold", async () => {
    await fc.assert(
      fc.asyncProperty(message, fc.option(id, { nil: undefined }), async ({ bot, msg }, role) => {
        mayAskBot(msg, bot);
        const q = await messageCreateToQuestion(msg, {
          botUserId: bot,
          findConversation: async () => undefined,
          botRoleIn: async () => role,
          threadParentOf: async () => undefined,
        });
        if (q) expect(q.user.id).toBe(msg.author.id);
      }),
      runs(400),
    );
  });
});
