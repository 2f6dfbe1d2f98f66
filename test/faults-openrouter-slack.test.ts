/**
 * The OpenRouter fault matrix on Slack (test/support/openrouter-faults.ts has the rows): each
 * failure ends the question once with a plain message that says what to do, keeps the text
 * streamed before it, books the answer once, and the next question in the thread is answered.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ledgerFor, utcDay } from "../src/budget/channel-ledger.ts";
import { defaultCatalog, fallbackCatalog } from "./fakes/openrouter.ts";
import {
  type Fault,
  NEXT_ANSWER,
  OPENROUTER_FAULTS,
  occurrences,
} from "./support/openrouter-faults.ts";
import { eventEnvelope, messageEvent, sendMention, sendSlack } from "./support/slack-requests.ts";
import {
  freshChannel,
  settled,
  slackThread,
  slackWorld,
  streamNatively,
} from "./support/slack-world.ts";

type ChatBody = { messages: { role: string; content: unknown }[] };

async function faultThenNext(fault: Fault, native: boolean) {
  const world = await slackWorld({ nativeStreaming: native ? "ok" : "unknown_method" });
  if (fault.fallbacksListed) world.openrouter.models = [...defaultCatalog(), ...fallbackCatalog()];
  const channel = freshChannel();
  if (native) await streamNatively(channel);
  const root = "1700009000.000100";
  const thread = slackThread(channel, root);
  world.slack.seedMessage(channel, { ts: root, user: "U0ANA", text: "<@U0QUARRY> granite?" });
  for (const reply of fault.replies) world.openrouter.reply(reply);
  world.openrouter.reply({ text: [NEXT_ANSWER], usage: { cost: 0.002 } });
  await sendMention(channel, root, "granite?");
  const first = await settled(thread);
  const shownAfterFault = world.slack
    .thread(channel, root)
    .filter((m) => m.bot_id)
    .map((m) => m.text)
    .join("\n");
  const bookedAfterFault = await ledgerFor(env, "slack", channel).today(utcDay(Date.now()));
  const requestsAfterFault = world.openrouter.chatBodies.length;

  const next = "1700009000.000900";
  world.slack.seedMessage(channel, { ts: next, thread_ts: root, user: "U0BEN", text: "denser?" });
  await sendSlack(
    eventEnvelope(messageEvent(channel, next, "denser?", { thread_ts: root, user: "U0BEN" })),
  );
  const rows = await settled(thread, 2);
  const bots = world.slack.thread(channel, root).filter((m) => m.bot_id);
  return {
    ...world,
    first,
    rows,
    shownAfterFault,
    bookedAfterFault,
    requestsAfterFault,
    shown: bots.map((m) => m.text).join("\n"),
    last: bots.at(-1)?.text ?? "",
    booked: await ledgerFor(env, "slack", channel).today(utcDay(Date.now())),
  };
}

/**
 * Natively streamed, the rows where text streamed before the fault (the stream's part must
 * keep it) and one refused before any text: the rest take the same path as post and edit.
 */
const NATIVE_ROWS = OPENROUTER_FAULTS.filter((f, i) => i === 0 || f.kept !== undefined);

for (const native of [false, true]) {
  const mode = native ? "native stream" : "post and edit";
  describe(`Slack (${mode}): every OpenRouter fault is told once, and the thread goes on`, () => {
    for (const fault of native ? NATIVE_ROWS : OPENROUTER_FAULTS) {
      it(fault.name, async () => {
        const r = await faultThenNext(fault, native);
        // Ended once, in the state the fault calls for, after the requests it calls for.
        expect(r.first.map((q) => [q.state, q.attempts])).toEqual([[fault.state, 1]]);
        expect(r.requestsAfterFault).toBe(fault.requests ?? 1);
        for (const said of fault.says)
          expect(occurrences(r.shownAfterFault, said), r.shownAfterFault).toBe(1);
        if (fault.kept) expect(occurrences(r.shownAfterFault, fault.kept)).toBe(1);
        if (fault.state === "failed") {
          expect(r.shownAfterFault).not.toContain("Researching");
          expect(r.shownAfterFault).not.toContain("✅");
        }
        // Booked once, nothing left reserved.
        expect(r.bookedAfterFault).toEqual({
          answers: 1,
          reservedUsd: 0,
          spentUsd: fault.spentUsd,
        });

        // The next question in the thread is answered normally, below, and nothing above changed.
        expect(r.rows.map((q) => q.state)).toEqual([fault.state, "answered"]);
        expect(r.last).toContain(NEXT_ANSWER);
        expect(r.last).not.toContain("⚠️");
        for (const said of fault.says) expect(occurrences(r.shown, said), r.shown).toBe(1);
        const asked = r.openrouter.chatBodies.at(-1) as ChatBody;
        expect(String(asked.messages.at(-1)?.content)).toContain("denser?");
        expect(r.openrouter.chatBodies).toHaveLength(r.requestsAfterFault + 1);
        expect(r.booked).toMatchObject({ answers: 2, reservedUsd: 0 });
        expect(r.booked.spentUsd).toBeCloseTo(fault.spentUsd + 0.002, 6);
      }, 30_000);
    }
  });
}
