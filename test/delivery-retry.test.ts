import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import { conversationName } from "../src/conversation/submit.ts";
import { eventually } from "./fakes/network.ts";
import { sendMention } from "./support/slack-requests.ts";
import { freshChannel, settled, slackThread, slackWorld } from "./support/slack-world.ts";

it("keeps a finished answer the platform would not take, and delivers it at the next heartbeat", async () => {
  const { slack, openrouter } = await slackWorld();
  const channel = freshChannel();
  const ts = "1700000700.000100";
  slack.seedMessage(channel, { ts, user: "U0ANA", text: "<@U0QUARRY> q" });
  // Slack is down for the writer's four tries (about 15 s of backoff).
  for (let i = 0; i < 4; i++) slack.failNext("chat.postMessage", "service_unavailable");
  openrouter.reply({ text: ["An answer worth keeping."], usage: { cost: 0.05 } });
  await sendMention(channel, ts);

  await eventually(() => slack.callsTo("chat.postMessage").length >= 4, 30_000);
  await new Promise((r) => setTimeout(r, 500));
  expect(slack.thread(channel, ts).filter((m) => m.bot_id)).toHaveLength(0);
  expect(openrouter.chatBodies).toHaveLength(1);

  const ns = env.CONVERSATIONS;
  const stub = ns.get(ns.idFromName(conversationName(slackThread(channel, ts))));
  expect(await runDurableObjectAlarm(stub)).toBe(true);
  const rows = await settled(slackThread(channel, ts));
  expect(rows[0]).toMatchObject({ state: "answered" });
  const bots = slack.thread(channel, ts).filter((m) => m.bot_id);
  expect(bots).toHaveLength(1);
  expect(bots[0]!.text).toContain("An answer worth keeping.");
  expect(bots[0]!.text).toContain("$0.050");
  // Delivered from the checkpoint: the model was not asked (or paid) twice.
  expect(openrouter.chatBodies).toHaveLength(1);
}, 60_000);
