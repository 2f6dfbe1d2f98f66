import { describe, expect, it } from "vitest";
import { sendMention } from "./support/slack-requests.ts";
import {
  freshChannel,
  settled,
  slackThread,
  slackWorld,
  streamNatively,
} from "./support/slack-world.ts";

async function ask(
  scripted: Parameters<Awaited<ReturnType<typeof slackWorld>>["openrouter"]["reply"]>[0],
  opts: Parameters<typeof slackWorld>[0] = {},
) {
  const world = await slackWorld(opts);
  const channel = freshChannel();
  if (opts.nativeStreaming === "ok") await streamNatively(channel);
  const ts = "1700000100.000100";
  world.slack.seedMessage(channel, { ts, user: "U0ANA", text: "<@U0QUARRY> q" });
  world.openrouter.reply(scripted);
  await sendMention(channel, ts);
  const rows = await settled(slackThread(channel, ts));
  const answer = world.slack.thread(channel, ts).at(-1)!.text;
  return { ...world, answer, rows, channel };
}

const orError = (status: number, message: string, metadata?: unknown) => ({
  status,
  body: { error: { code: status, message, ...(metadata ? { metadata } : {}) } },
});

describe("Slack: failures become a plain message in the thread", () => {
  it("an invalid API key names OPENROUTER_API_KEY", async () => {
    const { answer, rows } = await ask({ error: orError(401, "No auth credentials found") });
    expect(answer).toContain("OPENROUTER_API_KEY");
    expect(rows[0]!.state).toBe("failed");
  });

  it("no credits (402) says so and where to add them", async () => {
    const { answer } = await ask({ error: orError(402, "Insufficient credits") });
    expect(answer).toMatch(/credits/i);
    expect(answer).toContain("402");
  });

  it("moderation (403) gives the reasons", async () => {
    const { answer } = await ask({
      error: orError(403, "Your input was flagged", {
        reasons: ["violence"],
        flagged_input: "…",
        provider_name: "OpenAI",
        model_slug: "openai/o4-mini-deep-research",
      }),
    });
    expect(answer).toMatch(/flagged|moderation/i);
    expect(answer).toContain("violence");
  });

  it("a rate limit (429) says to try again later", async () => {
    const { answer } = await ask({
      error: { ...orError(429, "Rate limit exceeded"), headers: { "Retry-After": "30" } },
    });
    expect(answer).toMatch(/rate limit|try again/i);
  });

  it("a provider outage (502/503) says the model is unavailable", async () => {
    const { answer } = await ask({ error: orError(503, "No instances available") });
    expect(answer).toMatch(/unavailable|down|try again/i);
  });

  it("'Provider returned error' shows the provider's own reason", async () => {
    const raw = JSON.stringify({
      error: { message: "context_length_exceeded: too many tokens", type: "invalid_request_error" },
    });
    const { answer } = await ask({
      error: orError(502, "Provider returned error", { raw, provider_name: "OpenAI" }),
    });
    expect(answer).toContain("context_length_exceeded");
  });

  it("a mid-stream error keeps the partial answer and marks it incomplete", async () => {
    const { answer, rows } = await ask({
      text: ["The first half of the answer. "],
      midStreamError: { code: "server_error", message: "upstream connection reset" },
    });
    expect(answer).toContain("The first half of the answer.");
    expect(answer).toMatch(/incomplete/i);
    expect(answer).toContain("upstream connection reset");
    expect(rows[0]!.state).toBe("failed");
  });

  it("where Slack streams natively, the status message ends saying it failed, not still researching", async () => {
    const { slack, channel } = await ask(
      {
        text: ["The first half.\n"],
        midStreamError: { code: "server_error", message: "upstream connection reset" },
      },
      { nativeStreaming: "ok" },
    );
    const [, header, ...streamed] = slack.thread(channel, "1700000100.000100");
    expect(header!.text).toMatch(/^⚠️ _Failed after \d+s, see below_$/);
    const shown = streamed.map((m) => m.text).join("");
    expect(shown).toContain("The first half.");
    expect(shown).toContain("upstream connection reset");
  });

  it("a stall (only keep-alives, then nothing) is reported with how long it waited", async () => {
    const { answer, openrouter } = await ask({
      keepalives: 3,
      hangAfterKeepalives: true,
      delayMs: 100,
    });
    expect(answer).toMatch(/nothing|stall|no output|silent/i);
    expect(openrouter.requests.find((r) => r.path.endsWith("/chat/completions"))?.aborted).toBe(
      true,
    );
  });

  it("keeps serving other conversations after one fails", async () => {
    const first = await ask({ error: orError(402, "Insufficient credits") });
    expect(first.answer).toMatch(/credits/i);
    const second = await ask({ text: ["Still working."] });
    expect(second.answer).toContain("Still working.");
  });
});
