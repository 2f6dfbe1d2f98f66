import type { ChatAdapter, NativeStream } from "../chat/adapter.ts";
import { closingFence, openFenceAt } from "../chat/fences.ts";
import { renderableTail, splitMarkdown } from "../chat/split-markdown.ts";
import type { Question, SentMessage } from "../chat/types.ts";
import { ChatApiError } from "../errors.ts";

/** Room kept free in each message for the progress line shown under a growing answer. */
const STATUS_ROOM = 200;
/**
 * Consecutive failed platform calls after which the writer gives up (about 15 s of
 * backoff); the conversation object keeps the answer and tries again at its next heartbeat.
 */
const MAX_FAILURES = 4;

export interface WriterState {
  messages: SentMessage[];
  shown: string[];
  /** Native streaming progress, so a writer resumed from a checkpoint carries on without repeating a line. */
  streaming?: StreamingState;
}

interface StreamingState {
  /** The segment still streaming, if any. */
  open?: NativeSegment;
  /** Set once native streaming was given up (the workspace lacks it): post and edit. */
  off?: true;
  /** Offset in the rendered body where the closed segments end. */
  end: number;
  /** Where edit mode starts. */
  editBase: { offset: number; index: number };
}

export interface ReplyWriterOptions {
  adapter: ChatAdapter;
  question: Question;
  /** Messages already posted for this question (a "queued" note, or a checkpoint). */
  state?: WriterState;
  /** Called after every platform call that changed what the thread shows. */
  onProgress?: (state: WriterState) => void;
  /** Least gap between two platform calls; defaults to the adapter's edit interval. */
  intervalMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

interface NativeSegment {
  index: number;
  openedAt: number;
  /** Offset in the rendered body where this message's text starts. */
  start: number;
  /** Characters of the body appended so far. */
  appended: number;
  /** A fence line re-opened at the top of this message. */
  prefix: string;
}

/**
 * Shows a growing answer in the thread: one platform call at a time, never faster than
 * the platform's edit cadence, waiting out `Retry-After` instead of dropping an update.
 * Without native streaming it re-splits the whole answer each time (the split is stable,
 * so finished messages are not touched again). With native streaming, the first message
 * stays a status header and the answer streams into messages below it.
 */
export class ReplyWriter {
  private readonly adapter: ChatAdapter;
  private readonly question: Question;
  private readonly messages: SentMessage[];
  private readonly shown: string[];
  private readonly interval: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly onProgress?: (state: WriterState) => void;
  private text = "";
  private status = "";
  private header = "";
  private final = false;
  private dirty = false;
  private nextAt = 0;
  private failures = 0;
  private wake?: () => void;
  private loop?: Promise<void>;
  private failure?: unknown;
  /** Native streaming state: undefined until the answer starts, null once given up. */
  private native: NativeSegment | undefined | null;
  private nativeEnd = 0;
  /** Where edit mode starts (after native segments, if streaming had to stop). */
  private editBase = { offset: 0, index: 0 };

  constructor(opts: ReplyWriterOptions) {
    this.adapter = opts.adapter;
    this.question = opts.question;
    this.messages = [...(opts.state?.messages ?? [])];
    this.shown = [...(opts.state?.shown ?? [])];
    this.interval = opts.intervalMs ?? opts.adapter.editIntervalMs;
    this.now = opts.now ?? Date.now;
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.onProgress = opts.onProgress;
    const streaming = opts.state?.streaming;
    if (streaming) {
      this.native = streaming.off ? null : streaming.open && { ...streaming.open };
      this.nativeEnd = streaming.end;
      this.editBase = { ...streaming.editBase };
    }
    if (!opts.adapter.stream) this.native = null;
  }

  /** What the thread shows now, and how far native streaming got (for a checkpoint). */
  get state(): WriterState {
    const state: WriterState = { messages: [...this.messages], shown: [...this.shown] };
    if (this.adapter.stream)
      state.streaming = {
        ...(this.native ? { open: { ...this.native } } : {}),
        ...(this.native === null ? { off: true as const } : {}),
        end: this.nativeEnd,
        editBase: { ...this.editBase },
      };
    return state;
  }

  /** Sets the answer so far and the progress line; the thread catches up at the next turn. */
  update(text: string, status: string): void {
    if (this.final) return;
    if (text === this.text && status === this.status) return;
    this.text = text;
    this.status = status;
    this.poke();
  }

  /**
   * Shows the finished answer (and final status) and waits until the thread shows it.
   * `header` is what the status message above a natively streamed answer ends with.
   */
  async finish(text: string, status: string, header = status): Promise<void> {
    this.text = text;
    this.status = status;
    this.header = header;
    this.final = true;
    this.poke();
    // A loop that ended as this poke came restarts itself: wait for whichever runs last.
    while (this.loop) await this.loop;
    if (this.failure) throw this.failure;
  }

  private poke(): void {
    this.dirty = true;
    this.wake?.();
    if (this.loop || this.failure) return;
    this.loop = this.run().finally(() => {
      this.loop = undefined;
      // Poked between the loop's last check and its end: go round again.
      if (this.dirty && !this.failure) this.poke();
    });
  }

  private async run(): Promise<void> {
    while (this.dirty) {
      if (this.nextAt - this.now() > 0) {
        // Nothing left to show: end now rather than sleep out the cadence first.
        if (!(await this.step(true))) {
          this.dirty = false;
          break;
        }
        const wait = this.nextAt - this.now();
        await Promise.race([this.sleep(wait), new Promise<void>((r) => (this.wake = r))]);
        if (this.nextAt - this.now() > 0) continue;
      }
      this.dirty = false;
      try {
        const acted = await this.step(false);
        this.failures = 0;
        if (acted) {
          this.nextAt = this.now() + this.interval;
          this.dirty = true;
        }
      } catch (err) {
        this.failures++;
        const retryable =
          err instanceof ChatApiError && (err.retryable || err.retryAfterMs !== undefined);
        if (!retryable || this.failures >= MAX_FAILURES) {
          this.failure = err;
          return;
        }
        const delay =
          (err as ChatApiError).retryAfterMs ?? Math.min(30_000, 1000 * 2 ** this.failures);
        this.nextAt = this.now() + Math.max(delay, this.interval);
        this.dirty = true;
      }
    }
  }

  /**
   * Makes the next platform call the thread needs, if any; returns whether it made one.
   * With `dry`, only tells whether a call is needed, and calls nothing.
   */
  private async step(dry: boolean): Promise<boolean> {
    const body = this.adapter.render(this.text);
    if (this.native === undefined && body.trim() && this.messages.length > 0)
      return this.nativeStep(body, dry);
    if (this.native) return this.nativeStep(body, dry);
    return this.editStep(body, dry);
  }

  private desiredEdit(body: string): string[] {
    const max = this.adapter.maxMessageChars;
    const { offset } = this.editBase;
    // After natively streamed messages, a code block they left open is reopened here.
    const open = offset ? openFenceAt(body.slice(0, offset)) : undefined;
    const rest = (open ? `${open}\n` : "") + body.slice(offset);
    // Below a status header (native streaming gave up mid-answer), the header shows the status.
    const status = this.status && this.editBase.index === 0 ? this.adapter.render(this.status) : "";
    if (!rest.trim()) return [status || "…"];
    const chunks = splitMarkdown(rest, max - STATUS_ROOM);
    if (!status) return chunks;
    const last = chunks.length - 1;
    const tail = this.final ? chunks[last] : renderableTail(chunks[last] ?? "");
    chunks[last] = `${tail}\n\n${status}`.slice(0, max);
    return chunks;
  }

  private async editStep(body: string, dry: boolean): Promise<boolean> {
    const desired = this.desiredEdit(body);
    const base = this.editBase.index;
    for (let i = 0; i < desired.length; i++) {
      const at = base + i;
      const want = desired[i] as string;
      if (at < this.messages.length && this.shown[at] === want) continue;
      if (dry) return true;
      if (at < this.messages.length) {
        await this.editAt(at, want);
      } else {
        const sent = await this.adapter.post(this.question, want, this.messages.at(-1));
        this.messages.push(sent);
        this.shown.push(want);
        await this.adapter.rememberAnswer?.(this.question, sent);
      }
      this.onProgress?.(this.state);
      return true;
    }
    return this.editBase.index > 0 ? this.headerStep(dry) : false;
  }

  /** Edits message `at`; a replacement the adapter had to post takes its place from now on. */
  private async editAt(at: number, text: string): Promise<void> {
    const replacement = await this.adapter.edit(
      this.question,
      this.messages[at] as SentMessage,
      text,
    );
    if (replacement) this.messages[at] = replacement;
    this.shown[at] = text;
  }

  private async nativeStep(body: string, dry: boolean): Promise<boolean> {
    const stream = this.adapter.stream;
    if (!stream) throw new Error("nativeStep without a native stream");
    // The answer goes first; the status header (which ticks every few seconds) only when nothing else waits.
    if (await this.nativeContentStep(stream, body, dry)) return true;
    return this.headerStep(dry);
  }

  /** Brings the status message above a natively streamed answer up to date. */
  private async headerStep(dry: boolean): Promise<boolean> {
    const line = this.final ? this.header : this.status;
    const header = line ? this.adapter.render(line) : "";
    if (!header || this.shown[0] === header || !this.messages[0]) return false;
    if (dry) return true;
    await this.editAt(0, header);
    this.onProgress?.(this.state);
    return true;
  }

  private async nativeContentStep(
    stream: NativeStream,
    body: string,
    dry: boolean,
  ): Promise<boolean> {
    const stableEnd = this.final ? body.length : body.lastIndexOf("\n") + 1;
    const seg = this.native;
    if (!seg) {
      const start = this.nativeEnd;
      if (stableEnd <= start) return false;
      if (dry) return true;
      const open = openFenceAt(body.slice(0, start));
      const prefix = open ? `${open}\n` : "";
      const room = stream.maxChars - prefix.length - 8;
      const rest = body.slice(start, stableEnd);
      // A single line longer than a whole message is the one place a line gets cut.
      const piece = fitLines(rest, room) || rest.slice(0, room);
      try {
        const sent = await stream.start(this.question, prefix + piece);
        this.messages.push(sent);
        this.shown.push(prefix + piece);
        this.native = {
          index: this.messages.length - 1,
          openedAt: this.now(),
          start,
          appended: piece.length,
          prefix,
        };
        await this.adapter.rememberAnswer?.(this.question, sent);
      } catch (err) {
        if (!(err instanceof ChatApiError) || err.code !== "stream_unsupported") throw err;
        // Workspace without native streaming: post and edit from here on, at once (the
        // refused call changed nothing in the thread).
        this.native = null;
        this.editBase = { offset: start, index: this.messages.length };
        if (start === 0) this.editBase.index = 0;
        return this.editStep(body, false);
      }
      this.onProgress?.(this.state);
      return true;
    }
    const from = seg.start + seg.appended;
    const room = stream.maxChars - seg.prefix.length - seg.appended - 8;
    const expired = this.now() - seg.openedAt > stream.maxAgeMs;
    const pending = body.slice(from, stableEnd);
    const full = (pending && room <= 0) || (pending.length > room && !fitLines(pending, room));
    if (dry) return Boolean(expired || full || pending || this.final);
    if (expired || full) return this.closeSegment(body.slice(0, from));
    if (pending) {
      const piece = fitLines(pending, room);
      try {
        await stream.append(this.question, this.messages[seg.index] as SentMessage, piece);
      } catch (err) {
        if (err instanceof ChatApiError && err.code === "stream_expired")
          return this.closeSegment(body.slice(0, from), true);
        throw err;
      }
      seg.appended += piece.length;
      this.shown[seg.index] += piece;
      this.onProgress?.(this.state);
      return true;
    }
    if (this.final) return this.closeSegment(body.slice(0, from));
    return false;
  }

  /** Stops the open stream (closing a code fence it left open); the next piece opens a new message. */
  private async closeSegment(upTo: string, alreadyStopped = false): Promise<boolean> {
    const seg = this.native as NativeSegment;
    const open = openFenceAt(upTo);
    const closing = open ? `\n${closingFence(open)}` : undefined;
    if (!alreadyStopped) {
      try {
        await this.adapter.stream?.stop(
          this.question,
          this.messages[seg.index] as SentMessage,
          closing,
        );
      } catch (err) {
        if (!(err instanceof ChatApiError && err.code === "stream_expired")) throw err;
      }
    }
    if (closing) this.shown[seg.index] += closing;
    this.nativeEnd = seg.start + seg.appended;
    this.native = undefined;
    this.onProgress?.(this.state);
    return true;
  }
}

/** The longest prefix of `text` within `room` that ends at a line break (or all of it when it fits). */
function fitLines(text: string, room: number): string {
  if (text.length <= room) return text;
  const cut = text.lastIndexOf("\n", room - 1);
  return cut > 0 ? text.slice(0, cut + 1) : "";
}
