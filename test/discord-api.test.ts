import { beforeEach, describe, expect, it } from "vitest";
import { DiscordApi } from "../adapters/discord/api.ts";
import { ChatApiError } from "../src/errors.ts";
import { FAKE_DISCORD_URL, FakeDiscord } from "./fakes/discord-api.ts";
import { CHANNEL_ID, GUILD_ID, THREAD_ID } from "./support/discord-payloads.ts";

let fake: FakeDiscord;

function client(opts: Partial<ConstructorParameters<typeof DiscordApi>[0]> = {}): DiscordApi {
  return new DiscordApi({
    baseUrl: FAKE_DISCORD_URL,
    token: fake.token,
    applicationId: fake.applicationId,
    fetch: async (input, init) => fake.handle(new Request(input, init)),
    ...opts,
  });
}

/** A client whose every call answers `status` with `body`. */
const answering = (status: number, body: unknown) =>
  client({ fetch: async () => Response.json(body, { status }) });

const failure = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error("the call succeeded");
    },
    (err: unknown) => {
      expect(err).toBeInstanceOf(ChatApiError);
      return err as ChatApiError;
    },
  );

beforeEach(() => {
  fake = new FakeDiscord();
  fake.addChannel({ id: CHANNEL_ID, guild_id: GUILD_ID });
});

describe("DiscordApi: calls that get no answer", () => {
  it("gives up on a call after timeoutMs, as a transient failure that may have been applied", async () => {
    fake.hangNext("POST /channels", 1, { applied: true });
    const started = Date.now();
    const err = await failure(
      client({ timeoutMs: 100 }).createMessage(CHANNEL_ID, { content: "x" }),
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    expect(err).toMatchObject({ code: "timeout", kind: "transient", ambiguous: true });
    expect(err.retryable).toBe(true);
    // It was applied: that is why a retry must look (or dedupe) before posting again.
    expect(fake.visible(CHANNEL_ID).map((m) => m.content)).toEqual(["x"]);
  });

  it("waits 20 s by default before giving up", async () => {
    fake.hangNext("GET /channels", 1);
    const timers: number[] = [];
    const realSetTimeout = globalThis.setTimeout;
    const spy = (fn: () => void, ms?: number) => {
      timers.push(ms ?? 0);
      return realSetTimeout(fn, ms === 20_000 ? 10 : ms);
    };
    globalThis.setTimeout = spy as typeof setTimeout;
    try {
      const err = await failure(client().getChannel(CHANNEL_ID));
      expect(err.code).toBe("timeout");
    } finally {
      globalThis.setTimeout = realSetTimeout;
    }
    expect(timers).toContain(20_000);
  });

  it("reports a dropped connection as transient and ambiguous", async () => {
    fake.loseResponseNext("POST /channels");
    const err = await failure(client().createMessage(CHANNEL_ID, { content: "sent anyway" }));
    expect(err).toMatchObject({ code: "network", kind: "transient", ambiguous: true });
    expect(fake.visible(CHANNEL_ID)).toHaveLength(1);
  });
});

describe("DiscordApi: what a failure means", () => {
  it("calls an edit of a deleted message lost", async () => {
    const api = client();
    const m = await api.createMessage(CHANNEL_ID, { content: "x" });
    fake.deleteMessage(m.id);
    const err = await failure(api.editMessage(CHANNEL_ID, m.id, { content: "y" }));
    expect(err).toMatchObject({ code: "unknown_message", kind: "lost", platformError: "10008" });
    expect(err.ambiguous).toBe(false);
  });

  it("calls lost access, a missing channel, an archived thread and a bad token permanent", async () => {
    const api = client();
    fake.revokeAccess(CHANNEL_ID, 50001);
    expect(await failure(api.createMessage(CHANNEL_ID, { content: "x" }))).toMatchObject({
      code: "missing_access",
      kind: "permanent",
      retryable: false,
    });
    fake.revokeAccess(CHANNEL_ID, 50013);
    expect(await failure(api.createMessage(CHANNEL_ID, { content: "x" }))).toMatchObject({
      code: "missing_permissions",
      kind: "permanent",
    });
    expect(await failure(api.createMessage("1999999999999999999", { content: "x" }))).toMatchObject(
      { code: "unknown_channel", kind: "permanent" },
    );
    fake.addChannel({ id: THREAD_ID, guild_id: GUILD_ID, type: 11 });
    fake.archiveThread(THREAD_ID);
    expect(await failure(api.createMessage(THREAD_ID, { content: "x" }))).toMatchObject({
      code: "thread_archived",
      kind: "permanent",
      platformError: "50083",
    });
    expect(await failure(client({ token: "wrong" }).getGatewayBot())).toMatchObject({
      code: "unauthorized",
      status: 401,
      kind: "permanent",
    });
    const dm = answering(403, { message: "Cannot send messages to this user", code: 50007 });
    expect(await failure(dm.createMessage("1", { content: "x" }))).toMatchObject({
      code: "cannot_message_user",
      kind: "permanent",
    });
  });

  it("calls a body Discord refuses invalid", async () => {
    const api = client();
    expect(
      await failure(api.createMessage(CHANNEL_ID, { content: "x".repeat(2001) })),
    ).toMatchObject({ code: "invalid_form_body", kind: "invalid", retryable: false });
    expect(await failure(api.createMessage(CHANNEL_ID, { content: " " }))).toMatchObject({
      code: "empty_message",
      kind: "invalid",
      platformError: "50006",
    });
  });

  it("calls a server error transient and possibly applied, and a 429 rate_limited", async () => {
    const down = answering(502, { message: "Bad Gateway" });
    expect(await failure(down.createMessage(CHANNEL_ID, { content: "x" }))).toMatchObject({
      code: "http_error",
      status: 502,
      kind: "transient",
      retryable: true,
      ambiguous: true,
    });
    fake.rateLimitNext("POST /channels", 1, 0.4);
    expect(await failure(client().createMessage(CHANNEL_ID, { content: "x" }))).toMatchObject({
      code: "rate_limited",
      kind: "rate_limited",
      retryAfterMs: 400,
      ambiguous: false,
    });
  });

  it("keeps the codes the adapter keys on for a dead interaction token", async () => {
    for (const code of [10015, 50027]) {
      const dead = answering(code === 10015 ? 404 : 401, { message: "dead", code });
      expect(await failure(dead.editOriginal("tok", { content: "x" }))).toMatchObject({
        code: "interaction_expired",
        platformError: String(code),
      });
    }
  });
});
