/**
 * The OpenRouter fault matrix on Discord (test/support/openrouter-faults.ts has the rows): an
 * `/ask` whose answer fails ends once in `@original` with a plain message that says what to
 * do, keeps the text streamed before it, books the answer once, and a reply to it (over the
 * Gateway, the same conversation) is answered normally.
 */
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import type { DiscordGatewayObject } from "../adapters/discord/gateway-object.ts";
import { ledgerFor, utcDay } from "../src/budget/channel-ledger.ts";
import { defaultCatalog, fallbackCatalog } from "./fakes/openrouter.ts";
import {
  ask,
  botMessages,
  connectGateway,
  type DiscordWorld,
  discordWorld,
  gatewayMessage,
  mentionOverGateway,
  settled,
} from "./support/discord-world.ts";
import {
  type Fault,
  NEXT_ANSWER,
  OPENROUTER_FAULTS,
  occurrences,
} from "./support/openrouter-faults.ts";

type ChatBody = { messages: { role: string; content: unknown }[] };

let gateways: DurableObjectStub<DiscordGatewayObject>[] = [];
afterEach(async () => {
  for (const stub of gateways) await stub.disconnect().catch(() => undefined);
  gateways = [];
});

/** The question: an `/ask` (answered in `@original`) or a mention over the Gateway (a reply). */
async function question(world: DiscordWorld, via: Via) {
  if (via === "/ask") {
    const asked = await ask(world, "granite?");
    return { thread: asked.thread, answerId: asked.original?.id, replyTo: undefined };
  }
  const { asked, thread } = await mentionOverGateway(world, "granite?");
  return { thread, answerId: undefined, replyTo: asked.id };
}

type Via = "/ask" | "mention";

async function faultThenNext(fault: Fault, via: Via) {
  const world = await discordWorld();
  gateways.push(await connectGateway());
  if (fault.fallbacksListed) world.openrouter.models = [...defaultCatalog(), ...fallbackCatalog()];
  for (const reply of fault.replies) world.openrouter.reply(reply);
  world.openrouter.reply({ text: [NEXT_ANSWER], usage: { cost: 0.002 } });
  const asked = await question(world, via);
  const first = await settled(asked.thread);
  const messagesAfterFault = botMessages(world);
  const shownAfterFault = messagesAfterFault.map((m) => m.content).join("\n");
  const ledger = ledgerFor(env, "discord", world.channelId);
  const bookedAfterFault = await ledger.today(utcDay(Date.now()));
  const requestsAfterFault = world.openrouter.chatBodies.length;

  const reply = world.discord.seedMessage(world.channelId, {
    content: "denser?",
    replyTo: botMessages(world)[0]?.id,
  });
  await world.gateway.dispatch("MESSAGE_CREATE", gatewayMessage(reply));
  const rows = await settled(asked.thread, 2);
  const bots = botMessages(world);
  return {
    ...world,
    asked,
    first,
    rows,
    reply,
    messagesAfterFault,
    shownAfterFault,
    bookedAfterFault,
    requestsAfterFault,
    bots,
    shown: bots.map((m) => m.content).join("\n"),
    booked: await ledger.today(utcDay(Date.now())),
  };
}

/** Over the Gateway (bot-token messages, edited in the channel), the rows with partial text. */
const MENTION_ROWS = OPENROUTER_FAULTS.filter((f, i) => i === 0 || f.kept !== undefined);

for (const via of ["/ask", "mention"] as const) {
  describe(`Discord ${via}: every OpenRouter fault is told once, and the conversation goes on`, () => {
    for (const fault of via === "/ask" ? OPENROUTER_FAULTS : MENTION_ROWS) {
      it(fault.name, async () => {
        const r = await faultThenNext(fault, via);
        expect(r.first.map((q) => [q.state, q.attempts])).toEqual([[fault.state, 1]]);
        expect(r.requestsAfterFault).toBe(fault.requests ?? 1);
        // The whole ending is in one message (@original, or the reply), said once, text kept.
        expect(r.messagesAfterFault).toEqual([
          expect.objectContaining(
            r.asked.answerId ? { id: r.asked.answerId } : { replyTo: r.asked.replyTo },
          ),
        ]);
        for (const said of fault.says)
          expect(occurrences(r.shownAfterFault, said), r.shownAfterFault).toBe(1);
        if (fault.kept) expect(occurrences(r.shownAfterFault, fault.kept)).toBe(1);
        if (fault.state === "failed") expect(r.shownAfterFault).not.toContain("Researching");
        expect(r.bookedAfterFault).toEqual({
          answers: 1,
          reservedUsd: 0,
          spentUsd: fault.spentUsd,
        });

        // The reply is answered as a reply to it; the failed answer keeps its ending.
        expect(r.rows.map((q) => q.state)).toEqual([fault.state, "answered"]);
        expect(r.bots.at(-1)).toMatchObject({
          replyTo: r.reply.id,
          content: expect.stringContaining(NEXT_ANSWER),
        });
        expect(r.bots.at(-1)?.content).not.toContain("⚠️");
        expect(r.bots[0]?.content).toBe(r.messagesAfterFault[0]?.content);
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
