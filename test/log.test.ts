import { describe, expect, it, vi } from "vitest";
import { ChatApiError } from "../src/errors.ts";
import { answerLogger, knownSecrets, type LogLevel, logger, redactText } from "../src/log.ts";

function capture() {
  const lines: { level: LogLevel; line: string }[] = [];
  const write = (level: LogLevel, line: string) => lines.push({ level, line });
  const parsed = () => lines.map((l) => JSON.parse(l.line) as Record<string, unknown>);
  return { lines, write, parsed };
}

const now = () => Date.UTC(2026, 11, 3, 12, 0, 0);

describe("logger", () => {
  it("writes one JSON line per event with level, event, time and the logger's fields", () => {
    const out = capture();
    const log = logger({ platform: "slack", correlation: "c-1" }, { write: out.write, now });
    log.info("answer.finished", { model: "m/x", cost_usd: 0.25, elapsed_ms: 1200 });
    expect(out.lines).toHaveLength(1);
    expect(out.lines[0]?.line).not.toContain("\n");
    expect(out.parsed()[0]).toEqual({
      level: "info",
      event: "answer.finished",
      time: "2026-12-03T12:00:00.000Z",
      platform: "slack",
      correlation: "c-1",
      model: "m/x",
      cost_usd: 0.25,
      elapsed_ms: 1200,
    });
  });

  it("sends each level to its own console stream", () => {
    const out = capture();
    const log = logger({}, { write: out.write, now });
    log.debug("a");
    log.warn("b");
    log.error("c");
    expect(out.lines.map((l) => l.level)).toEqual(["debug", "warn", "error"]);
  });

  it("child loggers add fields and keep the parent's", () => {
    const out = capture();
    const log = logger({ correlation: "c-2", platform: "discord" }, { write: out.write, now });
    log.child({ question: "q-1" }).child({ generation: "gen-9" }).info("x", { outcome: "done" });
    log.info("y");
    const [first, second] = out.parsed();
    expect(first).toMatchObject({ correlation: "c-2", question: "q-1", generation: "gen-9" });
    expect(second).not.toHaveProperty("question");
  });

  it("logs an error as its name, code and message, not as an object dump", () => {
    const out = capture();
    const err = new ChatApiError("slack_error", "Slack chat.postMessage: not_in_channel", {
      platformError: "not_in_channel",
    });
    logger({}, { write: out.write, now }).error("post.failed", { error: err });
    expect(out.parsed()[0]?.error).toEqual({
      name: "ChatApiError",
      code: "slack_error",
      message: "Slack chat.postMessage: not_in_channel",
    });
  });
});

describe("answer logger", () => {
  it("carries the thread and question, with the question id as correlation id", () => {
    const lines: string[] = [];
    vi.spyOn(console, "log").mockImplementation((line: string) => void lines.push(line));
    const thread = {
      platform: "slack",
      workspaceId: "T0",
      channelId: "C0",
      threadId: "1.1",
    } as const;
    answerLogger({ id: "C0:1.2", thread }, { SLACK_BOT_TOKEN: "xoxb-secret-1" }).info(
      "answer.started",
      {
        note: "token xoxb-secret-1",
      },
    );
    vi.restoreAllMocks();
    expect(JSON.parse(lines[0] ?? "{}")).toMatchObject({
      correlation: "C0:1.2",
      platform: "slack",
      workspace: "T0",
      channel: "C0",
      thread: "1.1",
      question: "C0:1.2",
      note: "token [redacted]",
    });
  });
});

describe("redaction", () => {
  const secrets = {
    slackBot: "xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx",
    slackUser: "xoxp-1234-5678-9012-abcdef",
    slackRefresh: "xoxe.xoxp-1-Mi0yLTEyMzQ1Njc4OTAtYWJj",
    appToken: "xapp-1-A0QUARRY-1234567890-abcdef0123456789",
    openrouter: "sk-or-v1-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd",
    discordBot: "MTEwMDAwMDAwMDAwMDAwMDAwMQ.GhIjKl.AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
    interaction: `aW50ZXJhY3Rpb246MTEwMDAwMDAwMDAwMDAwMDAwMTp${"Q".repeat(120)}`,
    responseUrl: "https://hooks.slack.com/commands/T0TEAM/1234567/AbCdEfGhIjKlMnOp",
  };

  for (const [name, secret] of Object.entries(secrets)) {
    it(`hides a ${name} inside any string`, () => {
      const text = redactText(`calling with ${secret} now`);
      expect(text).not.toContain(secret);
      expect(text).toMatch(/^calling with .*\[redacted\].* now$/);
    });
  }

  it("hides Authorization credentials but keeps the scheme", () => {
    expect(redactText("Authorization: Bearer abcdefghijklmnop1234")).toBe(
      "Authorization: Bearer [redacted]",
    );
    expect(redactText(`Bot ${secrets.discordBot}`)).toBe("Bot [redacted]");
  });

  it("hides an interaction token in a webhook path", () => {
    const path = "/api/v10/webhooks/1100000000000000001/short-token_1/messages/@original";
    expect(redactText(path)).toBe(
      "/api/v10/webhooks/1100000000000000001/[redacted]/messages/@original",
    );
  });

  it("hides exact known values that have no recognisable shape (a signing secret)", () => {
    const env = { SLACK_SIGNING_SECRET: "8f742231b10e8888abcd99yyyzzz85a5" };
    expect(redactText("secret=8f742231b10e8888abcd99yyyzzz85a5!", knownSecrets(env))).toBe(
      "secret=[redacted]!",
    );
  });

  it("hides fields named like credentials, whatever they hold, but keeps token counts", () => {
    const out = capture();
    logger({}, { write: out.write, now }).info("x", {
      token: "short",
      headers: { Authorization: "anything", "x-slack-signature": "v0=abc", accept: "*/*" },
      client_secret: "s",
      response_url: "https://example.test/r",
      usage: { prompt_tokens: 12, completion_tokens: 3 },
    });
    const line = out.parsed()[0];
    expect(line).toMatchObject({
      token: "[redacted]",
      headers: { Authorization: "[redacted]", "x-slack-signature": "[redacted]", accept: "*/*" },
      client_secret: "[redacted]",
      response_url: "[redacted]",
      usage: { prompt_tokens: 12, completion_tokens: 3 },
    });
  });

  it("scrubs secrets out of error messages", () => {
    const out = capture();
    const err = new Error(`401 from https://openrouter.test with key ${secrets.openrouter}`);
    logger({}, { write: out.write, now }).error("x", { error: err });
    expect(out.lines[0]?.line).not.toContain(secrets.openrouter);
  });

  it("leaves ordinary ids, model names and prose alone", () => {
    const text =
      "Bot messages in C0GENERAL thread 1718000000.000100 by U0ANA: gen-1752512345-AbCdEfGhIjKlMnOpQrSt openai/o4-mini-deep-research";
    expect(redactText(text)).toBe(text);
  });
});
