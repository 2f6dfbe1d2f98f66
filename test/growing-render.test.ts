import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { discordRenderer, renderDiscord } from "../adapters/discord/format.ts";
import { renderSlack, slackRenderer } from "../adapters/slack/format.ts";
import { growth, texts } from "./support/growing-answer.ts";

/** Pieces that build mentions, tables, headings, code and blank lines across edits. */
const PIECES = [
  "<!here>",
  "<!chan",
  "nel>",
  "<@U123|ana>",
  "&lt;!everyone&gt;",
  "@here",
  "@every",
  "one",
  "<@12345>",
  "<#C1|general>",
  "| a | b |",
  "|---|---|",
  "| [x](https://e.com) | **y** |",
  "#### Small heading",
  "```",
  "````",
  "~~~",
  "\\`@here`",
  "@@channel",
  "`@here`",
  "\n",
  "\n\n",
  "\r\n",
  "  ",
  "- ",
  "> ",
  "text ",
  "😀",
];

const growing = growth(PIECES, { perStep: 3, steps: 80 });

describe("renderers for a growing answer", () => {
  it("Slack: renders each version exactly as renderSlack does", () => {
    fc.assert(
      fc.property(growing, (steps) => {
        const render = slackRenderer();
        for (const text of texts(steps)) expect(render(text)).toBe(renderSlack(text));
      }),
      { numRuns: 300 },
    );
  });

  it("Discord: renders each version exactly as renderDiscord does", () => {
    fc.assert(
      fc.property(growing, (steps) => {
        const render = discordRenderer();
        for (const text of texts(steps)) expect(render(text)).toBe(renderDiscord(text));
      }),
      { numRuns: 300 },
    );
  });
});
