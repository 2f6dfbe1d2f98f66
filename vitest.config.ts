import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

/** Node code (the Socket Mode bridge, the dev scripts) is tested in Node, never in workerd. */
const NODE_TESTS = "test/node/**/*.test.ts";

export default defineConfig({
  test: {
    projects: [
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              // Tests sign requests with these; fakes of the upstream APIs answer in-process.
              bindings: {
                OPENROUTER_API_KEY: "sk-or-test",
                SLACK_BOT_TOKEN: "xoxb-test",
                SLACK_SIGNING_SECRET: "8f742231b10e8888abcd99yyyzzz85a5",
                // Discord is on in tests. This public key's private half is unknown: tests that
                // sign interactions generate a key pair and pass its public key to the route.
                DISCORD_APPLICATION_ID: "1100000000000000001",
                DISCORD_BOT_TOKEN: "discord-bot-token-test",
                DISCORD_PUBLIC_KEY: "0".repeat(64),
                OPENROUTER_BASE_URL: "https://openrouter.test/api/v1",
                SLACK_API_URL: "https://slack.test/api",
                DISCORD_API_URL: "https://discord.test/api/v10",
                // Fakes answer at once; short watchdogs make the stall tests quick.
                FIRST_OUTPUT_TIMEOUT_SECONDS: "3",
                IDLE_TIMEOUT_SECONDS: "2",
              },
            },
          }),
        ],
        test: {
          name: "workers",
          include: ["test/**/*.test.ts"],
          exclude: [NODE_TESTS],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: "node",
          environment: "node",
          include: [NODE_TESTS],
          testTimeout: 20_000,
        },
      },
    ],
  },
});
