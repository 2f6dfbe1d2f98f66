/**
 * One contract, both platforms: what the core relies on from every chat adapter
 * (verification, parsing, threads, splitting, mention safety) holds for Slack and Discord.
 */
import { adapterContract } from "./support/adapter-contract.ts";
import { discordHarness } from "./support/contract-harness-discord.ts";
import { slackHarness } from "./support/contract-harness-slack.ts";

adapterContract("Slack adapter", slackHarness);
// Workspaces without native streaming answer `unknown_method`: the same contract holds for post + edit.
adapterContract("Slack adapter without native streaming", (clock) =>
  slackHarness(clock, { nativeStreaming: "unknown_method" }),
);
adapterContract("Discord adapter", discordHarness);
