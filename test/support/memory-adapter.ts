import type { ChatAdapter, NativeStream, WriteOp } from "../../src/chat/adapter.ts";
import type { HistoryEntry, Question, SentMessage } from "../../src/chat/types.ts";
import { ChatApiError } from "../../src/errors.ts";

export interface Call {
  op: "post" | "edit" | "start" | "append" | "stop" | "working";
  id?: string;
  text?: string;
  /** For a post: the message it continues, as the core handed it. */
  after?: string;
  at: number;
}

/** A chat platform in memory: records every call with its time and keeps what each message shows. */
export class MemoryAdapter implements ChatAdapter {
  readonly platform = "slack" as const;
  readonly calls: Call[] = [];
  readonly shown = new Map<string, string>();
  readonly order: string[] = [];
  stream?: NativeStream;
  history: HistoryEntry[] = [];
  private nextId = 1;
  /** Messages whose edits the platform refuses: each edit posts a replacement instead (as Discord's stand-ins). */
  readonly replaceOnEdit = new Set<string>();
  /** Errors to throw on the next calls of an op, in order. */
  readonly failures: Partial<Record<Call["op"], ChatApiError[]>> = {};
  /** Errors the next posts throw after the message was made (the answer was lost on the way). */
  readonly landThenFail: ChatApiError[] = [];
  /** Posts by key (the idempotency key the core passes). */
  readonly keys = new Map<string, SentMessage>();
  /** Every `pace` call, in order, with the time it was asked. */
  readonly paced: { op: WriteOp; at: number }[] = [];
  /** How long `pace` makes a call wait (the shared limits are busy). */
  paceDelayMs = 0;
  /** Lets `pace` wait; set by tests that run on a virtual clock. */
  paceSleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms));

  constructor(
    readonly maxMessageChars = 500,
    readonly editIntervalMs = 1000,
    private readonly clock: () => number = Date.now,
  ) {}

  /** `unsupported`: every start is refused; `startsBeforeRefusing`: that many succeed first. */
  enableNativeStream(
    opts: {
      maxAgeMs?: number;
      maxChars?: number;
      unsupported?: boolean;
      startsBeforeRefusing?: number;
    } = {},
  ): void {
    let starts = 0;
    const self = this;
    this.stream = {
      maxAgeMs: opts.maxAgeMs ?? 240_000,
      maxChars: opts.maxChars ?? 400,
      async start(_q, text) {
        self.record("start", undefined, text);
        const refuse =
          opts.unsupported ||
          (opts.startsBeforeRefusing !== undefined && starts >= opts.startsBeforeRefusing);
        starts++;
        if (refuse)
          throw new ChatApiError("stream_unsupported", "unknown_method", {
            platformError: "unknown_method",
          });
        return self.create(text);
      },
      async append(_q, m, text) {
        self.record("append", m.id, text);
        if (self.deleted.has(m.id))
          throw new ChatApiError("message_not_found", "gone", { kind: "lost" });
        self.shown.set(m.id, (self.shown.get(m.id) ?? "") + text);
      },
      async stop(_q, m, text) {
        self.record("stop", m.id, text);
        if (text) self.shown.set(m.id, (self.shown.get(m.id) ?? "") + text);
      },
    };
  }

  private record(op: Call["op"], id?: string, text?: string, after?: string): void {
    this.calls.push({ op, id, text, at: this.clock(), ...(after ? { after } : {}) });
    const err = this.failures[op]?.shift();
    if (err) throw err;
  }

  private create(text: string): SentMessage {
    const id = `m${this.nextId++}`;
    this.shown.set(id, text);
    this.order.push(id);
    return { id };
  }

  async fetchHistory(_q: Question): Promise<HistoryEntry[]> {
    return this.history;
  }

  async post(
    _q: Question,
    text: string,
    previous?: SentMessage,
    key?: string,
  ): Promise<SentMessage> {
    this.record("post", undefined, text, previous?.id);
    const sent = this.create(text);
    if (key) this.keys.set(key, sent);
    const lost = this.landThenFail.shift();
    if (lost) throw lost;
    return sent;
  }

  async findPost(_q: Question, key: string): Promise<SentMessage | undefined> {
    return this.keys.get(key);
  }

  async pace(_q: Question, op: WriteOp): Promise<void> {
    this.paced.push({ op, at: this.clock() });
    if (this.paceDelayMs) await this.paceSleep(this.paceDelayMs);
  }

  /** Deletes a message, as a person or a moderator would. */
  remove(id: string): void {
    this.order.splice(this.order.indexOf(id), 1);
    this.shown.delete(id);
    this.deleted.add(id);
  }

  readonly deleted = new Set<string>();
  rememberAnswer?: (q: Question, m: SentMessage) => Promise<void>;

  async edit(_q: Question, m: SentMessage, text: string): Promise<SentMessage | undefined> {
    this.record("edit", m.id, text);
    if (this.deleted.has(m.id))
      throw new ChatApiError("message_not_found", "gone", { kind: "lost" });
    if (this.replaceOnEdit.has(m.id)) return this.create(text);
    this.shown.set(m.id, text);
    return undefined;
  }

  render(markdown: string): string {
    return markdown.replaceAll("@everyone", "@\u200beveryone");
  }

  async showWorking(): Promise<void> {
    this.calls.push({ op: "working", at: this.clock() });
  }

  /** The thread as a reader sees it. */
  thread(): string[] {
    return this.order.map((id) => this.shown.get(id) ?? "");
  }
}

export const sampleQuestion: Question = {
  id: "slack:C1:1700000000.000100",
  thread: { platform: "slack", workspaceId: "T1", channelId: "C1", threadId: "1700000000.000100" },
  text: "What is new in HTTP/3?",
  trigger: "mention",
  user: { id: "U1", name: "ana" },
  messageId: "1700000000.000100",
  receivedAt: 0,
};
