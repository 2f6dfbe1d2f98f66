import { beforeEach, describe, expect, it } from "vitest";
import { FAKE_DISCORD_URL, FakeDiscord } from "./fakes/discord-api.ts";
import { CHANNEL_ID, GUILD_ID, THREAD_ID } from "./support/discord-payloads.ts";

/**
 * The fake Discord must be at least as strict as the real one, or tests pass that production
 * fails: these pin down what it refuses, on its own virtual clock.
 */

const START = 1_790_000_000_000;
let clock: number;
let fake: FakeDiscord;

beforeEach(() => {
  clock = START;
  fake = new FakeDiscord({ now: () => clock });
  fake.addChannel({ id: CHANNEL_ID, guild_id: GUILD_ID });
});

interface Answer {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

/** One request straight to the fake, with the bot token unless `auth` is false. */
async function call(
  method: string,
  path: string,
  body?: unknown,
  opts: { auth?: boolean; signal?: AbortSignal } = {},
): Promise<Answer> {
  const headers = new Headers({ "Content-Type": "application/json" });
  if (opts.auth !== false) headers.set("Authorization", `Bot ${fake.token}`);
  const res = await fake.handle(
    new Request(`${FAKE_DISCORD_URL}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: opts.signal,
    }),
  );
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : {}, headers: res.headers };
}

const create = (content: string, extra: Record<string, unknown> = {}) =>
  call("POST", `/channels/${CHANNEL_ID}/messages`, { content, ...extra });
const hook = (token: string, rest = "") => `/webhooks/${fake.applicationId}/${token}${rest}`;

describe("fake Discord: rate limits", () => {
  it("refuses the 6th message write in 5 s in a channel with 429, retry_after and truthful headers", async () => {
    const remaining: string[] = [];
    for (let i = 0; i < 5; i++) {
      const ok = await create(`message ${i}`);
      expect(ok.status).toBe(200);
      remaining.push(ok.headers.get("X-RateLimit-Remaining") ?? "");
      clock += 500;
    }
    expect(remaining).toEqual(["4", "3", "2", "1", "0"]);
    // The first write (at START) leaves the window at START + 5 s: 2.5 s from now.
    const refused = await create("one too many");
    expect(refused.status).toBe(429);
    expect(refused.body).toEqual({
      message: "You are being rate limited.",
      retry_after: 2.5,
      global: false,
    });
    expect(refused.headers.get("Retry-After")).toBe("3");
    expect(refused.headers.get("X-RateLimit-Remaining")).toBe("0");
    expect(refused.headers.get("X-RateLimit-Reset-After")).toBe("2.500");
    expect(fake.rateLimited.map((r) => r.status)).toEqual([429]);
    expect(fake.visible(CHANNEL_ID)).toHaveLength(5);

    clock += 2_500;
    const later = await create("in time");
    expect(later.status).toBe(200);
    expect(later.headers.get("X-RateLimit-Remaining")).toBe("0");
    expect(Number(later.headers.get("X-RateLimit-Reset-After"))).toBeCloseTo(0.5, 3);
  });

  it("counts edits and interaction-webhook messages of the channel in the same window", async () => {
    fake.openInteraction("tok", CHANNEL_ID);
    const first = await create("one");
    await call("PATCH", `/channels/${CHANNEL_ID}/messages/${first.body.id}`, { content: "1" });
    await call("PATCH", hook("tok", "/messages/@original"), { content: "two" }, { auth: false });
    await call("POST", hook("tok"), { content: "three" }, { auth: false });
    await call("GET", hook("tok", "/messages/@original"), undefined, { auth: false });
    const fifth = await call("POST", hook("tok"), { content: "four" }, { auth: false });
    expect(fifth.status).toBe(200);
    expect(fifth.headers.get("X-RateLimit-Remaining")).toBe("0");
    const sixth = await create("five");
    expect(sixth.status).toBe(429);
    // Another channel has its own allowance.
    fake.addChannel({ id: THREAD_ID, guild_id: GUILD_ID, type: 11 });
    expect((await call("POST", `/channels/${THREAD_ID}/messages`, { content: "x" })).status).toBe(
      200,
    );
  });

  it("keeps the scripted 429s and exhausted buckets on top of the enforced limits", async () => {
    fake.rateLimitNext("POST /channels", 1, 0.75);
    const scripted = await create("x");
    expect(scripted.status).toBe(429);
    expect(scripted.body.retry_after).toBe(0.75);
    fake.exhaustNext("POST /channels", 2);
    const exhausted = await create("y");
    expect(exhausted.status).toBe(200);
    expect(exhausted.headers.get("X-RateLimit-Remaining")).toBe("0");
    expect(exhausted.headers.get("X-RateLimit-Reset-After")).toBe("2.000");
    expect(fake.rateLimited).toHaveLength(1);
  });
});

describe("fake Discord: interaction deferrals", () => {
  it("shows no @original until Discord has registered the deferral, then the thinking message", async () => {
    fake.pendInteraction("tok", CHANNEL_ID, { deferredAt: START + 300 });
    const early = await call("GET", hook("tok", "/messages/@original"), undefined, {
      auth: false,
    });
    expect(early.status).toBe(404);
    expect(early.body).toMatchObject({ code: 10008, message: "Unknown Message" });
    const patch = await call(
      "PATCH",
      hook("tok", "/messages/@original"),
      { content: "x" },
      {
        auth: false,
      },
    );
    expect(patch.body).toMatchObject({ code: 10008 });
    const followup = await call("POST", hook("tok"), { content: "x" }, { auth: false });
    expect(followup.status).toBe(404);
    expect(followup.body).toMatchObject({ code: 10015, message: "Unknown Webhook" });
    expect(fake.visible(CHANNEL_ID)).toEqual([]);

    clock = START + 300;
    const seen = await call("GET", hook("tok", "/messages/@original"), undefined, { auth: false });
    expect(seen.status).toBe(200);
    expect(seen.body).toMatchObject({ flags: 128, channel_id: CHANNEL_ID });
  });

  it("can answer 10015 Unknown Webhook on @original before the deferral instead", async () => {
    fake.pendInteraction("tok", CHANNEL_ID, { code: 10015 });
    const early = await call("GET", hook("tok", "/messages/@original"), undefined, {
      auth: false,
    });
    expect(early.body).toMatchObject({ code: 10015 });
    fake.openInteraction("tok", CHANNEL_ID);
    expect(
      (await call("GET", hook("tok", "/messages/@original"), undefined, { auth: false })).status,
    ).toBe(200);
  });
});

describe("fake Discord: messages", () => {
  it("returns the first message for a second create with the same nonce and enforce_nonce", async () => {
    const first = await create("draft", { nonce: "q-answer-1", enforce_nonce: true });
    const again = await create("draft, longer", { nonce: "q-answer-1", enforce_nonce: true });
    expect(again.body.id).toBe(first.body.id);
    expect(again.body).toMatchObject({ content: "draft", nonce: "q-answer-1" });
    expect(fake.visible(CHANNEL_ID)).toHaveLength(1);
    // Without enforce_nonce, or once the nonce is forgotten, a create makes a new message.
    await create("plain", { nonce: "q-answer-1" });
    clock += 2 * 60_000 + 1;
    const late = await create("late", { nonce: "q-answer-1", enforce_nonce: true });
    expect(late.body.id).not.toBe(first.body.id);
    expect(fake.visible(CHANNEL_ID)).toHaveLength(3);
    // The nonce comes back only in the create's answer, never in reads.
    const read = await call("GET", `/channels/${CHANNEL_ID}/messages/${first.body.id}`);
    expect(read.body.nonce).toBeUndefined();
    const long = await create("x", { nonce: "n".repeat(26), enforce_nonce: true });
    expect(long).toMatchObject({ status: 400, body: { code: 50035 } });
  });

  it("answers 10008 to a create whose nonce made a message deleted since", async () => {
    const first = await create("draft", { nonce: "q-answer-2", enforce_nonce: true });
    expect(fake.deleteMessage(String(first.body.id))).toBe(true);
    const again = await create("draft", { nonce: "q-answer-2", enforce_nonce: true });
    expect(again).toMatchObject({ status: 404, body: { code: 10008 } });
    expect(fake.visible(CHANNEL_ID)).toEqual([]);
  });

  it("answers 10008 to edits of a deleted message, by the bot token or the interaction webhook", async () => {
    const m = await create("soon gone");
    expect((await call("DELETE", `/channels/${CHANNEL_ID}/messages/${m.body.id}`)).status).toBe(
      204,
    );
    const edit = await call("PATCH", `/channels/${CHANNEL_ID}/messages/${m.body.id}`, {
      content: "x",
    });
    expect(edit).toMatchObject({ status: 404, body: { code: 10008 } });

    const original = fake.openInteraction("tok", CHANNEL_ID);
    fake.deleteMessage(original.id);
    const hookEdit = await call(
      "PATCH",
      hook("tok", "/messages/@original"),
      { content: "x" },
      {
        auth: false,
      },
    );
    expect(hookEdit).toMatchObject({ status: 404, body: { code: 10008 } });
  });

  it("refuses the bot without access (50001, 50013) and writes into an archived thread (50083)", async () => {
    fake.revokeAccess(CHANNEL_ID);
    expect(await create("x")).toMatchObject({
      status: 403,
      body: { code: 50001, message: "Missing Access" },
    });
    fake.revokeAccess(CHANNEL_ID, 50013);
    expect((await call("POST", `/channels/${CHANNEL_ID}/typing`)).body).toMatchObject({
      code: 50013,
    });
    fake.restoreAccess(CHANNEL_ID);
    fake.addChannel({ id: THREAD_ID, guild_id: GUILD_ID, type: 11, parent_id: CHANNEL_ID });
    fake.archiveThread(THREAD_ID);
    expect(
      await call("POST", `/channels/${THREAD_ID}/messages`, { content: "late reply" }),
    ).toMatchObject({ status: 400, body: { code: 50083 } });
  });
});

describe("fake Discord: lost and hung requests", () => {
  it("answers nothing to a hung request until the client aborts, and applies it only when told", async () => {
    fake.hangNext("POST /channels", 1);
    const controller = new AbortController();
    const hung = call(
      "POST",
      `/channels/${CHANNEL_ID}/messages`,
      { content: "x" },
      {
        signal: controller.signal,
      },
    );
    const outcome = Promise.race([
      hung.then(
        () => "answered",
        () => "rejected",
      ),
      new Promise((r) => setTimeout(() => r("still waiting"), 50)),
    ]);
    expect(await outcome).toBe("still waiting");
    controller.abort(new Error("client gave up"));
    await expect(hung).rejects.toThrow("client gave up");
    expect(fake.visible(CHANNEL_ID)).toEqual([]);

    fake.hangNext("POST /channels", 1, { applied: true });
    const timedOut = call(
      "POST",
      `/channels/${CHANNEL_ID}/messages`,
      { content: "y" },
      {
        signal: AbortSignal.timeout(20),
      },
    );
    await expect(timedOut).rejects.toBeDefined();
    expect(fake.visible(CHANNEL_ID).map((m) => m.content)).toEqual(["y"]);
  });

  it("applies a request whose answer it then loses, as a dropped connection does", async () => {
    fake.loseResponseNext("POST /channels");
    await expect(create("made anyway")).rejects.toThrow(TypeError);
    expect(fake.visible(CHANNEL_ID).map((m) => m.content)).toEqual(["made anyway"]);
    expect((await create("next")).status).toBe(200);
  });
});
