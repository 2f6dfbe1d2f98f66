import { describe, expect, it } from "vitest";
import {
  neutralizeSlackMentions,
  renderSlack,
  slackBlocksToPlain,
  slackTextToPlain,
  toPlainFallback,
} from "../adapters/slack/format.ts";

/** Anything Slack could turn into a notification: special, user or group mentions, or a typed @here. */
const PING = /<!|<@|&lt;!|&lt;@|(^|[^\w@])@(here|channel|everyone|group)\b/i;

describe("renderSlack", () => {
  it.each([
    "<!channel> the build is broken",
    "<!here|here> please look",
    "<!everyone> all hands",
    "<!subteam^S0ENG|@eng> review this",
    "ask <@U0ALICE> or <@W0BOB|bob>",
    "typed @channel and @here and @everyone and @Everyone",
    "entity-encoded &lt;!here&gt; and &lt;@U0ALICE&gt;",
    "(@here) and \n@channel at a line start",
  ])("leaves no mention that pings in %j", (markdown) => {
    const out = renderSlack(markdown);
    expect(out).not.toMatch(PING);
  });

  it("keeps the words readable", () => {
    expect(renderSlack("<!channel> hi <@W0BOB|bob>, <!subteam^S0ENG|@eng> and @here")).toBe(
      "@\u200Bchannel hi @\u200Bbob, @\u200Beng and @\u200Bhere",
    );
  });

  it("turns channel links into plain #names", () => {
    expect(renderSlack("see <#C0OPS|ops> and <#C0DEV>")).toBe("see #ops and #C0DEV");
  });

  it("shows a date token's fallback text", () => {
    expect(renderSlack("due <!date^1392734382^{date_short}|Feb 18, 2014>")).toBe(
      "due Feb 18, 2014",
    );
  });

  it("leaves e-mail addresses and ordinary markdown alone", () => {
    const markdown =
      "# Title\n\nWrite to ops@here.example or team@everyone.io.\n\n```ts\nconst x = a < b && c > d;\n```";
    expect(renderSlack(markdown)).toBe(markdown);
  });

  it("is idempotent", () => {
    const once = neutralizeSlackMentions("<!here> @channel <@U1>");
    expect(neutralizeSlackMentions(once)).toBe(once);
  });
});

describe("toPlainFallback", () => {
  it("gives one short plain line without markdown syntax", () => {
    const markdown =
      "## Summary\n\n**HTTP/3** runs over [QUIC](https://quicwg.org) and `UDP`.\n\n- fewer round trips";
    expect(toPlainFallback(markdown)).toBe(
      "Summary HTTP/3 runs over QUIC and UDP. - fewer round trips",
    );
  });

  it("cuts long answers at the limit with an ellipsis", () => {
    const out = toPlainFallback("word ".repeat(100), 50);
    expect(Array.from(out).length).toBeLessThanOrEqual(50);
    expect(out.endsWith("…")).toBe(true);
  });

  it("escapes mrkdwn control characters, so nothing in it pings", () => {
    const out = toPlainFallback("<!channel> a < b & c > d @everyone");
    expect(out).toBe("@\u200Bchannel a &lt; b &amp; c &gt; d @\u200Beveryone");
    expect(out).not.toMatch(PING);
  });
});

describe("slackTextToPlain", () => {
  it("resolves user mentions with the name map and keeps ids otherwise", () => {
    const names = new Map([["U0ALICE", "Alice"]]);
    expect(slackTextToPlain("<@U0ALICE> and <@U0BOB> and <@U0CAROL|carol>", names)).toBe(
      "@Alice and @U0BOB and @carol",
    );
    expect(slackTextToPlain("<@U0ALICE>", { U0ALICE: "Alice" })).toBe("@Alice");
  });

  it("shows links as label and URL", () => {
    expect(slackTextToPlain("see <https://example.com/a?b=1&amp;c=2|the spec>")).toBe(
      "see the spec (https://example.com/a?b=1&c=2)",
    );
    expect(slackTextToPlain("<https://example.com>")).toBe("https://example.com");
    expect(slackTextToPlain("<https://example.com|example.com>")).toBe("https://example.com");
    expect(slackTextToPlain("<mailto:a@b.io|a@b.io>")).toBe("a@b.io");
  });

  it("decodes entities after reading Slack's markup", () => {
    expect(slackTextToPlain("if a &lt; b &amp;&amp; c &gt; d")).toBe("if a < b && c > d");
    expect(slackTextToPlain("&lt;@U0ALICE&gt; is literal")).toBe("<@U0ALICE> is literal");
  });

  it("reads special mentions and channels", () => {
    expect(
      slackTextToPlain(
        "<!here> <!subteam^S0ENG|@eng> <#C0OPS|ops> <!date^1392734382^{date}|Feb 18>",
      ),
    ).toBe("@here @eng #ops Feb 18");
  });
});

describe("slackBlocksToPlain", () => {
  it("reads markdown blocks and the rich_text Slack makes of them", () => {
    const blocks = [
      {
        type: "rich_text",
        elements: [
          {
            type: "rich_text_section",
            elements: [
              { type: "text", text: "HTTP/3 uses " },
              { type: "text", text: "QUIC", style: { code: true } },
              { type: "text", text: "\n" },
            ],
          },
          {
            type: "rich_text_list",
            style: "ordered",
            indent: 0,
            elements: [
              { type: "rich_text_section", elements: [{ type: "text", text: "one" }] },
              {
                type: "rich_text_section",
                elements: [{ type: "link", url: "https://x.test", text: "two" }],
              },
            ],
          },
          { type: "rich_text_preformatted", elements: [{ type: "text", text: "curl --http3" }] },
          {
            type: "rich_text_quote",
            elements: [
              { type: "user", user_id: "U0ALICE" },
              { type: "text", text: " said so" },
            ],
          },
        ],
      },
      { type: "markdown", text: "**done**" },
    ];
    expect(slackBlocksToPlain(blocks, new Map([["U0ALICE", "Alice"]]))).toBe(
      "HTTP/3 uses `QUIC`\n\n1. one\n2. two (https://x.test)\n```\ncurl --http3\n```\n> @Alice said so\n\n**done**",
    );
  });

  it("gives nothing for a message without blocks", () => {
    expect(slackBlocksToPlain(undefined)).toBe("");
  });
});
