/**
 * Stop on Discord, end to end: an `/ask` answered into its deferred `@original`, the fake
 * OpenRouter held mid-answer, and Stop clicks (component interactions) signed with a key
 * pair of the test's own, into the Worker and on to the conversation object.
 */

import type { APIUser } from "discord-api-types/v10";
import { describe, expect, it } from "vitest";
import { stopCustomId } from "../adapters/discord/stop-control.ts";
import { NOT_RUNNING, STOP_REFUSED } from "../adapters/discord/stop-interaction.ts";
import { eventually, installFakeNetwork } from "./fakes/network.ts";
import { alice, componentInteraction } from "./support/discord-payloads.ts";
import {
  ask,
  type DiscordWorld,
  discordWorld,
  freshSnowflake,
  MANAGE_CHANNELS,
  sendInteraction,
  settled,
} from "./support/discord-world.ts";
import { holdStream } from "./support/held-stream.ts";

const PARTIAL = "Partial findings: QUIC runs over UDP. ";
const REST = "And the rest of the answer, written after the hold.";

const bob: APIUser = {
  id: "2000000000000000002",
  username: "bob",
  global_name: "Bob",
  discriminator: "0",
  avatar: null,
};

type Response = { type: number; data?: { content?: string; flags?: number } };

/**
 * Alice asks with `/ask`; the model writes `PARTIAL` into `@original` and then waits: until
 * it is aborted (`hold: "abort"`) or until the test releases it (`hold: "release"`).
 */
async function askAndHold(world: DiscordWorld, hold: "abort" | "release") {
  world.openrouter.reply({ text: [PARTIAL, REST], hangAfter: hold === "abort" ? 2 : undefined });
  let release = () => {};
  if (hold === "release") {
    const held = holdStream(world.openrouter, 2);
    release = held.release;
    installFakeNetwork({
      "discord.test": world.discord,
      "gateway.discord.test": world.gateway,
      "resume.discord.test": world.gateway,
      "openrouter.test": held.host,
    });
  }
  const asked = await ask(world, "what is QUIC?");
  expect(asked.response).toEqual({ type: 5 });
  const original = asked.original?.id as string;
  await eventually(() => world.discord.message(original)?.content.includes(PARTIAL.trim()));
  const questionId = `discord:interaction:${asked.interactionId}`;
  // The running answer's message carries its Stop button.
  await eventually(() => world.discord.buttons(original).length === 1);
  return { ...asked, original, questionId, release };
}

/** `user` clicks the Stop of the answer: the button the adapter renders for its question. */
async function clickStop(
  world: DiscordWorld,
  a: Awaited<ReturnType<typeof askAndHold>>,
  user: APIUser,
  permissions = "0",
): Promise<Response> {
  const customId = stopCustomId(a.thread, a.questionId) as string;
  const body = componentInteraction(customId, {
    id: freshSnowflake(),
    channelId: world.channelId,
    messageId: a.original,
    user,
    permissions,
  });
  return (await sendInteraction(body)).json() as Promise<Response>;
}

/** The last body the Worker sent to `@original`. */
function lastOriginalEdit(world: DiscordWorld): Record<string, unknown> | undefined {
  return world.discord.calls(/^PATCH \/webhooks\/\d+\/[^/]+\/messages\/@original$/).at(-1)?.body as
    | Record<string, unknown>
    | undefined;
}

describe("Discord: Stop", () => {
  it("stops the answer when the asker presses Stop: type 6, the request aborted, the partial text kept as stopped, the button gone", async () => {
    const world = await discordWorld();
    const a = await askAndHold(world, "abort");
    expect(await clickStop(world, a, alice)).toEqual({ type: 6 });
    const rows = await settled(a.thread);

    expect(rows.map((r) => r.state)).toEqual(["cancelled"]);
    expect(
      world.openrouter.requests.find((r) => r.path.endsWith("/chat/completions"))?.aborted,
    ).toBe(true);
    const content = world.discord.message(a.original)?.content ?? "";
    expect(content).toContain(PARTIAL.trim());
    expect(content).toContain("Stopped");
    expect(content).not.toContain(REST);
    expect(world.discord.buttons(a.original)).toEqual([]);
    expect(lastOriginalEdit(world)).toMatchObject({ components: [] });
  });

  it("lets a member with Manage Channels stop someone else's answer", async () => {
    const world = await discordWorld();
    const a = await askAndHold(world, "abort");
    expect(await clickStop(world, a, bob, MANAGE_CHANNELS)).toEqual({ type: 6 });
    expect((await settled(a.thread)).map((r) => r.state)).toEqual(["cancelled"]);
  });

  it("refuses anyone else with an ephemeral type 4, and the answer goes on to the end", async () => {
    const world = await discordWorld();
    const a = await askAndHold(world, "release");
    expect(await clickStop(world, a, bob)).toEqual({
      type: 4,
      data: { content: STOP_REFUSED, flags: 64, allowed_mentions: { parse: [] } },
    });

    a.release();
    expect((await settled(a.thread)).map((r) => r.state)).toEqual(["answered"]);
    expect(world.openrouter.requests.some((r) => r.aborted)).toBe(false);
    const content = world.discord.message(a.original)?.content ?? "";
    expect(content).toContain(`${PARTIAL}${REST}`);
    expect(content).not.toContain("Stopped");
    expect(world.discord.buttons(a.original)).toEqual([]);
  });

  it("has one effect on a double click: one stop, and the other press is told ephemerally that the answer is not running", async () => {
    const world = await discordWorld();
    const a = await askAndHold(world, "abort");
    const responses = await Promise.all([clickStop(world, a, alice), clickStop(world, a, alice)]);
    await settled(a.thread);

    const notRunning = {
      type: 4,
      data: { content: NOT_RUNNING, flags: 64, allowed_mentions: { parse: [] } },
    };
    expect(responses).toContainEqual({ type: 6 });
    expect(responses).toContainEqual(notRunning);
    expect(world.openrouter.chatBodies).toHaveLength(1);
    const stopped = world.discord
      .visible(world.channelId)
      .filter((m) => m.content.includes("Stopped"));
    expect(stopped).toHaveLength(1);
    // Pressed once more after the end: acknowledged the same way, nothing changes.
    expect(await clickStop(world, a, alice)).toEqual(notRunning);
    expect((await settled(a.thread)).map((r) => r.state)).toEqual(["cancelled"]);
  });
});
