import { describe, expect, it } from "vitest";
import { discordTextToPlain, renderDiscord } from "../adapters/discord/format.ts";

const ZWSP = "\u200b";

describe("renderDiscord", () => {
  it("leaves ordinary markdown as Discord renders it natively", () => {
    const md =
      "## Findings\n\n**Bold**, _italic_, `code` and [a link](https://example.com).\n\n- one\n- two";
    expect(renderDiscord(md)).toBe(md);
  });

  it("breaks @everyone and @here so they can neither ping nor highlight", () => {
    const out = renderDiscord("Hey @everyone and @here, look");
    expect(out).toBe(`Hey @${ZWSP}everyone and @${ZWSP}here, look`);
    expect(out).not.toMatch(/@(everyone|here)/);
  });

  it("breaks user, nickname and role mention syntax", () => {
    const out = renderDiscord("Ask <@123456789> or <@!987654321> or <@&555555555>");
    expect(out).toBe(`Ask <@${ZWSP}123456789> or <@${ZWSP}!987654321> or <@${ZWSP}&555555555>`);
    expect(out).not.toMatch(/<@[!&]?\d+>/);
  });

  it("keeps fenced code byte-for-byte, mentions and pipes included", () => {
    const code = "```ts\nconst a = '@everyone';\n| a | b |\n|---|---|\n```";
    expect(renderDiscord(`Before @here\n${code}\nAfter`)).toBe(
      `Before @${ZWSP}here\n${code}\nAfter`,
    );
  });

  it("makes mentions inert inside a tilde fence, which Discord shows as text, and after it", () => {
    const md = "~~~\n```\n@everyone\n~~~\n@everyone";
    expect(renderDiscord(md)).toBe(`~~~\n\`\`\`\n@${ZWSP}everyone\n~~~\n@${ZWSP}everyone`);
  });

  it("makes mentions inert where Discord reads no code: an unclosed or longer fence, an escaped backtick", () => {
    expect(renderDiscord("````@everyone")).toBe(`\`\`\`\`@${ZWSP}everyone`);
    expect(renderDiscord("```\n@here")).toBe(`\`\`\`\n@${ZWSP}here`);
    expect(renderDiscord("````\n```\n@here\n````")).toBe(
      `\`\`\`\`\n\`\`\`\n@${ZWSP}here\n\`\`\`\``,
    );
    expect(renderDiscord("\\`@everyone`")).toBe(`\\\`@${ZWSP}everyone\``);
  });

  it("leaves inline code untouched", () => {
    expect(renderDiscord("Type `@everyone` to ping, not @everyone")).toBe(
      `Type \`@everyone\` to ping, not @${ZWSP}everyone`,
    );
  });

  it("turns a markdown table into an aligned code block", () => {
    const md = [
      "Results:",
      "",
      "| Model | Score |",
      "|:------|------:|",
      "| **o4-mini** | 91 |",
      "| [Sonnet](https://x.test) | 88 |",
      "",
      "Done.",
    ].join("\n");
    expect(renderDiscord(md)).toBe(
      [
        "Results:",
        "",
        "```",
        "Model                   | Score",
        "------------------------+------",
        "o4-mini                 | 91",
        "Sonnet (https://x.test) | 88",
        "```",
        "",
        "Done.",
      ].join("\n"),
    );
  });

  it("does not mistake a line with a pipe for a table", () => {
    const md = "a | b\nnot a separator\n| lone |";
    expect(renderDiscord(md)).toBe(md);
  });

  it("turns headings deeper than ### into bold, which Discord can show", () => {
    expect(renderDiscord("#### Details\n### Kept")).toBe("**Details**\n### Kept");
  });
});

describe("discordTextToPlain", () => {
  const mentions = [
    { id: "111", username: "bob", global_name: "Bob B" },
    { id: "222", username: "carol", global_name: null, member: { nick: "Caz" } },
  ];

  it("names mentioned users by display name or server nickname", () => {
    expect(discordTextToPlain("hi <@111> and <@!222>", mentions)).toBe("hi @Bob B and @Caz");
  });

  it("keeps unknown users, roles, channels, emoji and commands readable", () => {
    expect(discordTextToPlain("<@999> <@&5> in <#7> :) <:party:123> <a:wave:456> </ask:1>")).toBe(
      "@user @role in #channel :) :party: :wave: /ask",
    );
  });

  it("writes Discord timestamps as ISO dates", () => {
    expect(discordTextToPlain("due <t:1700000000:R>")).toBe("due 2023-11-14T22:13:20.000Z");
  });
});
