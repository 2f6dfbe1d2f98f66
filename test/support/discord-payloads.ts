/**
 * Interaction and MESSAGE_CREATE payloads shaped as Discord sends them (fields trimmed to
 * what a real payload always carries plus what the test varies).
 */
import type { APIUser, GatewayMessageCreateDispatchData } from "discord-api-types/v10";

export const APP_ID = "1100000000000000001";
export const GUILD_ID = "1200000000000000001";
export const CHANNEL_ID = "1300000000000000001";
export const THREAD_ID = "1300000000000000099";

export const alice: APIUser = {
  id: "2000000000000000001",
  username: "alice",
  global_name: "Alice",
  discriminator: "0",
  avatar: null,
};

export const botUser: APIUser = {
  id: APP_ID,
  username: "Quarry",
  global_name: null,
  discriminator: "0",
  avatar: null,
  bot: true,
};

type Option = {
  name: string;
  type: number;
  value?: string | number | boolean;
  focused?: boolean;
  options?: Option[];
};

export interface InteractionInit {
  id?: string;
  type?: number;
  name?: string;
  options?: Option[];
  guild?: boolean;
  /** Member permissions (decimal string). */
  permissions?: string;
  nick?: string;
  channel?: { id: string; type: number; parent_id?: string };
}

/** A slash-command (type 2) or autocomplete (type 4) interaction from `alice`. */
export function interaction(init: InteractionInit = {}): Record<string, unknown> {
  const guild = init.guild ?? true;
  const channel = init.channel ?? { id: CHANNEL_ID, type: guild ? 0 : 1 };
  return {
    id: init.id ?? "3000000000000000001",
    application_id: APP_ID,
    type: init.type ?? 2,
    token: "aW50ZXJhY3Rpb246MzAwMDAwMDAwMDAwMDAwMDAwMTp0b2tlbg",
    version: 1,
    locale: "en-US",
    app_permissions: "562949953421311",
    entitlements: [],
    authorizing_integration_owners: { "0": GUILD_ID },
    context: guild ? 0 : 1,
    channel_id: channel.id,
    channel: { ...channel, ...(guild ? { guild_id: GUILD_ID } : {}) },
    data: {
      id: "4000000000000000001",
      type: 1,
      name: init.name ?? "ask",
      options: init.options ?? [],
    },
    ...(guild
      ? {
          guild_id: GUILD_ID,
          guild_locale: "en-US",
          member: {
            user: alice,
            nick: init.nick ?? null,
            roles: [],
            joined_at: "2024-01-01T00:00:00.000000+00:00",
            deaf: false,
            mute: false,
            flags: 0,
            permissions: init.permissions ?? "0",
          },
        }
      : { user: alice }),
  };
}

/**
 * A click on a button (a message component interaction, type 3) with `customId` on the
 * bot's `message`, by `user` (alice by default) with `permissions` in a guild, or in a DM.
 */
export function componentInteraction(
  customId: string,
  init: {
    id?: string;
    channelId: string;
    messageId: string;
    user?: APIUser;
    permissions?: string;
    guild?: boolean;
  },
): Record<string, unknown> {
  const guild = init.guild ?? true;
  const user = init.user ?? alice;
  const id = init.id ?? "3000000000000000002";
  return {
    id,
    application_id: APP_ID,
    type: 3,
    token: `component-token-${id}`,
    version: 1,
    locale: "en-US",
    app_permissions: "562949953421311",
    entitlements: [],
    context: guild ? 0 : 1,
    channel_id: init.channelId,
    channel: { id: init.channelId, type: guild ? 0 : 1, ...(guild ? { guild_id: GUILD_ID } : {}) },
    message: {
      id: init.messageId,
      channel_id: init.channelId,
      author: botUser,
      content: "…",
      flags: 4,
      components: [],
    },
    data: { custom_id: customId, component_type: 2 },
    ...(guild
      ? {
          guild_id: GUILD_ID,
          guild_locale: "en-US",
          member: {
            user,
            nick: null,
            roles: [],
            joined_at: "2024-01-01T00:00:00.000000+00:00",
            deaf: false,
            mute: false,
            flags: 0,
            permissions: init.permissions ?? "0",
          },
        }
      : { user }),
  };
}

export const askInteraction = (question: string, init: InteractionInit = {}) =>
  interaction({ ...init, name: "ask", options: [{ name: "question", type: 3, value: question }] });

/** The fields every Discord message carries, as a plain text message without mentions or attachments has them. */
export function plainMessageFields() {
  return {
    edited_timestamp: null,
    tts: false,
    mention_everyone: false,
    mentions: [],
    mention_roles: [],
    attachments: [],
    embeds: [],
    pinned: false,
  };
}

/** A Gateway MESSAGE_CREATE from `alice` in a guild text channel. */
export function messageCreate(
  over: Partial<GatewayMessageCreateDispatchData> = {},
): GatewayMessageCreateDispatchData {
  return {
    id: "5000000000000000001",
    channel_id: CHANNEL_ID,
    guild_id: GUILD_ID,
    channel_type: 0,
    author: alice,
    member: {
      roles: [],
      joined_at: "2024-01-01T00:00:00.000000+00:00",
      deaf: false,
      mute: false,
      flags: 0,
    },
    content: "hello",
    timestamp: "2026-11-01T00:00:00.000000+00:00",
    ...plainMessageFields(),
    type: 0,
    flags: 0,
    ...over,
  } as GatewayMessageCreateDispatchData;
}
