/**
 * The few Discord enum values Quarry uses. `discord-api-types` ships its enums as CommonJS,
 * and inside workerd (Vitest pool) its ESM wrapper re-exports them as `undefined`, so we
 * import only its types and keep these values here, checked against those types.
 */
import type {
  ApplicationCommandOptionType,
  ApplicationCommandType,
  ApplicationIntegrationType,
  ButtonStyle,
  ChannelType,
  ComponentType,
  InteractionContextType,
  InteractionResponseType,
  InteractionType,
  MessageFlags,
  MessageReferenceType,
  MessageType,
} from "discord-api-types/v10";

export const INTERACTION = {
  Ping: 1,
  ApplicationCommand: 2,
  MessageComponent: 3,
  ApplicationCommandAutocomplete: 4,
} as const satisfies Partial<typeof InteractionType>;

export const RESPONSE = {
  Pong: 1,
  ChannelMessageWithSource: 4,
  DeferredChannelMessageWithSource: 5,
  /** Acknowledges a component click without changing its message. */
  DeferredMessageUpdate: 6,
  UpdateMessage: 7,
  ApplicationCommandAutocompleteResult: 8,
} as const satisfies Partial<typeof InteractionResponseType>;

export const COMMAND_TYPE = { ChatInput: 1 } as const satisfies Partial<
  typeof ApplicationCommandType
>;

export const OPTION = {
  Subcommand: 1,
  String: 3,
  Integer: 4,
  Number: 10,
} as const satisfies Partial<typeof ApplicationCommandOptionType>;

export const COMPONENT = { ActionRow: 1, Button: 2 } as const satisfies Partial<
  typeof ComponentType
>;

export const BUTTON_STYLE = { Danger: 4 } as const satisfies Partial<typeof ButtonStyle>;

export const CONTEXT = { Guild: 0, BotDM: 1 } as const satisfies Partial<
  typeof InteractionContextType
>;

export const INTEGRATION = { GuildInstall: 0 } as const satisfies Partial<
  typeof ApplicationIntegrationType
>;

export const FLAGS = {
  SuppressEmbeds: 4,
  Ephemeral: 64,
  Loading: 128,
} as const satisfies Partial<typeof MessageFlags>;

export const MESSAGE_TYPE = {
  Default: 0,
  Reply: 19,
  ChatInputCommand: 20,
  ThreadStarterMessage: 21,
} as const satisfies Partial<typeof MessageType>;

export const REFERENCE_TYPE = { Default: 0 } as const satisfies Partial<
  typeof MessageReferenceType
>;

/** Channel types that are threads: their settings belong to the parent channel. */
export const THREAD_CHANNEL_TYPES: ReadonlySet<number> = new Set([
  10, // AnnouncementThread
  11, // PublicThread
  12, // PrivateThread
] satisfies ChannelType[]);

/** Permission bits (a decimal string of a bigint on the wire). */
export const PERMISSION = {
  Administrator: 1n << 3n,
  ManageChannels: 1n << 4n,
} as const;

/** Every message Quarry sends: no `@everyone`, role or user pings, whatever the text says. */
export const NO_MENTIONS: { parse: [] } = { parse: [] };
