/**
 * What the fake Discord holds: servers and their roles, channels, and messages with
 * snowflake ids on the fake's clock, plus the helpers tests use to seed and read them.
 * `FakeDiscord` (discord-api.ts) puts the REST routes on top.
 */
import type {
  APIAttachment,
  APIMessage,
  APIMessageReference,
  APIRole,
  APIUser,
} from "discord-api-types/v10";
import {
  checkComponents,
  checkContent,
  type Json,
  matches,
  messageShape,
  type NewMessage,
  type RouteMatcher,
} from "./discord-wire.ts";

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

const DISCORD_EPOCH = 1420070400000n;
/** Who a seeded message is from unless the test says otherwise. */
const DEFAULT_AUTHOR: APIUser = {
  id: "2000000000000000001",
  username: "alice",
  global_name: "Alice",
  discriminator: "0",
  avatar: null,
};

export class DiscordStore {
  readonly requests: DiscordRequest[] = [];
  /** Every request the fake answered with 429, scripted or enforced. */
  readonly rateLimited: DiscordRequest[] = [];
  readonly channels = new Map<string, FakeChannel>();
  readonly messages = new Map<string, APIMessage[]>();
  /** Each server's roles, as `GET /guilds/{id}/roles` lists them. */
  readonly guildRoles = new Map<string, APIRole[]>();
  readonly applicationId: string;
  readonly botUser: APIUser;
  /** The fake's clock (epoch ms). */
  readonly now: () => number;
  private lastId = 0n;

  constructor(applicationId: string, now: () => number) {
    this.applicationId = applicationId;
    this.now = now;
    this.botUser = {
      id: applicationId,
      username: "Quarry",
      global_name: null,
      discriminator: "0",
      avatar: null,
      bot: true,
    };
  }

  /** A fresh snowflake: the current time in the high bits, always increasing. */
  nextId(): string {
    const timeBased = (BigInt(Math.floor(this.now())) - DISCORD_EPOCH) << 22n;
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

  /** Someone deleted the message: it is gone from the channel and later edits answer 10008. */
  deleteMessage(id: string): boolean {
    for (const list of this.messages.values()) {
      const at = list.findIndex((m) => m.id === id);
      if (at >= 0) {
        list.splice(at, 1);
        return true;
      }
    }
    return false;
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

  /** The `custom_id`s of the buttons message `id` shows now, as tests click them. */
  buttons(id: string): string[] {
    const rows = (this.message(id)?.components ?? []) as {
      components?: { custom_id?: string }[];
    }[];
    return rows.flatMap((r) => r.components ?? []).flatMap((b) => b.custom_id ?? []);
  }

  /** Requests whose `"METHOD /path"` matches. */
  calls(match: RouteMatcher): DiscordRequest[] {
    return this.requests.filter((r) => matches(match, `${r.method} ${r.path}`));
  }

  message(id: string): APIMessage | undefined {
    for (const list of this.messages.values()) {
      const found = list.find((m) => m.id === id);
      if (found) return found;
    }
    return undefined;
  }

  protected edit(msg: APIMessage, body?: Json): APIMessage {
    if (body?.content !== undefined) msg.content = checkContent(body);
    const components = checkComponents(body);
    if (components) msg.components = components as unknown as APIMessage["components"];
    // Editing a deferred response replaces its "thinking…" state.
    msg.flags = ((msg.flags ?? 0) & ~128) | ((body?.flags as number | undefined) ?? 0);
    msg.edited_timestamp = new Date(this.now()).toISOString();
    return msg;
  }

  /** As REST returns a message: the replied-to message as it reads now, one level deep. */
  protected withReference(msg: APIMessage): APIMessage {
    const id = msg.message_reference?.message_id;
    if (!id) return msg;
    const target = this.message(id);
    return {
      ...msg,
      referenced_message: target ? { ...target, referenced_message: undefined } : null,
    };
  }

  protected store(channelId: string, m: Omit<NewMessage, "id" | "channelId" | "at">): APIMessage {
    const list = this.messages.get(channelId) ?? [];
    this.messages.set(channelId, list);
    const referenced = m.reference ? list.find((x) => x.id === m.reference?.message_id) : undefined;
    const msg = messageShape({ ...m, id: this.nextId(), channelId, at: this.now() }, referenced);
    list.push(msg);
    return msg;
  }
}
