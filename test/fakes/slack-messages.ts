/**
 * The messages of the fake Slack workspace: channels, threads and native streams, and the
 * `chat.*` and `conversations.replies` methods that read and change them, with Slack's
 * errors and content limits.
 */
import {
  type Answer,
  type Args,
  checkContent,
  checkMetadata,
  type FakeSlackMessage,
  MARKDOWN_LIMIT,
  microsFromTs,
  need,
  publicView,
  SlackError,
  str,
  truthy,
  tsFromMicros,
  UPDATE_TEXT_LIMIT,
} from "./slack-content.ts";

/** What the workspace needs to know of the fake's settings, which tests may change at any time. */
export interface WorkspaceSettings {
  botUserId: string;
  botId: string;
  nativeStreaming: string;
  /** `ok`, or the error a workspace whose streams take no task cards answers chunks with. */
  taskCards: string;
  streamExpiresAfterMs: number;
  now(): number;
}

export class SlackMessages {
  readonly channels = new Map<string, FakeSlackMessage[]>();
  /** Native streams open, by `channel:ts`, with when they started. */
  readonly streams = new Map<string, number>();
  private lastMicros = 1_700_000_000_000_000;
  private readonly ws: WorkspaceSettings;

  // Not a parameter property: Node's type stripping (bench/load) takes erasable syntax only.
  constructor(ws: WorkspaceSettings) {
    this.ws = ws;
  }

  seed(channel: string, message: FakeSlackMessage): void {
    this.lastMicros = Math.max(this.lastMicros, microsFromTs(message.ts));
    this.insert(channel, message);
  }

  postMessage(a: Args): Answer {
    const channel = need(a.channel, "channel_not_found");
    const blocks = checkContent(a);
    const metadata = checkMetadata(a.metadata);
    const message = this.botPost(channel, {
      text: str(a.text) ?? "",
      blocks,
      thread_ts: str(a.thread_ts),
      ...(metadata ? { metadata } : {}),
    });
    return { channel, ts: message.ts, message: publicView(message, true) };
  }

  update(a: Args): Answer {
    const channel = need(a.channel, "channel_not_found");
    const message = this.find(channel, need(a.ts, "message_not_found"));
    if (message.user !== this.ws.botUserId) throw new SlackError("cant_update_message");
    const blocks = checkContent(a, UPDATE_TEXT_LIMIT);
    if (typeof a.text === "string") message.text = a.text;
    // Slack keeps the previous blocks when an update leaves `blocks` out.
    if (blocks) message.blocks = blocks;
    message.edited = { user: this.ws.botUserId, ts: this.nextTs() };
    return { channel, ts: message.ts, text: message.text, message: publicView(message, true) };
  }

  chatDelete(a: Args): Answer {
    const channel = need(a.channel, "channel_not_found");
    const message = this.find(channel, need(a.ts, "message_not_found"));
    if (message.user !== this.ws.botUserId) throw new SlackError("cant_delete_message");
    this.remove(channel, message);
    return { channel, ts: message.ts };
  }

  startStream(a: Args): Answer {
    if (this.ws.nativeStreaming !== "ok") throw new SlackError(this.ws.nativeStreaming);
    const channel = need(a.channel, "channel_not_found");
    const threadTs = need(a.thread_ts, "invalid_arguments");
    // Outside DMs Slack streams to one person's client and needs to know whose.
    if (!channel.startsWith("D") && (!str(a.recipient_user_id) || !str(a.recipient_team_id)))
      throw new SlackError("invalid_arguments");
    const text = str(a.markdown_text) ?? "";
    if (text.length > MARKDOWN_LIMIT) throw new SlackError("msg_too_long");
    const tasks = this.taskChunks(a.chunks);
    const message = this.botPost(channel, {
      text,
      thread_ts: threadTs,
      ...(tasks ? { tasks } : {}),
    });
    this.streams.set(`${channel}:${message.ts}`, this.ws.now());
    return { channel, ts: message.ts };
  }

  appendOrStop(method: string, a: Args): Answer {
    const channel = need(a.channel, "channel_not_found");
    const message = this.find(channel, need(a.ts, "message_not_found"));
    const key = `${channel}:${message.ts}`;
    const started = this.streams.get(key);
    if (started === undefined) throw new SlackError("message_not_in_streaming_state");
    if (this.ws.now() - started > this.ws.streamExpiresAfterMs) {
      this.streams.delete(key);
      throw new SlackError("message_not_in_streaming_state");
    }
    const text = str(a.markdown_text);
    const tasks = this.taskChunks(a.chunks);
    if (method === "chat.appendStream" && !text && !tasks)
      throw new SlackError("invalid_arguments");
    if (tasks) message.tasks = { ...message.tasks, ...tasks };
    if (message.text.length + (text?.length ?? 0) > MARKDOWN_LIMIT)
      throw new SlackError("msg_too_long");
    message.text += text ?? "";
    if (method === "chat.stopStream") this.streams.delete(key);
    return method === "chat.stopStream"
      ? { channel, ts: message.ts, message: publicView(message, true) }
      : { channel, ts: message.ts };
  }

  /**
   * The `task_update` chunks of a stream call, by id; Slack's documented statuses only. A
   * workspace without task cards refuses any chunks (`taskCards`).
   */
  private taskChunks(raw: unknown): FakeSlackMessage["tasks"] | undefined {
    if (raw === undefined) return undefined;
    const chunks = typeof raw === "string" ? (JSON.parse(raw) as unknown) : raw;
    if (this.ws.taskCards !== "ok") throw new SlackError(this.ws.taskCards);
    if (!Array.isArray(chunks) || !chunks.length) throw new SlackError("invalid_arguments");
    const tasks: NonNullable<FakeSlackMessage["tasks"]> = {};
    for (const c of chunks as Record<string, unknown>[]) {
      const ok =
        c?.type === "task_update" &&
        typeof c.id === "string" &&
        typeof c.title === "string" &&
        ["pending", "in_progress", "complete", "error"].includes(String(c.status));
      if (!ok) throw new SlackError("invalid_chunks");
      tasks[c.id as string] = { title: c.title as string, status: c.status as string };
    }
    return tasks;
  }

  replies(a: Args): Answer {
    const channel = need(a.channel, "channel_not_found");
    if (!this.channels.has(channel)) throw new SlackError("channel_not_found");
    const ts = need(a.ts, "thread_not_found");
    const all = this.threadMessages(channel, ts);
    if (!all.length) throw new SlackError("thread_not_found");
    // `latest` / `oldest` bound the range; `inclusive` keeps messages exactly on a bound.
    const slack = truthy(a.inclusive) ? 0 : 1;
    const latest = str(a.latest) ? microsFromTs(str(a.latest) as string) - slack : Infinity;
    const oldest = str(a.oldest) ? microsFromTs(str(a.oldest) as string) + slack : -Infinity;
    const inRange = all.filter((m) => microsFromTs(m.ts) <= latest && microsFromTs(m.ts) >= oldest);
    const limit = Math.min(Number(a.limit) || 1000, 1000);
    const startTs = str(a.cursor) ? atob(str(a.cursor) as string).replace(/^next_ts:/, "") : "";
    const start = Math.max(
      0,
      inRange.findIndex((m) => m.ts === startTs),
    );
    const page = inRange.slice(start, start + limit);
    const next = inRange[start + limit];
    const withMetadata = truthy(a.include_all_metadata);
    return {
      messages: page.map((m) => publicView(m, withMetadata)),
      has_more: next !== undefined,
      ...(next ? { response_metadata: { next_cursor: btoa(`next_ts:${next.ts}`) } } : {}),
    };
  }

  private botPost(channel: string, fields: Partial<FakeSlackMessage> & { text: string }) {
    const message: FakeSlackMessage = {
      ts: this.nextTs(),
      user: this.ws.botUserId,
      bot_id: this.ws.botId,
      ...fields,
    };
    this.insert(channel, message);
    return message;
  }

  insert(channel: string, message: FakeSlackMessage): void {
    const list = this.channels.get(channel) ?? [];
    list.push(message);
    list.sort((x, y) => microsFromTs(x.ts) - microsFromTs(y.ts));
    this.channels.set(channel, list);
    const root = list.find((m) => m.ts === message.thread_ts && m !== message);
    if (root) {
      root.thread_ts = root.ts;
      root.reply_count = (root.reply_count ?? 0) + 1;
    }
  }

  remove(channel: string, message: FakeSlackMessage): void {
    const list = this.channels.get(channel) ?? [];
    list.splice(list.indexOf(message), 1);
    this.streams.delete(`${channel}:${message.ts}`);
    const root = list.find((m) => m.ts === message.thread_ts);
    if (root?.reply_count) root.reply_count--;
  }

  find(channel: string, ts: string): FakeSlackMessage {
    const message = this.channels.get(channel)?.find((m) => m.ts === ts);
    if (!message) throw new SlackError("message_not_found");
    return message;
  }

  threadMessages(channel: string, threadTs: string): FakeSlackMessage[] {
    const list = this.channels.get(channel) ?? [];
    const root = list.find((m) => m.ts === threadTs);
    return root ? [root, ...list.filter((m) => m.thread_ts === threadTs && m.ts !== threadTs)] : [];
  }

  private nextTs(): string {
    this.lastMicros += 100;
    return tsFromMicros(this.lastMicros);
  }
}
