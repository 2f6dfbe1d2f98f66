/**
 * An in-process Discord REST API at `https://discord.test/api/v10`: keeps channels and
 * messages (snowflake-like, increasing ids), the interaction webhooks (`@original` and
 * followups, expiring on demand), answers with Discord's real shapes and errors (50035 for
 * content over 2,000 characters, 10015 for a dead interaction token, 429 with
 * `retry_after`), puts `X-RateLimit-*` headers on every response, and records every request.
 */
import type {
  APIAttachment,
  APIMessage,
  APIMessageReference,
  APIRole,
  APIUser,
} from "discord-api-types/v10";

import {
  checkContent,
  DiscordError,
  discordResponse,
  GATEWAY_BOT,
  type Json,
  matches,
  messageShape,
  type NewMessage,
  type RouteMatcher,
  ScriptedLimits,
  unknownReference,
} from "./discord-wire.ts";

export type { RouteMatcher } from "./discord-wire.ts";

export const FAKE_DISCORD_URL = "https://discord.test/api/v10";

export interface DiscordRequest {
  method: string;
  /** Path after `/api/v10`, without the query. */
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: unknown;
  /** Epoch ms the request arrived. */
  at: number;
  /** The HTTP status the fake answered with. */
  status?: number;
}

export interface FakeChannel {
  id: string;
  type: number;
  guild_id?: string;
  parent_id?: string;
  name?: string;
}

interface Interaction {
  channelId: string;
  originalId: string;
  expired: boolean;
}

const DISCORD_EPOCH = 1420070400000n;
/** Who a seeded message is from unless the test says otherwise. */
const DEFAULT_AUTHOR: APIUser = {
  id: "2000000000000000001",
  username: "alice",
  global_name: "Alice",
  discriminator: "0",
  avatar: null,
};

export class FakeDiscord {
  readonly requests: DiscordRequest[] = [];
  readonly channels = new Map<string, FakeChannel>();
  readonly messages = new Map<string, APIMessage[]>();
  readonly commands = new Map<string, Json[]>();
  /** Each server's roles, as `GET /guilds/{id}/roles` lists them. */
  readonly guildRoles = new Map<string, APIRole[]>();
  readonly token: string;
  readonly applicationId: string;
  readonly botUser: APIUser;
  /** Discord lets the bot token edit the app's non-ephemeral interaction messages; switch off to see the fallback. */
  botCanEditWebhookMessages = true;
  private readonly interactions = new Map<string, Interaction>();
  private readonly limits = new ScriptedLimits();
  private lastId = 0n;

  constructor(opts: { token?: string; applicationId?: string } = {}) {
    this.token = opts.token ?? "bot-token";
    this.applicationId = opts.applicationId ?? "1100000000000000001";
    this.botUser = {
      id: this.applicationId,
      username: "Quarry",
      global_name: null,
      discriminator: "0",
      avatar: null,
      bot: true,
    };
  }

  /** A fresh snowflake: the current time in the high bits, always increasing. */
  nextId(): string {
    const timeBased = (BigInt(Date.now()) - DISCORD_EPOCH) << 22n;
    this.lastId = timeBased > this.lastId ? timeBased : this.lastId + 1n;
    return this.lastId.toString();
  }

  /** A server's roles; `botRole` adds the one Discord made for this bot when it joined. */
  addGuild(guildId: string, opts: { botRoleId?: string; otherRoleIds?: string[] } = {}): void {
    const role = (id: string, name: string, tags?: APIRole["tags"]): APIRole => ({
      id,
      name,
      color: 0,
      colors: { primary_color: 0, secondary_color: null, tertiary_color: null },
      hoist: false,
      position: 1,
      permissions: "0",
      managed: !!tags,
      mentionable: true,
      flags: 0 as APIRole["flags"],
      ...(tags ? { tags } : {}),
    });
    const roles = [role(guildId, "@everyone")];
    if (opts.botRoleId)
      roles.push(role(opts.botRoleId, this.botUser.username, { bot_id: this.applicationId }));
    for (const id of opts.otherRoleIds ?? []) roles.push(role(id, `role-${id}`));
    this.guildRoles.set(guildId, roles);
  }

  addChannel(channel: Partial<FakeChannel> & { id?: string }): FakeChannel {
    const c: FakeChannel = { type: 0, ...channel, id: channel.id ?? this.nextId() };
    this.channels.set(c.id, c);
    if (!this.messages.has(c.id)) this.messages.set(c.id, []);
    return c;
  }

  /** A message as if someone (a user by default) had sent it. */
  seedMessage(
    channelId: string,
    m: {
      author?: APIUser;
      content: string;
      replyTo?: string;
      attachments?: Partial<APIAttachment>[];
      type?: number;
      reference?: APIMessageReference;
      mentions?: APIUser[];
    },
  ): APIMessage {
    const author = m.author ?? DEFAULT_AUTHOR;
    const reference =
      m.reference ?? (m.replyTo ? { message_id: m.replyTo, channel_id: channelId } : undefined);
    const msg = this.store(channelId, { author, content: m.content, reference, type: m.type });
    msg.mentions = m.mentions ?? [];
    msg.attachments = (m.attachments ?? []).map((a, i) => ({
      id: `${msg.id}${i}`,
      filename: "file",
      size: 1,
      url: "",
      proxy_url: "",
      ...a,
    }));
    return msg;
  }

  /** An interaction answered with a deferral (type 5): `@original` shows "thinking…". */
  openInteraction(token: string, channelId: string): APIMessage {
    const original = this.store(channelId, {
      author: this.botUser,
      content: "",
      type: 20,
      flags: 128,
      webhook: true,
    });
    this.interactions.set(token, {
      channelId,
      originalId: original.id,
      expired: false,
    });
    return original;
  }

  /** The token's 15 minutes are over: webhook calls answer 10015 Unknown Webhook. */
  expireInteraction(token: string): void {
    const i = this.interactions.get(token);
    if (i) i.expired = true;
  }

  /**
   * The next `times` requests matching `match` answer 429 with `retry_after`, once `skip`
   * matching requests have gone through.
   */
  rateLimitNext(match: RouteMatcher, times = 1, retryAfterSeconds = 0.25, skip = 0): void {
    this.limits.rateLimitNext(match, times, retryAfterSeconds, skip);
  }

  /** The next response matching `match` reports its bucket exhausted for `resetAfterSeconds`. */
  exhaustNext(match: RouteMatcher, resetAfterSeconds: number): void {
    this.limits.exhaustNext(match, resetAfterSeconds);
  }

  /** The channel's messages oldest first, as people see them. */
  visible(
    channelId: string,
  ): { id: string; content: string; replyTo?: string; fromBot: boolean }[] {
    return (this.messages.get(channelId) ?? []).map((m) => ({
      id: m.id,
      content: m.content,
      replyTo: m.message_reference?.message_id,
      fromBot: m.author.id === this.applicationId,
    }));
  }

  message(id: string): APIMessage | undefined {
    for (const list of this.messages.values()) {
      const found = list.find((m) => m.id === id);
      if (found) return found;
    }
    return undefined;
  }

  /** Requests whose `"METHOD /path"` matches. */
  calls(match: RouteMatcher): DiscordRequest[] {
    return this.requests.filter((r) => matches(match, `${r.method} ${r.path}`));
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
      at: Date.now(),
    };
    this.requests.push(record);
    const res = this.respond(req, url, path, body);
    record.status = res.status;
    return res;
  }

  private respond(req: Request, url: URL, path: string, body: unknown): Response {
    const route = `${req.method} ${path}`;
    const refusal = this.limits.refusal(route);
    if (refusal) return refusal;
    const resetAfter = this.limits.resetAfter(route);
    try {
      const answer = this.route(
        req.method,
        path,
        url.searchParams,
        body as Json | undefined,
        req.headers,
      );
      const status = answer === undefined ? 204 : 200;
      return discordResponse(route, status, answer, resetAfter);
    } catch (err) {
      if (!(err instanceof DiscordError)) throw err;
      return discordResponse(route, err.status, err.body, resetAfter);
    }
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
      if (body?.type === 5 && !this.interactions.has(token)) this.openInteraction(token, "0");
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
    if (rest === "" && method === "GET") return this.channels.get(channelId);
    if (rest === "/typing" && method === "POST") return undefined;
    const list = this.messages.get(channelId) ?? [];
    if (rest === "/messages" && method === "POST") {
      const content = checkContent(body);
      const ref = body?.message_reference as
        | { message_id?: string; fail_if_not_exists?: boolean }
        | undefined;
      const target = ref?.message_id ? list.find((x) => x.id === ref.message_id) : undefined;
      if (ref?.message_id && !target && ref.fail_if_not_exists !== false) {
        throw unknownReference();
      }
      const reference = target ? { message_id: target.id, channel_id: channelId } : undefined;
      return this.store(channelId, {
        author: this.botUser,
        content,
        reference,
        flags: body?.flags as number | undefined,
      });
    }
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
      return this.edit(msg, body);
    }
    throw new DiscordError(405, 0, "405: Method Not Allowed");
  }

  private webhook(
    method: string,
    appId: string,
    token: string,
    messageId: string | undefined,
    body?: Json,
  ): unknown {
    const i = this.interactions.get(token);
    if (appId !== this.applicationId || !i || i.expired)
      throw new DiscordError(404, 10015, "Unknown Webhook");
    if (!messageId && method === "POST") {
      const content = checkContent(body);
      return this.store(i.channelId, {
        author: this.botUser,
        content,
        type: 20,
        webhook: true,
        flags: body?.flags as number | undefined,
      });
    }
    const id = messageId === "@original" ? i.originalId : messageId;
    const msg = (this.messages.get(i.channelId) ?? []).find((x) => x.id === id && x.webhook_id);
    if (!msg) throw new DiscordError(404, 10008, "Unknown Message");
    if (method === "GET") return msg;
    if (method === "PATCH") return this.edit(msg, body);
    throw new DiscordError(405, 0, "405: Method Not Allowed");
  }

  private edit(msg: APIMessage, body?: Json): APIMessage {
    if (body?.content !== undefined) msg.content = checkContent(body);
    // Editing a deferred response replaces its "thinking…" state.
    msg.flags = ((msg.flags ?? 0) & ~128) | ((body?.flags as number | undefined) ?? 0);
    msg.edited_timestamp = new Date().toISOString();
    return msg;
  }

  /** As REST returns a message: the replied-to message as it reads now, one level deep. */
  private withReference(msg: APIMessage): APIMessage {
    const id = msg.message_reference?.message_id;
    if (!id) return msg;
    const target = this.message(id);
    return {
      ...msg,
      referenced_message: target ? { ...target, referenced_message: undefined } : null,
    };
  }

  private store(channelId: string, m: Omit<NewMessage, "id" | "channelId">): APIMessage {
    const list = this.messages.get(channelId) ?? [];
    this.messages.set(channelId, list);
    const referenced = m.reference ? list.find((x) => x.id === m.reference?.message_id) : undefined;
    const msg = messageShape({ ...m, id: this.nextId(), channelId }, referenced);
    list.push(msg);
    return msg;
  }
}
