/**
 * Properties of mention neutralisation: whatever the model writes, built from mention
 * fragments mixed with random text, zero-width and fullwidth characters, markup and code,
 * what Quarry posts holds no live broadcast, group, role or user mention. Reproducible:
 * a fixed seed; a failure prints the counterexample.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { neutralizeDiscordMentions, renderDiscord } from "../adapters/discord/format.ts";
import { neutralizeSlackMentions, renderSlack, toPlainFallback } from "../adapters/slack/format.ts";

const SEED = 8_675_309;
const runs = (numRuns: number) => ({ seed: SEED, numRuns });

/** Text made of `fragments` and random characters, in any order. */
const mixed = (fragments: string[]) =>
  fc
    .array(
      fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom(...fragments) },
        {
          weight: 2,
          arbitrary: fc.constantFrom(
            " ",
            "\n",
            "\u200b",
            "\u200d",
            "\ufeff",
            "＠",
            "ｈｅｒｅ",
            "é",
          ),
        },
        { weight: 2, arbitrary: fc.constantFrom("`", "```", "~~~", "**", "_", "\\", "|", "> ") },
        { weight: 1, arbitrary: fc.string({ maxLength: 6 }) },
      ),
      { maxLength: 40 },
    )
    .map((parts) => parts.join(""));

const SLACK_FRAGMENTS = [
  "<!here>",
  "<!channel>",
  "<!everyone>",
  "<!here|here>",
  "<!subteam^S0ENG|@eng>",
  "<!subteam^S0ENG>",
  "&lt;!channel&gt;",
  "<@U0ANA>",
  "<@W0BEN|ben>",
  "@here",
  "@channel",
  "@everyone",
  "<",
  ">",
  "!",
  "@",
  "&lt;",
  "&gt;",
  "&amp;",
  "^",
  "subteam",
  "here",
  "channel",
  "hereabouts",
  "**",
  "~~",
  "`",
  "[",
  "](https://x.test)",
  "# ",
];

/** A mention Slack would act on: `<!here>`, `<!subteam^…>`, `<@U…>` (entity-encoded too), or a typed `@here`. */
const SLACK_LIVE = [
  /(?:<|&lt;)!\s*(?:here|channel|everyone|subteam\^)[^>\n]*?(?:>|&gt;)/i,
  /(?:<|&lt;)@[UW][^>\n]*?(?:>|&gt;)/i,
  /(?:^|[^\w])@(?:here|channel|everyone|group)\b/i,
];

describe("Slack neutralisation", () => {
  it("leaves no live mention in a markdown block or the plain fallback", () => {
    fc.assert(
      fc.property(mixed(SLACK_FRAGMENTS), (text) => {
        for (const out of [
          renderSlack(text),
          toPlainFallback(text, 3000),
          toPlainFallback(text, 12),
        ])
          for (const live of SLACK_LIVE) expect(out).not.toMatch(live);
      }),
      runs(2000),
    );
  });

  it("leaves no live mention in a fallback where taking the markup out or cutting joined one", () => {
    for (const text of ["@**here**", "@`channel`", "@~~everyone~~", "@[here](https://x.test)"])
      expect(toPlainFallback(text)).not.toMatch(SLACK_LIVE[2] as RegExp);
    expect(toPlainFallback("see @hereabouts now", 11)).not.toMatch(SLACK_LIVE[2] as RegExp);
  });

  it("is idempotent: neutralising twice changes nothing more", () => {
    fc.assert(
      fc.property(mixed(SLACK_FRAGMENTS), (text) => {
        const once = neutralizeSlackMentions(text);
        expect(neutralizeSlackMentions(once)).toBe(once);
      }),
      runs(1000),
    );
  });
});

const DISCORD_FRAGMENTS = [
  "@everyone",
  "@here",
  "<@&1200000000000000009>",
  "<@1100000000000000001>",
  "<@!2000000000000000001>",
  "<@",
  "<@&",
  "&",
  "!",
  "1234",
  ">",
  "@",
  "everyone",
  "here",
  "````",
];

/**
 * The parts of a message Discord renders as text, read the way its markdown reads them:
 * a backslash escapes the next character, ```` ``` ```` opens a block anywhere (even mid
 * line) that the next ```` ``` ```` closes, and one or two backticks open an inline span
 * closed by as many on the same line. Deliberately simpler than Discord where in doubt:
 * it reads less as code, never more.
 */
function discordTextParts(s: string): string {
  let out = "";
  let i = 0;
  while (i < s.length) {
    if (s[i] === "\\") {
      out += "\u0000";
      i += 2;
      continue;
    }
    if (s.startsWith("```", i)) {
      const end = s.indexOf("```", i + 3);
      if (end >= 0) {
        out += "\u0000";
        i = end + 3;
        continue;
      }
    }
    if (s[i] === "`") {
      const run = s.startsWith("``", i) ? 2 : 1;
      const end = s.indexOf("`".repeat(run), i + run);
      if (end >= 0 && !s.slice(i, end).includes("\n")) {
        out += "\u0000";
        i = end + run;
        continue;
      }
    }
    out += s[i];
    i += 1;
  }
  return out;
}

/** A mention Discord would render live in text: `@everyone`, `@here`, `<@&id>`, `<@id>`, `<@!id>`. */
const DISCORD_LIVE = [/@(?:everyone|here)\b/, /<@[!&]?\d+>/];

describe("Discord neutralisation", () => {
  it("leaves no live mention in any part Discord renders as text", () => {
    fc.assert(
      fc.property(mixed(DISCORD_FRAGMENTS), (text) => {
        const text_ = discordTextParts(renderDiscord(text));
        for (const live of DISCORD_LIVE) expect(text_).not.toMatch(live);
      }),
      runs(2000),
    );
  });

  it("is idempotent: neutralising twice changes nothing more", () => {
    fc.assert(
      fc.property(mixed(DISCORD_FRAGMENTS), (text) => {
        const once = neutralizeDiscordMentions(text);
        expect(neutralizeDiscordMentions(once)).toBe(once);
      }),
      runs(1000),
    );
  });
});
