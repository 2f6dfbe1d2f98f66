import { expect, it, vi } from "vitest";
import { sendMention } from "./support/slack-requests.ts";
import { freshChannel, settled, slackThread, slackWorld } from "./support/slack-world.ts";

it("an answer logs JSON lines under its question's id: started, then finished with model, generation, outcome, cost and time", async () => {
  const { slack, openrouter } = await slackWorld();
  const lines: string[] = [];
  for (const level of ["log", "warn", "error"] as const)
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      lines.push(args.map(String).join(" "));
    });
  const channel = freshChannel();
  const ts = "1700004000.000100";
  slack.seedMessage(channel, { ts, user: "U0ANA", text: "<@U0QUARRY> q" });
  openrouter.reply({ text: ["Logged answer."], usage: { cost: 0.0042 } });
  await sendMention(channel, ts);
  await settled(slackThread(channel, ts));
  const id = `slack:${channel}:${ts}`;
  const records = lines
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((r) => r.question === id);
  expect(records.map((r) => r.event)).toEqual(["answer.started", "answer.finished"]);
  for (const r of records) expect(r).toMatchObject({ correlation: id, platform: "slack", channel });
  expect(records[1]).toMatchObject({
    level: "info",
    model: "openai/o4-mini-deep-research",
    generation: expect.stringMatching(/^gen-/),
    outcome: "answered",
    cost_usd: 0.0042,
    elapsed_ms: expect.any(Number),
  });
});
