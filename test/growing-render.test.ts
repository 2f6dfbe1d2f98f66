import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { discordRenderer, renderDiscord } from "../adapters/discord/format.ts";
import { renderSlack, slackRenderer } from "../adapters/slack/format.ts";

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

const growth = fc.array(
  fc.oneof(
    { weight: 19, arbitrary: fc.array(fc.constantFrom(...PIECES), { minLength: 1, maxLength: 3 }) },
    { weight: 1, arbitrary: fc.double({ min: 0, max: 1, noNaN: true }) },
  ),
  { minLength: 1, maxLength: 80 },
);

/** Every text along the way of a growing (now and then cut back) answer. */
function texts(steps: (string[] | number)[]): string[] {
  let text = "";
  return steps.map((step) => {
    text =
      typeof step === "number"
        ? text.slice(0, Math.floor(step * text.length))
        : text + step.join("");
    return text;
  });
}

describe("renderers for a growing answer", () => {
  it("Slack: renders each version exactly as renderSlack does", () => {
    fc.assert(
      fc.property(growth, (steps) => {
        const render = slackRenderer();
        for (const text of texts(steps)) expect(render(text)).toBe(renderSlack(text));
      }),
      { numRuns: 300 },
    );
  });

  it("Discord: renders each version exactly as renderDiscord does", () => {
    fc.assert(
      fc.property(growth, (steps) => {
        const render = discordRenderer();
        for (const text of texts(steps)) expect(render(text)).toBe(renderDiscord(text));
      }),
      { numRuns: 300 },
    );
  });
});
