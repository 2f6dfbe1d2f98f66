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
  discordWorld,
  gatewayMessage,
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

async function faultThenNext(fault: Fault) {
  const world = await discordWorld();
  gateways.push(await connectGateway());
  if (fault.fallbacksListed) world.openrouter.models = [...defaultCatalog(), ...fallbackCatalog()];
  for (const reply of fault.replies) world.openrouter.reply(reply);
  world.openrouter.reply({ text: [NEXT_ANSWER], usage: { cost: 0.002 } });
  const asked = await ask(world, "granite?");
  const first = await settled(asked.thread);
  const messagesAfterFault = botMessages(world);
  const shownAfterFault = messagesAfterFault.map((m) => m.content).join("\n");
  const ledger = ledgerFor(env, "discord", world.channelId);
  const bookedAfterFault = await ledger.today(utcDay(Date.now()));
  const requestsAfterFault = world.openrouter.chatBodies.length;

  const reply = world.discord.seedMessage(world.channelId, {
    content: "denser?",
    replyTo: asked.original?.id,
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

describe("Discord /ask: every OpenRouter fault is told once, and the conversation goes on", () => {
  for (const fault of OPENROUTER_FAULTS) {
    it(fault.name, async () => {
      const r = await faultThenNext(fault);
      expect(r.first.map((q) => [q.state, q.attempts])).toEqual([[fault.state, 1]]);
      expect(r.requestsAfterFault).toBe(fault.requests ?? 1);
      // The whole ending is in @original, said once, with the streamed text kept.
      expect(r.messagesAfterFault.map((m) => m.id)).toEqual([r.asked.original?.id]);
      for (const said of fault.says)
        expect(occurrences(r.shownAfterFault, said), r.shownAfterFault).toBe(1);
      if (fault.kept) expect(occurrences(r.shownAfterFault, fault.kept)).toBe(1);
      if (fault.state === "failed") expect(r.shownAfterFault).not.toContain("Researching");
      expect(r.bookedAfterFault).toEqual({ answers: 1, reservedUsd: 0, spentUsd: fault.spentUsd });

      // The reply is answered as a reply to it; @original keeps its ending.
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
