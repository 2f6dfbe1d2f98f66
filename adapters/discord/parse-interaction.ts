/**
 * Interaction payloads (already verified) → what Quarry does with them. Validated with
 * valibot: a payload that does not fit is a `BadRequestError` and causes no work.
 * https://discord.com/developers/docs/interactions/receiving-and-responding#interaction-object
 */
import * as v from "valibot";
import type { Question, ThreadRef } from "../../src/chat/types.ts";
import { BadRequestError } from "../../src/errors.ts";
import { describeIssue } from "../../src/http/schema-issue.ts";
import type { SettingsAccess } from "../../src/settings/settings-access.ts";
import { INTERACTION, OPTION, PERMISSION, THREAD_CHANNEL_TYPES } from "./constants.ts";
import { discordDelivery } from "./delivery.ts";
import { discordTextToPlain } from "./format.ts";
import { parseStopCustomId } from "./stop-control.ts";

/** An interaction token works for 15 minutes after Discord sends the interaction. */
export const INTERACTION_TOKEN_MS = 15 * 60_000;

/** Same shape as `SettingsAction` of the settings command. */
export type DiscordSettingsAction =
  | { kind: "show" }
  | { kind: "reset" }
  | { kind: "set"; values: Record<string, string> };

export type DiscordInteraction =
  | { kind: "ping" }
  | {
      kind: "ask";
      question: Question;
      interactionId: string;
      token: string;
      /** The member's permissions in the channel, a bigint as a decimal string ("" in a DM). */
      permissions: string;
    }
  | {
      kind: "settings";
      action: DiscordSettingsAction;
      /** The channel whose settings apply: the parent channel when used in a thread. */
      channelId: string;
      guildId: string;
      userId: string;
      /** Manage Channels or Administrator; in a DM with the bot, `DM_SETTINGS` decides. */
      canChange: SettingsAccess;
    }
  | { kind: "autocomplete"; command: string; option: string; value: string }
  | {
      /** A click on an answer's Stop button (a message component). */
      kind: "stop";
      thread: ThreadRef;
      questionId: string;
      userId: string;
      /** Manage Channels or Administrator, or a DM with the bot (whose one person is the asker). */
      mayChangeSettings: boolean;
    };

const str = v.string();
const optStr = v.optional(str);
const nonEmpty = v.pipe(v.string(), v.minLength(1));
// JSON numbers: never NaN, but `1e999` parses to Infinity, which no field of Discord's holds.
const num = v.pipe(v.number(), v.finite());
const int = v.pipe(v.number(), v.safeInteger());

const value = v.union([v.string(), num, v.boolean()]);
const leafOption = v.object({
  name: str,
  type: int,
  value: v.optional(value),
  focused: v.optional(v.boolean()),
});
const option = v.object({ ...leafOption.entries, options: v.optional(v.array(leafOption)) });
type Option = v.InferOutput<typeof leafOption> & { options?: Option[] };

const user = v.object({ id: str, username: str, global_name: v.nullish(str) });

const interaction = v.object({
  id: nonEmpty,
  application_id: nonEmpty,
  type: int,
  token: nonEmpty,
  guild_id: optStr,
  channel_id: optStr,
  channel: v.optional(v.object({ id: str, type: int, parent_id: v.nullish(str) })),
  member: v.optional(
    v.object({ user, nick: v.nullish(str), permissions: v.pipe(v.string(), v.regex(/^\d+$/)) }),
  ),
  user: v.optional(user),
  data: v.optional(
    v.object({
      /** Commands and autocomplete name their command; a component click has `custom_id`. */
      name: optStr,
      custom_id: optStr,
      options: v.optional(v.array(option)),
      resolved: v.optional(v.object({ users: v.optional(v.record(v.string(), user)) })),
    }),
  ),
});
type Interaction = v.InferOutput<typeof interaction>;

/** Parses a verified interaction body; throws `BadRequestError` for anything Quarry does not handle. */
export function parseInteraction(rawBody: string, now: number = Date.now()): DiscordInteraction {
  let json: unknown;
  try {
    json = JSON.parse(rawBody);
  } catch {
    throw new BadRequestError("interaction body is not JSON");
  }
  const parsed = v.safeParse(interaction, json);
  if (!parsed.success)
    throw new BadRequestError(`malformed interaction: ${describeIssue(parsed.issues[0])}`);
  const i = parsed.output;
  if (i.type === INTERACTION.Ping) return { kind: "ping" };
  if (!i.data) throw new BadRequestError("interaction without data");
  if (i.type === INTERACTION.ApplicationCommandAutocomplete) {
    const focused = findFocused(i.data.options ?? []);
    if (!focused) throw new BadRequestError("autocomplete without a focused option");
    return {
      kind: "autocomplete",
      command: i.data.name ?? "",
      option: focused.name,
      value: String(focused.value ?? ""),
    };
  }
  if (i.type === INTERACTION.MessageComponent) return parseStop(i);
  if (i.type !== INTERACTION.ApplicationCommand)
    throw new BadRequestError(`unhandled interaction type ${i.type}`);
  if (i.data.name === "ask") return parseAsk(i, now);
  if (i.data.name === "settings") return parseSettings(i);
  throw new BadRequestError(`unknown command /${i.data.name}`);
}

function parseAsk(i: Interaction, now: number): DiscordInteraction {
  const raw = i.data?.options?.find((o) => o.name === "question")?.value;
  const resolved = Object.values(i.data?.resolved?.users ?? {});
  const text = typeof raw === "string" ? discordTextToPlain(raw, resolved).trim() : "";
  if (!text) throw new BadRequestError("/ask needs a question");
  const where = place(i);
  const asker = i.member?.user ?? i.user;
  if (!asker) throw new BadRequestError("interaction without a user");
  const question: Question = {
    id: `discord:interaction:${i.id}`,
    thread: {
      platform: "discord",
      workspaceId: i.guild_id ?? "",
      channelId: where.settingsChannelId,
      threadId: where.inThread ? where.channelId : `interaction:${i.id}`,
    },
    text,
    trigger: "command",
    user: { id: asker.id, name: i.member?.nick || asker.global_name || asker.username },
    receivedAt: now,
    delivery: discordDelivery({
      interactionToken: i.token,
      applicationId: i.application_id,
      interactionExpiresAt: String(now + INTERACTION_TOKEN_MS),
      channelId: where.channelId,
      ...(where.inThread ? { inThread: "1" as const } : {}),
    }),
  };
  return {
    kind: "ask",
    question,
    interactionId: i.id,
    token: i.token,
    permissions: i.member?.permissions ?? "",
  };
}

function parseSettings(i: Interaction): DiscordInteraction {
  const sub = i.data?.options?.[0];
  if (!sub || sub.type !== OPTION.Subcommand)
    throw new BadRequestError("/settings needs a subcommand");
  let action: DiscordSettingsAction;
  if (sub.name === "show") action = { kind: "show" };
  else if (sub.name === "reset") action = { kind: "reset" };
  else if (sub.name === "set") {
    const values: Record<string, string> = {};
    for (const o of sub.options ?? []) if (o.value !== undefined) values[o.name] = String(o.value);
    action = { kind: "set", values };
  } else throw new BadRequestError(`unknown subcommand /settings ${sub.name}`);
  const asker = i.member?.user ?? i.user;
  if (!asker) throw new BadRequestError("interaction without a user");
  return {
    kind: "settings",
    action,
    channelId: place(i).settingsChannelId,
    guildId: i.guild_id ?? "",
    userId: asker.id,
    // A DM belongs to no server: nobody there has Manage Channels, or is an admin.
    canChange: i.guild_id ? canManage(i.member?.permissions ?? "0") : { dm: true, admin: false },
  };
}

function parseStop(i: Interaction): DiscordInteraction {
  const target = parseStopCustomId(i.data?.custom_id ?? "");
  if (!target) throw new BadRequestError(`unknown component ${i.data?.custom_id ?? "(none)"}`);
  const presser = i.member?.user ?? i.user;
  if (!presser) throw new BadRequestError("interaction without a user");
  return {
    kind: "stop",
    ...target,
    userId: presser.id,
    mayChangeSettings: !i.guild_id || canManage(i.member?.permissions ?? "0"),
  };
}

/** Where the command was used, and whose settings apply (a thread's parent channel). */
function place(i: Interaction): {
  channelId: string;
  settingsChannelId: string;
  inThread: boolean;
} {
  const channelId = i.channel?.id ?? i.channel_id;
  if (!channelId) throw new BadRequestError("interaction without a channel");
  const parent = i.channel?.parent_id;
  const inThread = !!i.channel && THREAD_CHANNEL_TYPES.has(i.channel.type) && !!parent;
  return { channelId, settingsChannelId: inThread && parent ? parent : channelId, inThread };
}

/** Manage Channels or Administrator in the channel where the command was used. */
export function canManage(permissions: string): boolean {
  const bits = BigInt(permissions || "0");
  return (bits & PERMISSION.ManageChannels) !== 0n || (bits & PERMISSION.Administrator) !== 0n;
}

function findFocused(options: Option[]): Option | undefined {
  for (const o of options) {
    if (o.focused) return o;
    const inner = findFocused(o.options ?? []);
    if (inner) return inner;
  }
  return undefined;
}
