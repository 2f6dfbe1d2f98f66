import { describe, expect, it } from "vitest";
import {
  type ChecklistInput,
  defaultModelOf,
  devChecklist,
  discordOn,
  portOf,
} from "../../scripts/dev-checklist.ts";
import { parseDotenv, tomlVars } from "../../scripts/dev-vars.ts";

const KEY = "sk-or-v1-abcdef0123456789";
const FULL = {
  OPENROUTER_API_KEY: KEY,
  SLACK_BOT_TOKEN: "xoxb-1-2-abc",
  SLACK_SIGNING_SECRET: "8f742231b10e8888abcd99yyyzzz85a5",
  DISCORD_APPLICATION_ID: "1100000000000000001",
  DISCORD_PUBLIC_KEY: "ab".repeat(32),
  DISCORD_BOT_TOKEN: "MTEw.GhIj.AbCd",
};

function input(over: Partial<ChecklistInput> = {}): ChecklistInput {
  return {
    file: { name: ".dev.vars", vars: { ...FULL } },
    shell: {},
    tomlVars: { DEFAULT_MODEL: "openai/o4-mini-deep-research" },
    port: 8787,
    catalog: { kind: "listed", ids: ["openai/o4-mini-deep-research", "openai/gpt-5"] },
    ...over,
  };
}

const text = (i: ChecklistInput) => devChecklist(i).join("\n");

describe("npm start checklist", () => {
  it("says every platform is set when .dev.vars has all secrets, and never prints a value", () => {
    const out = text(input());
    expect(out).toContain("✓ OpenRouter: OPENROUTER_API_KEY");
    expect(out).toContain("✓ Slack: SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET");
    expect(out).toContain(
      "✓ Discord: DISCORD_APPLICATION_ID, DISCORD_PUBLIC_KEY, DISCORD_BOT_TOKEN",
    );
    for (const value of Object.values(FULL)) expect(out).not.toContain(value);
  });

  it("names the missing secrets of a platform and says it is off", () => {
    const vars: Record<string, string> = { ...FULL, SLACK_SIGNING_SECRET: " " };
    delete vars.DISCORD_BOT_TOKEN;
    const out = text(input({ file: { name: ".dev.vars", vars } }));
    expect(out).toContain("✗ Slack: SLACK_SIGNING_SECRET missing (Slack is off)");
    expect(out).toContain("✗ Discord: DISCORD_BOT_TOKEN missing (Discord is off)");
  });

  it("without .dev.vars, says how to make one", () => {
    const out = text(input({ file: undefined, catalog: { kind: "skipped" } }));
    expect(out).toContain("no .dev.vars yet");
    expect(out).toContain("✗ OpenRouter: OPENROUTER_API_KEY missing");
    expect(out).toContain("cp .dev.vars.example .dev.vars");
  });

  it("warns that a secret set only in the shell does not reach the Worker", () => {
    const out = text(input({ file: undefined, shell: { OPENROUTER_API_KEY: KEY } }));
    expect(out).toMatch(/! OPENROUTER_API_KEY set in your shell only: .*add it there/);
    expect(out).not.toContain(KEY);
  });

  it("marks the tool-only tokens as set from either place", () => {
    const out = text(input({ shell: { SLACK_APP_TOKEN: "xapp-1-A-1-abc" } }));
    expect(out).toContain("✓ SLACK_APP_TOKEN (npm run slack:socket)");
    expect(out).toContain("· DISCORD_GUILD_ID");
  });

  it("confirms DEFAULT_MODEL when the catalog lists it", () => {
    expect(text(input())).toContain(
      "✓ DEFAULT_MODEL openai/o4-mini-deep-research is in OpenRouter's catalog",
    );
  });

  it("flags a DEFAULT_MODEL the catalog does not list, suggesting listed deep-research models", () => {
    const catalog = {
      kind: "listed" as const,
      ids: ["openai/gpt-5", "perplexity/sonar-deep-research"],
    };
    const out = text(input({ catalog }));
    expect(out).toContain(
      "✗ DEFAULT_MODEL openai/o4-mini-deep-research is not in OpenRouter's catalog",
    );
    expect(out).toContain("perplexity/sonar-deep-research");
  });

  it("prints one clean line when OpenRouter cannot be reached or refuses", () => {
    const offline = devChecklist(
      input({ catalog: { kind: "unreachable", reason: "getaddrinfo ENOTFOUND openrouter.ai" } }),
    ).filter((l) => l.includes("DEFAULT_MODEL"));
    expect(offline).toEqual([
      "· DEFAULT_MODEL openai/o4-mini-deep-research: not checked, OpenRouter is unreachable (getaddrinfo ENOTFOUND openrouter.ai)",
    ]);
    expect(text(input({ catalog: { kind: "refused", status: 401 } }))).toContain(
      "answered HTTP 401",
    );
  });

  it("takes DEFAULT_MODEL from .dev.vars over wrangler.toml", () => {
    const vars = { ...FULL, DEFAULT_MODEL: "openai/gpt-5" };
    expect(defaultModelOf(input({ file: { name: ".dev.vars", vars } }))).toBe("openai/gpt-5");
    expect(defaultModelOf(input({ file: undefined, tomlVars: {} }))).toBe(
      "openai/o4-mini-deep-research",
    );
  });

  it("prints the local URLs on the chosen port and the Workers Free warning", () => {
    const out = text(input({ port: 9000 }));
    expect(out).toContain("http://localhost:9000/health");
    expect(out).toContain("https://<tunnel>/slack/events");
    expect(out).toContain("https://<tunnel>/discord/interactions");
    expect(out).toContain("npm run slack:socket");
    expect(out).toMatch(/Workers Free.*Workers Paid/);
  });

  it("connects the Gateway only with all three Discord secrets and a well-formed public key", () => {
    expect(discordOn(input())).toBe(true);
    const bad = { ...FULL, DISCORD_PUBLIC_KEY: "not-hex" };
    expect(discordOn(input({ file: { name: ".dev.vars", vars: bad } }))).toBe(false);
    expect(text(input({ file: { name: ".dev.vars", vars: bad } }))).toContain(
      "✗ DISCORD_PUBLIC_KEY is not the 64 hex characters",
    );
    expect(discordOn(input({ file: undefined, shell: FULL }))).toBe(false);
  });

  it("reads the port wrangler will use from its arguments", () => {
    expect(portOf([])).toBe(8787);
    expect(portOf(["--port", "9001"])).toBe(9001);
    expect(portOf(["--local", "--port=9002"])).toBe(9002);
  });
});

describe("config files", () => {
  it("parses .dev.vars: comments, export, quotes", () => {
    const vars = parseDotenv("# c\nA=1\nexport B=\"two words\"\nC='3'\n  # D=4\nbad line\n");
    expect(vars).toEqual({ A: "1", B: "two words", C: "3" });
  });

  it("reads only the [vars] table of wrangler.toml", () => {
    const toml =
      'name = "q"\n[vars]\nDEFAULT_MODEL = "a/b" # c\nX = "1"\n[[kv_namespaces]]\nbinding = "S"\n';
    expect(tomlVars(toml)).toEqual({ DEFAULT_MODEL: "a/b", X: "1" });
  });
});
