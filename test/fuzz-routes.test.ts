/**
 * Fuzzing every route of the Worker with requests signed for real, so garbage reaches the
 * parsers: whatever arrives gets a status below 500, and no call leaves for Slack, Discord
 * or OpenRouter. Runs are reproducible (fixed seed); a failure prints its counterexample.
 */
import fc from "fast-check";
import { beforeEach, describe, expect, it } from "vitest";
import { askInteraction } from "./support/discord-payloads.ts";
import { deliver, fuzzWorld, NO_WORK, postDiscord, postSlack } from "./support/fuzz-world.ts";
import { commandBody, eventEnvelope, mentionEvent } from "./support/slack-requests.ts";
import { settled, slackThread } from "./support/slack-world.ts";

const SEED = 20261204;
const runs = (numRuns: number) => ({ seed: SEED, numRuns });

let world: Awaited<ReturnType<typeof fuzzWorld>>;
beforeEach(async () => {
  world = await fuzzWorld();
});

/** Lets anything a request set off (a conversation object's answer) reach the fakes first. */
async function expectNoWork(): Promise<void> {
  await new Promise((r) => setTimeout(r, 300));
  expect(world.outbound()).toEqual(NO_WORK);
}

const is4xx = (status: number) => status >= 400 && status < 500;
const FORM = "application/x-www-form-urlencoded";
const contentType = fc.constantFrom("application/json", FORM, "text/plain", "", "application/xml");
const jsonText = fc.jsonValue({ maxDepth: 3 }).map((j) => JSON.stringify(j) ?? "null");
const mentionBody = () => eventEnvelope(mentionEvent("C0FUZZ", "1.1", "what is new?"));

/** A JSON document `depth` levels deep: arrays, or objects each holding the next under `a`. */
function nested(depth: number, kind: "array" | "object"): string {
  return kind === "array"
    ? `${"[".repeat(depth)}${"]".repeat(depth)}`
    : `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;
}
const deep = fc.record({
  depth: fc.integer({ min: 1, max: 20_000 }),
  kind: fc.constantFrom("array" as const, "object" as const),
});

describe("POST /slack/events, signed for real", () => {
  it("answers random bytes with a 4xx", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2048 }), contentType, async (bytes, type) => {
        expect(is4xx((await postSlack(bytes, { contentType: type })).status)).toBe(true);
      }),
      runs(60),
    );
    await expectNoWork();
  });

  it("answers truncated JSON, random JSON and deeply nested JSON with a 4xx", async () => {
    const full = mentionBody();
    const body = fc.oneof(
      fc.nat({ max: full.length - 1 }).map((n) => full.slice(0, n)),
      jsonText,
      deep.map(({ depth, kind }) => nested(depth, kind)),
      deep.map(
        ({ depth, kind }) =>
          `{"type":"event_callback","team_id":"T0","event_id":"Ev1","event":${nested(depth, kind)}}`,
      ),
    );
    await fc.assert(
      fc.asyncProperty(body, async (b) => {
        expect(is4xx((await postSlack(b)).status)).toBe(true);
      }),
      runs(60),
    );
    await expectNoWork();
  });

  it("answers a real mention sent with a content type other than JSON with a 4xx", async () => {
    const type = fc.constantFrom(FORM, "text/plain", "", "multipart/form-data; boundary=x", "json");
    await fc.assert(
      fc.asyncProperty(type, async (t) => {
        expect(is4xx((await postSlack(mentionBody(), { contentType: t || null })).status)).toBe(
          true,
        );
      }),
      runs(20),
    );
    await expectNoWork();
  });

  it("acknowledges event types it does not handle with a 200 and does nothing", async () => {
    // Slack retries an event that does not get a 2xx (and disables the subscription after
    // enough failures): an event Quarry has no use for still gets its 200.
    // https://docs.slack.dev/apis/events-api/#responding
    const type = fc
      .stringMatching(/^[a-z_]{1,24}$/)
      .filter((t) => !["message", "app_mention", "agent_session_stopped"].includes(t));
    const extra = fc.dictionary(fc.stringMatching(/^[a-z_]{1,10}$/), fc.jsonValue({ maxDepth: 2 }));
    await fc.assert(
      fc.asyncProperty(type, extra, async (t, fields) => {
        const res = await postSlack(eventEnvelope({ ...fields, type: t }));
        expect(res.status).toBe(200);
      }),
      runs(40),
    );
    await expectNoWork();
  });

  it("answers a mention with a required field missing or mistyped with a 4xx", async () => {
    const required = [
      "type",
      "team_id",
      "event_id",
      "event",
      "event.type",
      "event.channel",
      "event.ts",
    ];
    const broken = fc.oneof(
      fc.constant(undefined),
      fc.constant(null),
      fc.integer(),
      fc.array(fc.nat()),
    );
    await fc.assert(
      fc.asyncProperty(fc.subarray(required, { minLength: 1 }), broken, async (paths, value) => {
        const body = JSON.parse(mentionBody()) as Record<string, Record<string, unknown>>;
        for (const path of paths) {
          const [head = "", tail] = path.split(".");
          const holder = tail ? body[head] : body;
          if (holder && typeof holder === "object") holder[tail ?? head] = value;
        }
        expect(is4xx((await postSlack(JSON.stringify(body))).status)).toBe(true);
      }),
      runs(60),
    );
    await expectNoWork();
  });

  it("ignores a plain channel message whatever the bot user id holds (regex characters included)", async () => {
    const botId = fc.oneof(
      fc.string({ minLength: 1, maxLength: 12 }),
      fc.constantFrom("U(", "U[0", "U)", "U\\", "*U", "U{2", "U+?", "U|X", "U$^"),
    );
    await fc.assert(
      fc.asyncProperty(botId, fc.string({ maxLength: 80 }), async (id, text) => {
        const event = {
          type: "message",
          channel_type: "channel",
          channel: "C0FUZZ",
          user: "U0ANA",
          text,
          ts: "2.2",
        };
        const res = await postSlack(eventEnvelope(event, { botUserId: id }));
        expect(res.status).toBe(200);
      }),
      runs(40),
    );
    await expectNoWork();
  });

  it("answers unknown slash commands and broken command forms with a 4xx or an ephemeral 200", async () => {
    const command = fc.stringMatching(/^\/[a-z-]{1,12}$/).filter((c) => !c.startsWith("/ask"));
    const drop = fc.subarray([
      "command",
      "user_id",
      "channel_id",
      "team_id",
      "response_url",
      "trigger_id",
    ]);
    await fc.assert(
      fc.asyncProperty(command, fc.string({ maxLength: 60 }), drop, async (name, text, missing) => {
        const form = new URLSearchParams(commandBody(name, text));
        for (const key of missing) form.delete(key);
        const res = await postSlack(form.toString(), { contentType: FORM });
        expect(missing.length ? is4xx(res.status) : res.status === 200).toBe(true);
      }),
      runs(40),
    );
    await expectNoWork();
  });

  it("acknowledges interaction payloads it does not handle and answers broken ones with a 4xx", async () => {
    const payload = fc.oneof(
      fc.record({
        type: fc.constantFrom(
          "block_actions",
          "view_submission",
          "shortcut",
          "message_action",
          "x",
        ),
        user: fc.record({ id: fc.string() }),
        actions: fc.array(fc.record({ action_id: fc.string(), value: fc.string() }), {
          maxLength: 3,
        }),
      }),
      fc.jsonValue({ maxDepth: 2 }),
    );
    await fc.assert(
      fc.asyncProperty(payload, fc.boolean(), async (p, truncate) => {
        const json = JSON.stringify(p) ?? "null";
        const raw = truncate ? json.slice(0, -1) : json;
        const res = await postSlack(new URLSearchParams({ payload: raw }).toString(), {
          contentType: FORM,
        });
        expect(res.status).toBeLessThan(500);
      }),
      runs(40),
    );
    await expectNoWork();
  });

  it("refuses bad signature headers with a 401", async () => {
    const header = fc.option(fc.string({ maxLength: 80 }), { nil: undefined });
    await fc.assert(
      fc.asyncProperty(header, header, async (timestamp, signature) => {
        const headers = new Headers({ "content-type": "application/json" });
        if (timestamp !== undefined) headers.set("x-slack-request-timestamp", timestamp);
        if (signature !== undefined) headers.set("x-slack-signature", signature);
        const req = new Request("https://quarry.test/slack/events", {
          method: "POST",
          headers,
          body: mentionBody(),
        });
        expect((await deliver(req)).status).toBe(401);
      }),
      runs(40),
    );
    await expectNoWork();
  });
});

describe("POST /discord/interactions, signed for real", () => {
  it("answers random bytes, truncated, random and deeply nested JSON with a 4xx", async () => {
    const full = JSON.stringify(askInteraction("what is new?"));
    const body = fc.oneof(
      fc.uint8Array({ maxLength: 2048 }),
      fc.nat({ max: full.length - 1 }).map((n) => full.slice(0, n)),
      jsonText.filter((j) => !/"type":1\b/.test(j)),
      deep.map(({ depth, kind }) => nested(depth, kind)),
      deep.map(({ depth, kind }) => `{"type":2,"data":${nested(depth, kind)}}`),
    );
    await fc.assert(
      fc.asyncProperty(body, async (b) => {
        expect(is4xx((await postDiscord(b)).status)).toBe(true);
      }),
      runs(80),
    );
    await expectNoWork();
  });

  it("answers unknown interaction types, commands and components with a 4xx", async () => {
    const base = askInteraction("what is new?");
    const variant = fc.oneof(
      fc.integer({ min: 5, max: 1000 }).map((type) => ({ ...base, type })),
      fc
        .stringMatching(/^[a-z-]{1,12}$/)
        .filter((n) => n !== "ask" && n !== "settings")
        .map((name) => ({ ...base, data: { ...(base.data as object), name } })),
      fc.string({ maxLength: 60 }).map((custom_id) => ({ ...base, type: 3, data: { custom_id } })),
    );
    await fc.assert(
      fc.asyncProperty(variant, async (v) => {
        expect(is4xx((await postDiscord(JSON.stringify(v))).status)).toBe(true);
      }),
      runs(40),
    );
    await expectNoWork();
  });

  it("answers an /ask with a required field missing or mistyped with a 4xx", async () => {
    const required = [
      "id",
      "application_id",
      "type",
      "token",
      "data",
      "channel+channel_id",
      "member+user",
    ];
    const broken = fc.oneof(
      fc.constant(undefined),
      fc.constant(null),
      fc.constant(""),
      fc.array(fc.nat()),
    );
    await fc.assert(
      fc.asyncProperty(fc.subarray(required, { minLength: 1 }), broken, async (paths, value) => {
        const body: Record<string, unknown> = askInteraction("what is new?");
        for (const key of paths.flatMap((p) => p.split("+"))) body[key] = value;
        expect(is4xx((await postDiscord(JSON.stringify(body))).status)).toBe(true);
      }),
      runs(40),
    );
    await expectNoWork();
  });

  it("refuses bad signature headers with a 401", async () => {
    const header = fc.option(fc.string({ maxLength: 140 }), { nil: undefined });
    await fc.assert(
      fc.asyncProperty(header, header, async (timestamp, signature) => {
        const headers = new Headers({ "content-type": "application/json" });
        if (timestamp !== undefined) headers.set("x-signature-timestamp", timestamp);
        if (signature !== undefined) headers.set("x-signature-ed25519", signature);
        const req = new Request("https://quarry.test/discord/interactions", {
          method: "POST",
          headers,
          body: JSON.stringify(askInteraction("q")),
        });
        expect((await deliver(req)).status).toBe(401);
      }),
      runs(40),
    );
    await expectNoWork();
  });
});

describe("every route", () => {
  it("verifies a body that starts with a UTF-8 BOM as the bytes it is, then reads past the BOM", async () => {
    const bom = (text: string) =>
      new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode(text)]);
    const slack = await postSlack(bom('{"type":"url_verification","challenge":"c1"}'));
    expect(slack.status).toBe(200);
    const discord = await postDiscord(bom('{"id":"1","application_id":"1","type":1,"token":"t"}'));
    expect(discord.status).toBe(200);
  });

  it("answers a body signed for real, whatever its bytes, without calling it a bad signature", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 256 }), fc.boolean(), async (bytes, bom) => {
        const body = bom ? new Uint8Array([0xef, 0xbb, 0xbf, ...bytes]) : bytes;
        expect((await postSlack(body)).status).not.toBe(401);
        expect((await postDiscord(body)).status).not.toBe(401);
      }),
      runs(40),
    );
    await expectNoWork();
  });

  it("answers bodies over 1 MB with a 413, with or without a content-length", async () => {
    const big = new Uint8Array(1024 * 1024 + 1).fill(0x20);
    for (const path of ["/slack/events", "/discord/interactions"]) {
      for (const chunked of [false, true]) {
        const body = chunked
          ? new ReadableStream({
              start(c) {
                for (let at = 0; at < big.length; at += 64 * 1024)
                  c.enqueue(big.slice(at, at + 64 * 1024));
                c.close();
              },
            })
          : big;
        const headers = chunked ? undefined : { "content-length": String(big.length) };
        const req = new Request(`https://quarry.test${path}`, { method: "POST", headers, body });
        expect((await deliver(req)).status, `${path} chunked=${chunked}`).toBe(413);
      }
    }
    await expectNoWork();
  });

  it("answers any other method or path with a 4xx", async () => {
    const method = fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS");
    const path = fc.oneof(
      fc.constantFrom(
        "/slack/events",
        "/discord/interactions",
        "/health",
        "/",
        "/slack",
        "/discord",
      ),
      fc.webPath(),
    );
    await fc.assert(
      fc.asyncProperty(method, path, async (m, p) => {
        fc.pre(!(m === "GET" && p === "/health"));
        fc.pre(!(m === "POST" && (p === "/slack/events" || p === "/discord/interactions")));
        const req = new Request(`https://quarry.test${p.startsWith("/") ? p : `/${p}`}`, {
          method: m,
          ...(m === "GET" ? {} : { body: "x" }),
        });
        expect(is4xx((await deliver(req)).status)).toBe(true);
      }),
      runs(60),
    );
    await expectNoWork();
  });

  it("sees work when there is some: a real signed mention reaches Slack and OpenRouter", async () => {
    // The control for every `expectNoWork` above: the same check fails on a real question.
    // Last, and waited for, so its answer cannot reach the fakes of another test.
    world.slack.seedMessage("C0FUZZCTRL", { ts: "9.9", user: "U0ANA", text: "<@U0QUARRY> hi" });
    const body = eventEnvelope(mentionEvent("C0FUZZCTRL", "9.9", "hi"));
    expect((await postSlack(body)).status).toBe(200);
    await settled(slackThread("C0FUZZCTRL", "9.9"));
    expect(world.outbound()).not.toEqual(NO_WORK);
  });
});
