/**
 * Fuzzing the settings commands, the one route that writes on request: any text after
 * `/ask-settings`, any `/settings set` options, by people with and without the right to
 * change settings, get an answer (never a 5xx), and nothing is posted or asked of a model.
 * The permission check (Slack `users.info`) and the model check (OpenRouter's catalog) may
 * run: they are how the command decides.
 */
import fc from "fast-check";
import { beforeEach, describe, expect, it } from "vitest";
import { SETTING_KEYS } from "../src/settings/settings.ts";
import { interaction } from "./support/discord-payloads.ts";
import { fuzzWorld, postDiscord, postSlack } from "./support/fuzz-world.ts";
import { commandBody } from "./support/slack-requests.ts";

const SEED = 777_2026;
const runs = (numRuns: number) => ({ seed: SEED, numRuns });
const KEYS = SETTING_KEYS;

let world: Awaited<ReturnType<typeof fuzzWorld>>;
beforeEach(async () => {
  world = await fuzzWorld();
});

/** Nothing posted to a channel, nothing asked of a model. */
function expectNoAnswerWork(): void {
  const posts = world.slack.calls.filter((c) => c.method.startsWith("chat."));
  expect(posts).toEqual([]);
  expect(world.openrouter.chatBodies).toEqual([]);
  expect(world.discord.requests).toEqual([]);
  expect(world.network.unknown).toEqual([]);
}

const value = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom("default", "medium", "off", "-1", "1e999", "NaN", "0.5", "openai/o4-mini", '"'),
);

describe("/ask-settings", () => {
  it("answers any text with an ephemeral message", async () => {
    const text = fc.oneof(
      fc.string({ maxLength: 120 }),
      fc
        .array(fc.tuple(fc.constantFrom(...KEYS, "nope"), value), { maxLength: 4 })
        .map((pairs) => pairs.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(" ")),
      fc.constantFrom("reset", "show", "", "model=", "=x", 'system="unclosed'),
      fc
        .subarray(["effort=medium", "followups=off", "temperature=0.5", "streaming=edit"])
        .map((pairs) => pairs.join(" ")),
    );
    world.slack.seedUser({ id: "U0ADMIN", name: "root", real_name: "Ada Admin", is_admin: true });
    const user = fc.constantFrom("U0ANA", "U0ADMIN", "U0NOBODY");
    const said: string[] = [];
    await fc.assert(
      fc.asyncProperty(text, user, async (t, u) => {
        const form = commandBody("/ask-settings", t, { user: u, channel: "C0FUZZSET" });
        const res = await postSlack(form, { contentType: "application/x-www-form-urlencoded" });
        expect(res.status).toBe(200);
        said.push(((await res.json()) as { text: string }).text);
      }),
      runs(80),
    );
    expectNoAnswerWork();
    // The runs reached every outcome: a change, a refused change, a rejected value.
    expect(said.some((t) => t.startsWith("Updated"))).toBe(true);
    expect(said.some((t) => t.startsWith("Nothing was changed"))).toBe(true);
    expect(world.slack.callsTo("users.info").length).toBeGreaterThan(0);
  });
});

describe("Discord /settings", () => {
  it("answers any subcommand and options with an ephemeral message or a 4xx", async () => {
    const option = fc.record({
      name: fc.constantFrom(...KEYS, "nope"),
      type: fc.constantFrom(3, 4, 10, 5),
      value: fc.oneof(value, fc.double(), fc.integer(), fc.boolean()),
    });
    const sub = fc.record({
      name: fc.constantFrom("show", "set", "reset", "nope"),
      type: fc.constantFrom(1, 2, 3),
      options: fc.array(option, { maxLength: 4 }),
    });
    const permissions = fc.constantFrom("0", String(1 << 4), "8", "2251799813685247");
    const said: string[] = [];
    await fc.assert(
      fc.asyncProperty(sub, permissions, fc.boolean(), async (s, p, guild) => {
        const body = interaction({ name: "settings", permissions: p, guild, options: [s] });
        const res = await postDiscord(JSON.stringify(body));
        expect(res.status === 200 || (res.status >= 400 && res.status < 500)).toBe(true);
        if (res.status === 200)
          said.push(((await res.json()) as { data: { content: string } }).data.content);
      }),
      runs(80),
    );
    expectNoAnswerWork();
    expect(said.some((t) => t.startsWith("Updated"))).toBe(true);
    expect(said.some((t) => t.startsWith("Nothing was changed"))).toBe(true);
  });
});
