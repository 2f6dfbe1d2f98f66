/**
 * The slash commands Quarry registers (`npm run register`). Option names of `/settings set`
 * are the channel setting keys of the design contract.
 * https://discord.com/developers/docs/interactions/application-commands#registering-a-command
 */
import type {
  RESTPostAPIChatInputApplicationCommandsJSONBody,
  RESTPutAPIApplicationCommandsJSONBody,
} from "discord-api-types/v10";
import { COMMAND_TYPE, CONTEXT, INTEGRATION, OPTION } from "./constants.ts";

const ask: RESTPostAPIChatInputApplicationCommandsJSONBody = {
  type: COMMAND_TYPE.ChatInput,
  name: "ask",
  description: "Ask a question; Quarry researches it and answers here",
  integration_types: [INTEGRATION.GuildInstall],
  contexts: [CONTEXT.Guild, CONTEXT.BotDM],
  options: [
    {
      type: OPTION.String,
      name: "question",
      description: "What you want researched",
      required: true,
      min_length: 1,
      max_length: 4000,
    },
  ],
};

const settings: RESTPostAPIChatInputApplicationCommandsJSONBody = {
  type: COMMAND_TYPE.ChatInput,
  name: "settings",
  description: "Show or change how Quarry answers in this channel",
  integration_types: [INTEGRATION.GuildInstall],
  contexts: [CONTEXT.Guild, CONTEXT.BotDM],
  // Everyone may look; changing needs Manage Channels, checked when the command runs.
  default_member_permissions: null,
  options: [
    { type: OPTION.Subcommand, name: "show", description: "Show this channel's settings" },
    {
      type: OPTION.Subcommand,
      name: "set",
      description: "Change one or more settings of this channel (needs Manage Channels)",
      options: [
        {
          type: OPTION.String,
          name: "model",
          description: "OpenRouter model id, e.g. openai/o4-mini-deep-research",
          autocomplete: true,
          max_length: 100,
        },
        {
          type: OPTION.String,
          name: "system",
          description: "System prompt for answers",
          max_length: 4000,
        },
        {
          type: OPTION.String,
          name: "effort",
          description: "Reasoning effort",
          choices: ["minimal", "low", "medium", "high"].map((e) => ({ name: e, value: e })),
        },
        { type: OPTION.Integer, name: "max_tokens", description: "Output token cap", min_value: 1 },
        {
          type: OPTION.Number,
          name: "temperature",
          description: "Sampling temperature",
          min_value: 0,
          max_value: 2,
        },
        {
          type: OPTION.String,
          name: "followups",
          description: "Answer thread follow-ups without a mention",
          choices: ["on", "off"].map((v) => ({ name: v, value: v })),
        },
        {
          // A string, not a number: `off` (no cap) and `default` (the operator's) are values too.
          type: OPTION.String,
          name: "daily_budget_usd",
          description:
            "USD per UTC day for this channel: 5 or 2.50; 0 = nothing; off = no cap; default",
          max_length: 16,
        },
        {
          type: OPTION.String,
          name: "streaming",
          description: "How answers stream on Slack (Discord always posts and edits)",
          choices: ["auto", "native", "edit"].map((v) => ({ name: v, value: v })),
        },
        {
          type: OPTION.String,
          name: "web_search",
          description: "Let a model that does not search on its own use OpenRouter's web search",
          choices: ["on", "off"].map((v) => ({ name: v, value: v })),
        },
      ],
    },
    {
      type: OPTION.Subcommand,
      name: "reset",
      description: "Restore this channel's default settings",
    },
  ],
};

/** Everything `PUT /applications/{id}/commands` should hold. */
export const COMMANDS: RESTPutAPIApplicationCommandsJSONBody = [ask, settings];
