/**
 * An in-process Discord REST API at `https://discord.test/api/v10`, at least as strict as
 * the real one: keeps channels and messages (snowflake-like, increasing ids), the
 * interaction webhooks (`@original` only once the deferral has reached Discord, followups,
 * expiry), answers with Discord's real shapes and errors (50035 for content over 2,000
 * characters, 10008 for a deleted message, 10015 for a dead token, 50001/50013 without
 * access, 50083 in an archived thread), always enforces 5 message writes per 5 s per
 * channel (429 with `retry_after`), puts truthful `X-RateLimit-*` headers on every response,
 * dedupes creates by `nonce` with `enforce_nonce`, can hang or lose a response, and records
 * every request. Its clock is injectable, so a test can run minutes of Discord time at once.
 */
import type { APIMessage } from "discord-api-types/v10";
import { FakeInteractions, type PendingCode } from "./discord-interactions.ts";
import {
  MESSAGE_WRITES,
  OTHER_ROUTES,
  ScriptedFaults,
  ScriptedLimits,
  SlidingWindows,
  serverError,
  untilAborted,
  type WindowRule,
} from "./discord-limits.ts";
import { type DiscordRequest, DiscordStore } from "./discord-store.ts";
import {
  bucketOf,
  checkComponents,
  checkContent,
  checkNonce,
  DiscordError,
  discordResponse,
  type FakeDiscordOptions,
  GATEWAY_BOT,
  type Json,
  type RateHeaders,
  type RouteMatcher,
  tooManyRequests,
  unknownReference,
} from "./discord-wire.ts";

export type { PendingCode } from "./discord-interactions.ts";
export type { DiscordRequest, FakeChannel } from "./discord-store.ts";
export type { FakeDiscordOptions, RouteMatcher } from "./discord-wire.ts";

export const FAKE_DISCORD_URL = "https://discord.test/api/v10";

/** Message writes of every route that lands in one channel share this bucket. */
const MESSAGES_BUCKET = bucketOf("POST /channels/:id/messages");
const ACCESS_ERRORS = { 50001: "Missing Access", 50013: "Missing Permissions" } as const;

export class FakeDiscord extends DiscordStore {
  readonly commands = new Map<string, Json[]>();
  readonly token: string;
  /** Discord lets the bot token edit the app's non-ephemeral interaction messages; switch off to see the fallback. */
  botCanEditWebhookMessages = true;
  private readonly nonceWindowMs: number;
  private readonly interactions: FakeInteractions;
  private readonly limits = new ScriptedLimits();
  private readonly faults = new ScriptedFaults();
  private readonly windows: SlidingWindows;
  private readonly nonces = new Map<string, { messageId: string; at: number }>();
  private readonly denied = new Map<string, keyof typeof ACCESS_ERRORS>();
  private readonly archived = new Set<string>();

  constructor(opts: FakeDiscordOptions = {}) {
    super(opts.applicationId ?? "1100000000000000001", opts.now ?? Date.now);
    this.token = opts.token ?? "bot-token";
    this.nonceWindowMs = opts.nonceWindowMs ?? 2 * 60_000;
    this.windows = new SlidingWindows(this.now);
    this.interactions = new FakeInteractions(
      this.now,
      (channelId) =>
        this.store(channelId, {
          author: this.botUser,
          content: "",
          type: 20,
          flags: 128,
          webhook: true,
        }).id,
    );
  }

  /**
   * Discord sent this interaction and waits for the app's answer: until the deferral is
   * registered (`openInteraction`, or by itself at `deferredAt` on the fake's clock),
   * `@original` answers 404 with `code` (10008 Unknown Message, or 10015) and followups 10015.
   */
  pendInteraction(
    token: string,
    channelId: string,
    opts: { code?: PendingCode; deferredAt?: number } = {},
  ): void {
    this.interactions.pend(token, channelId, opts);
  }

  /** Discord has registered the deferral (type 5): `@original` shows "thinking…". */
  openInteraction(token: string, channelId: string): APIMessage {
    return this.message(this.interactions.open(token, channelId)) as APIMessage;
  }

  /** The token's 15 minutes are over: webhook calls answer 10015 Unknown Webhook. */
  expireInteraction(token: string): void {
    this.interactions.expire(token);
  }

  /** The bot lost access to the channel: its bot-token calls there answer 403 with `code`. */
  revokeAccess(channelId: string, code: keyof typeof ACCESS_ERRORS = 50001): void {
    this.denied.set(channelId, code);
  }

  restoreAccess(channelId: string): void {
    this.denied.delete(channelId);
  }

  /** The thread is archived (and locked): messages there cannot be created or edited (50083). */
  archiveThread(id: string): void {
    this.archived.add(id);
  }

  /**
   * The next `times` requests matching `match` answer 429 with `retry_after`, once `skip`
   * matching requests have gone through (on top of the limits the fake always enforces).
   */
  rateLimitNext(match: RouteMatcher, times = 1, retryAfterSeconds = 0.25, skip = 0): void {
    this.limits.rateLimitNext(match, times, retryAfterSeconds, skip);
  }

  /** The next response matching `match` reports its bucket exhausted for `resetAfterSeconds`. */
  exhaustNext(match: RouteMatcher, resetAfterSeconds: number): void {
    this.limits.exhaustNext(match, resetAfterSeconds);
  }

  /**
   * The next `times` requests matching `match` get no answer until the client aborts (its
   * `signal`); with `applied`, Discord carried the request out before going silent.
   */
  hangNext(match: RouteMatcher, times = 1, opts: { applied?: boolean } = {}): void {
    this.faults.add(match, times, { kind: "hang", applied: opts.applied ?? false });
  }

  /** The next `times` requests matching `match` get an HTTP 5xx; with `applied`, carried out first. */
  serverErrorNext(match: RouteMatcher, times = 1, o: { status?: number; applied?: boolean } = {}) {
    this.faults.add(match, times, { kind: "server_error", applied: !!o.applied, status: o.status });
  }

  /** The next `times` requests matching `match` are carried out, but the client sees a network failure. */
  loseResponseNext(match: RouteMatcher, times = 1): void {
    this.faults.add(match, times, { kind: "lose", applied: true });
  }

  async handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const path = url.pathname.replace(/^\/api\/v10/, "");
    const text = req.method === "GET" ? "" : await req.text();
    const body = text ? JSON.parse(text) : undefined;
    const record: DiscordRequest = {
      method: req.method,
      path,
      query: Object.fromEntries(url.searchParams),
      headers: Object.fromEntries(req.headers),
      body,
      at: this.now(),
    };
    this.requests.push(record);
    const fault = this.faults.take(`${req.method} ${path}`);
    if (fault && fault.kind !== "lose") {
      if (fault.applied) this.respond(req.method, path, url.searchParams, body, req.headers);
      if (fault.kind === "hang") return untilAborted(req.signal);
      record.status = fault.status ?? 500;
      return serverError(record.status);
    }
    const res = this.respond(req.method, path, url.searchParams, body, req.headers);
    record.status = res.status;
    if (res.status === 429) this.rateLimited.push(record);
    if (fault?.kind === "lose") throw new TypeError("Network connection lost.");
    return res;
  }

  /** Counts the request against its bucket (refusing it with 429 when full), then routes it. */
  private respond(
    method: string,
    path: string,
    query: URLSearchParams,
    body: Json | undefined,
    headers: Headers,
  ): Response {
    const route = `${method} ${path}`;
    const { key, rule, bucket } = this.bucketOf(method, path);
    const rate = (): RateHeaders => ({ bucket, now: this.now(), ...this.windows.state(key, rule) });
    const scripted = this.limits.refusal(route);
    if (scripted !== undefined) return tooManyRequests(rate(), scripted);
    const wait = this.windows.waitFor(key, rule);
    if (wait > 0) return tooManyRequests(rate(), wait);
    // Counted whatever the outcome: Discord's limits count refused writes too.
    this.windows.count(key, rule);
    const exhausted = this.limits.resetAfter(route);
    const limits =
      exhausted === undefined ? rate() : { ...rate(), remaining: 0, resetAfter: exhausted };
    try {
      const answer = this.route(method, path, query, body, headers);
      return discordResponse(answer === undefined ? 204 : 200, answer, limits);
    } catch (err) {
      if (!(err instanceof DiscordError)) throw err;
      return discordResponse(err.status, err.body, limits);
    }
  }

  /**
   * The bucket a request counts against: message creates and edits count per channel they
   * land in (channel routes and interaction webhooks together), everything else per route
   * and top-level resource.
   */
  private bucketOf(
    method: string,
    path: string,
  ): { key: string; rule: WindowRule; bucket: string } {
    const write = method === "POST" || method === "PATCH";
    const channelWrite = path.match(/^\/channels\/(\d+)\/messages(?:\/\d+)?$/);
    const hookWrite = path.match(/^\/webhooks\/\d+\/([^/]+)(?:\/messages\/[^/]+)?$/);
    const channel = write
      ? (channelWrite?.[1] ??
        (hookWrite ? this.interactions.channelOf(hookWrite[1] as string) : undefined))
      : undefined;
    if (channel && this.channels.has(channel))
      return { key: `messages ${channel}`, rule: MESSAGE_WRITES, bucket: MESSAGES_BUCKET };
    const parts = path.split("/");
    const major = parts.slice(0, parts[1] === "webhooks" || parts[1] === "interactions" ? 4 : 3);
    const bucket = bucketOf(`${method} ${path}`);
    return { key: `${bucket} ${major.join("/")}`, rule: OTHER_ROUTES, bucket };
  }

  private route(
    method: string,
    path: string,
    query: URLSearchParams,
    body: Json | undefined,
    headers: Headers,
  ): unknown {
    const webhook = path.match(/^\/webhooks\/(\d+)\/([^/]+)(?:\/messages\/(@original|\d+))?$/);
    if (webhook)
      return this.webhook(method, webhook[1] as string, webhook[2] as string, webhook[3], body);
    const callback = path.match(/^\/interactions\/(\d+)\/([^/]+)\/callback$/);
    if (callback && method === "POST") {
      const token = callback[2] as string;
      if (body?.type === 5 && !this.interactions.isOpen(token))
        this.openInteraction(token, this.interactions.channelOf(token) ?? "0");
      return undefined;
    }
    if (headers.get("Authorization") !== `Bot ${this.token}`) {
      throw new DiscordError(401, 0, "401: Unauthorized");
    }
    if (path === "/gateway/bot" && method === "GET") return GATEWAY_BOT;
    const commands = path.match(/^\/applications\/(\d+)(?:\/guilds\/(\d+))?\/commands$/);
    if (commands && method === "PUT") {
      const list = ((body as unknown as Json[]) ?? []).map((c) => ({
        ...c,
        id: this.nextId(),
        application_id: commands[1],
        version: "1",
      }));
      this.commands.set(commands[2] ?? "global", list);
      return list;
    }
    const roles = path.match(/^\/guilds\/(\d+)\/roles$/);
    if (roles && method === "GET") {
      const list = this.guildRoles.get(roles[1] as string);
      if (!list) throw new DiscordError(404, 10004, "Unknown Guild");
      return list;
    }
    const channel = path.match(/^\/channels\/(\d+)(\/.*)?$/);
    if (channel) return this.channel(method, channel[1] as string, channel[2] ?? "", query, body);
    throw new DiscordError(404, 0, "404: Not Found");
  }

  private channel(
    method: string,
    channelId: string,
    rest: string,
    query: URLSearchParams,
    body?: Json,
  ): unknown {
    if (!this.channels.has(channelId)) throw new DiscordError(404, 10003, "Unknown Channel");
    const denied = this.denied.get(channelId);
    if (denied) throw new DiscordError(403, denied, ACCESS_ERRORS[denied]);
    if (rest === "" && method === "GET") return this.channels.get(channelId);
    if (rest === "/typing" && method === "POST") return undefined;
    const list = this.messages.get(channelId) ?? [];
    if (rest === "/messages" && method === "POST") return this.create(channelId, body);
    if (rest === "/messages" && method === "GET") {
      const before = query.get("before");
      const limit = Math.min(100, Number(query.get("limit") ?? 50));
      return list
        .filter((x) => !before || BigInt(x.id) < BigInt(before))
        .reverse()
        .slice(0, limit)
        .map((x) => this.withReference(x));
    }
    const one = rest.match(/^\/messages\/(\d+)$/);
    const msg = one ? list.find((x) => x.id === one[1]) : undefined;
    if (one && !msg) throw new DiscordError(404, 10008, "Unknown Message");
    if (msg && method === "GET") return this.withReference(msg);
    if (msg && method === "PATCH") {
      const byApp = msg.author.id === this.applicationId;
      if (!byApp || (msg.webhook_id && !this.botCanEditWebhookMessages)) {
        throw new DiscordError(403, 50005, "Cannot edit a message authored by another user");
      }
      this.writable(channelId);
      return this.edit(msg, body);
    }
    if (msg && method === "DELETE") {
      // Without Manage Messages the bot may delete only its own messages.
      if (msg.author.id !== this.applicationId)
        throw new DiscordError(403, 50013, "Missing Permissions");
      this.deleteMessage(msg.id);
      return undefined;
    }
    throw new DiscordError(405, 0, "405: Method Not Allowed");
  }

  /**
   * `POST /channels/{id}/messages`. With `nonce` and `enforce_nonce: true`, a create whose
   * nonce the bot used in the last few minutes returns that message instead of a new one;
   * if that message was deleted meanwhile, Discord answers 10008 and creates nothing.
   * https://github.com/discord/discord-api-docs/pull/6647
   */
  private create(channelId: string, body?: Json): APIMessage {
    this.writable(channelId);
    const content = checkContent(body);
    const nonce = checkNonce(body);
    const enforce = nonce !== undefined && body?.enforce_nonce === true;
    const seen = enforce ? this.nonces.get(nonce) : undefined;
    if (seen && seen.at > this.now() - this.nonceWindowMs) {
      const earlier = this.message(seen.messageId);
      if (!earlier) throw new DiscordError(404, 10008, "Unknown Message");
      return { ...this.withReference(earlier), nonce };
    }
    const list = this.messages.get(channelId) ?? [];
    const ref = body?.message_reference as
      | { message_id?: string; fail_if_not_exists?: boolean }
      | undefined;
    const target = ref?.message_id ? list.find((x) => x.id === ref.message_id) : undefined;
    if (ref?.message_id && !target && ref.fail_if_not_exists !== false) throw unknownReference();
    const reference = target ? { message_id: target.id, channel_id: channelId } : undefined;
    const msg = this.store(channelId, {
      author: this.botUser,
      content,
      reference,
      flags: body?.flags as number | undefined,
      components: checkComponents(body),
    });
    if (enforce) this.nonces.set(nonce, { messageId: msg.id, at: this.now() });
    // The nonce comes back in the create's answer (and the Gateway event), never in later reads.
    return nonce === undefined ? msg : { ...msg, nonce };
  }

  private webhook(
    method: string,
    appId: string,
    token: string,
    messageId: string | undefined,
    body?: Json,
  ): unknown {
    if (appId !== this.applicationId) throw new DiscordError(404, 10015, "Unknown Webhook");
    const i = this.interactions.reach(token, messageId);
    if (!messageId && method === "POST") {
      this.writable(i.channelId);
      const content = checkContent(body);
      return this.store(i.channelId, {
        author: this.botUser,
        content,
        type: 20,
        webhook: true,
        flags: body?.flags as number | undefined,
        components: checkComponents(body),
      });
    }
    const id = messageId === "@original" ? i.originalId : messageId;
    const msg = (this.messages.get(i.channelId) ?? []).find((x) => x.id === id && x.webhook_id);
    if (!msg) throw new DiscordError(404, 10008, "Unknown Message");
    if (method === "GET") return msg;
    if (method === "PATCH") {
      this.writable(i.channelId);
      return this.edit(msg, body);
    }
    if (method === "DELETE") {
      this.deleteMessage(msg.id);
      return undefined;
    }
    throw new DiscordError(405, 0, "405: Method Not Allowed");
  }

  /** Refuses writes into an archived thread. */
  private writable(channelId: string): void {
    if (this.archived.has(channelId)) throw new DiscordError(400, 50083, "Thread is archived");
  }
}
