import type { ChatAdapter, MessageControls, NativeStream } from "../chat/adapter.ts";
import type { Question, SentMessage } from "../chat/types.ts";
import { ChatApiError } from "../errors.ts";
import { log as defaultLog, type Logger } from "../log.ts";
import {
  type EditAction,
  type EditBase,
  planEdit,
  planHeader,
  type Shown,
  type View,
} from "./edit-plan.ts";
import { type NativeAction, type NativeSegment, planNative } from "./native-plan.ts";
import { Scheduler } from "./scheduler.ts";

/** While only the progress line changes, the thread is edited at most this often. */
export const STATUS_INTERVAL_MS = 10_000;
/** Once finishing, transient failures are retried this long; then the heartbeat takes over. */
const FINISH_RETRY_MS = 120_000;

/** What the thread shows and how far delivery got; the checkpoint stores it. */
export interface WriterState {
  messages: SentMessage[];
  shown: string[];
  /** Indexes of messages the platform lost (deleted): posted anew at the next call. */
  lost?: number[];
  /** Native streaming progress, so a writer resumed from a checkpoint repeats no line. */
  streaming?: StreamingState;
  /** A post that went out without an answer (or right before a restart): found before it is sent again. */
  pending?: { key: string; index: number; text: string };
  /** Posts made so far: each new message gets the next key. */
  posts?: number;
}

interface StreamingState {
  open?: NativeSegment;
  /** Set once native streaming was given up (the workspace lacks it): post and edit. */
  off?: true;
  /** Offset in the rendered body where the closed segments end. */
  end: number;
  /** Where post-and-edit starts. */
  editBase: EditBase;
}

export interface ReplyWriterOptions {
  adapter: ChatAdapter;
  question: Question;
  /** Messages already posted for this question (a "queued" note, or a checkpoint). */
  state?: WriterState;
  /** Stream natively where the adapter can (default: where it can). */
  native?: boolean;
  /** The question a Stop control on the progress message stops, while the answer runs. */
  stop?: string;
  /** Called after every change to what the thread shows (and before a post that may land). */
  onProgress?: (state: WriterState) => void;
  /** Called once when the platform refuses the answer for good (channel gone, permission lost, …). */
  onFatal?: (err: unknown) => void;
  /** Where the writer reports side writes that failed. */
  log?: Logger;
  /** Least gap between two platform calls; defaults to the adapter's edit interval. */
  intervalMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** A call, and when a status-only change may go out (the progress line's cadence). */
type Action = (EditAction | NativeAction) & { notBefore?: number };

/**
 * Shows a growing answer in the thread. The plans decide the next call (`planEdit` for
 * post-and-edit, `planNative` + `planHeader` for native streaming below a status message);
 * the scheduler decides when it goes; this class keeps what the thread shows and makes the
 * calls. A message the platform lost is posted anew; a refused native stream falls back to
 * post-and-edit; everything else that fails is the scheduler's to pace or give up on.
 */
export class ReplyWriter {
  private readonly adapter: ChatAdapter;
  private readonly question: Question;
  private readonly messages: SentMessage[];
  private readonly shown: string[];
  private readonly lost: Set<number>;
  private readonly now: () => number;
  private readonly onProgress?: (state: WriterState) => void;
  private readonly scheduler: Scheduler<Action>;
  private text = "";
  private status = "";
  private header = "";
  private final = false;
  /** The progress line the thread shows, and since when: it changes at most every 10 s. */
  private shownStatus = "";
  private statusAt = Number.NEGATIVE_INFINITY;
  /** Native streaming: the open segment and where closed ones end; null once given up. */
  private native: { open?: NativeSegment; end: number } | null;
  private editBase: EditBase = { offset: 0, index: 0 };
  private pending?: WriterState["pending"];
  private posts: number;
  private rendered = { text: "", body: "" };
  private readonly stop?: string;
  private readonly log: Logger;

  constructor(opts: ReplyWriterOptions) {
    this.adapter = opts.adapter;
    this.question = opts.question;
    const state = opts.state;
    this.messages = [...(state?.messages ?? [])];
    this.shown = [...(state?.shown ?? [])];
    this.lost = new Set(state?.lost ?? []);
    this.pending = state?.pending && { ...state.pending };
    this.posts = state?.posts ?? this.messages.length;
    this.now = opts.now ?? Date.now;
    this.onProgress = opts.onProgress;
    this.stop = opts.stop;
    this.log = opts.log ?? defaultLog;
    const streaming = state?.streaming;
    const nativeOk = !!opts.adapter.stream && opts.native !== false && !streaming?.off;
    this.native = nativeOk
      ? { ...(streaming?.open ? { open: { ...streaming.open } } : {}), end: streaming?.end ?? 0 }
      : null;
    if (streaming) this.editBase = { ...streaming.editBase };
    this.scheduler = new Scheduler<Action>({
      intervalMs: opts.intervalMs ?? opts.adapter.editIntervalMs,
      next: () => this.next(),
      run: (action) => this.run(action),
      pace: opts.adapter.pace && ((op) => opts.adapter.pace?.(this.question, op) as Promise<void>),
      onFatal: opts.onFatal,
      finishRetryMs: FINISH_RETRY_MS,
      now: this.now,
      sleep: opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))),
    });
  }

  /** What the thread shows now, and how far delivery got (for a checkpoint). */
  get state(): WriterState {
    const state: WriterState = {
      messages: [...this.messages],
      shown: [...this.shown],
      posts: this.posts,
    };
    if (this.lost.size) state.lost = [...this.lost];
    if (this.pending) state.pending = { ...this.pending };
    if (this.adapter.stream) {
      state.streaming = {
        ...(this.native?.open ? { open: { ...this.native.open } } : {}),
        ...(this.native === null ? { off: true as const } : {}),
        end: this.native?.end ?? 0,
        editBase: { ...this.editBase },
      };
    }
    return state;
  }

  /** The platform call that failed for good, if one did. */
  get failure(): unknown {
    return this.scheduler.failed;
  }

  /** Sets the answer so far and the progress line; the thread catches up at the next turn. */
  update(text: string, status: string): void {
    if (this.final || (text === this.text && status === this.status)) return;
    this.text = text;
    this.status = status;
    this.scheduler.poke();
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
    await this.scheduler.drain();
  }

  private get thread(): Shown {
    return { messages: this.messages, shown: this.shown, lost: this.lost };
  }

  /** The progress line to show: the newest once it is due, else the one the thread has. */
  private statusToShow(): string {
    const due = this.final || this.now() - this.statusAt >= STATUS_INTERVAL_MS;
    return due ? this.status : this.shownStatus;
  }

  private view(status = this.statusToShow()): View {
    if (this.rendered.text !== this.text || !this.rendered.body) {
      this.rendered = { text: this.text, body: this.adapter.render(this.text) };
    }
    return {
      body: this.rendered.body,
      status: status ? this.adapter.render(status) : "",
      final: this.final,
      ...(this.stop && !this.final ? { stop: this.stop } : {}),
    };
  }

  private next(): Action | undefined {
    const action = this.plan(this.view());
    if (action || this.status === this.shownStatus) return action;
    // Only the progress line changed, before its cadence allows: plan it for when it may go.
    const later = this.plan(this.view(this.status));
    return later && { ...later, notBefore: this.statusAt + STATUS_INTERVAL_MS };
  }

  private plan(view: View): Action | undefined {
    const stream = this.adapter.stream;
    if (!this.native || !stream) {
      const edit = planEdit(view, this.thread, this.editBase, this.adapter.maxMessageChars);
      return edit ?? (this.editBase.index > 0 ? this.headerAction(view) : undefined);
    }
    // Native: the first message is the status header; the answer streams below it.
    if (this.messages.length === 0 || (!this.native.open && !this.native.end && !view.body.trim()))
      return planEdit(
        { ...view, body: "" },
        this.thread,
        this.editBase,
        this.adapter.maxMessageChars,
      );
    return planNative(view, this.native, stream, this.now()) ?? this.headerAction(view);
  }

  private headerAction(view: View): EditAction | undefined {
    const line = this.final ? this.header : view.status;
    return planHeader(line ? this.adapter.render(line) : "", this.thread, view.stop);
  }

  /** Makes one call and records its effect; false when nothing went out (go again at once). */
  private async run(action: Action): Promise<boolean> {
    const status = action.notBefore !== undefined ? this.status : this.statusToShow();
    let sent = true;
    switch (action.op) {
      case "post":
        await this.post(action.index, action.text, action.controls);
        break;
      case "edit":
        await this.edit(action.index, action.text, action.controls);
        break;
      default:
        sent = await this.streamCall(this.adapter.stream as NativeStream, action);
    }
    if (sent && status !== this.shownStatus) {
      this.shownStatus = status;
      this.statusAt = this.now();
    }
    return sent;
  }

  private async post(index: number, text: string, controls?: MessageControls): Promise<void> {
    const q = this.question;
    let pending = this.pending?.index === index ? this.pending : undefined;
    if (pending && this.adapter.findPost) {
      // The last try may have landed (no answer came back, or we restarted right after it).
      const found = await this.adapter.findPost(q, pending.key);
      if (found) return this.posted(index, found, pending.text);
    }
    pending ??= { key: `${q.id}#${this.posts++}`, index, text };
    this.pending = { ...pending, text };
    this.progress();
    let sent: SentMessage;
    try {
      sent = await this.adapter.post(q, text, this.previousOf(index), pending.key, controls);
    } catch (err) {
      if (!(err instanceof ChatApiError && err.ambiguous)) this.pending = undefined;
      throw err;
    }
    await this.posted(index, sent, text);
  }

  private async posted(index: number, sent: SentMessage, text: string): Promise<void> {
    this.messages[index] = sent;
    this.shown[index] = text;
    this.lost.delete(index);
    this.pending = undefined;
    this.progress();
    // After the checkpoint: a best-effort side write must never hold up or lose the answer.
    try {
      await this.adapter.rememberAnswer?.(this.question, sent);
    } catch (err) {
      this.log.warn("answer.remember_failed", { message: sent.id, error: err });
    }
  }

  private async edit(index: number, text: string, controls?: MessageControls): Promise<void> {
    const message = this.messages[index] as SentMessage;
    try {
      const replacement = await this.adapter.edit(this.question, message, text, controls);
      if (replacement) this.messages[index] = replacement;
      this.shown[index] = text;
    } catch (err) {
      if (!isKind(err, "lost")) throw err;
      // Deleted under us: the next call posts this part anew.
      this.lost.add(index);
    }
    this.progress();
  }

  private async streamCall(stream: NativeStream, action: NativeAction): Promise<boolean> {
    const native = this.native as { open?: NativeSegment; end: number };
    const q = this.question;
    if (action.op === "stream.start") {
      let sent: SentMessage;
      try {
        sent = await stream.start(q, action.text);
      } catch (err) {
        if (!isCode(err, "stream_unsupported")) throw err;
        // No native streaming here: post and edit from this point on, at once (the refused
        // call changed nothing in the thread).
        this.native = null;
        this.editBase = { offset: action.start, index: action.start ? this.messages.length : 0 };
        this.progress();
        return false;
      }
      const index = this.messages.push(sent) - 1;
      this.shown[index] = action.text;
      this.posts++;
      native.open = {
        index,
        openedAt: this.now(),
        start: action.start,
        appended: action.length,
        prefix: action.prefix,
      };
      this.progress();
      try {
        await this.adapter.rememberAnswer?.(q, sent);
      } catch (err) {
        this.log.warn("answer.remember_failed", { message: sent.id, error: err });
      }
      return true;
    }
    const seg = native.open as NativeSegment;
    const message = this.messages[seg.index] as SentMessage;
    try {
      if (action.op === "stream.append") {
        await stream.append(q, message, action.text);
        seg.appended += action.length;
        this.shown[seg.index] += action.text;
      } else {
        await stream.stop(q, message, action.closing);
        this.close(seg, action.closing);
      }
    } catch (err) {
      if (isCode(err, "stream_expired")) this.close(seg, undefined);
      else if (isKind(err, "lost")) {
        // The streamed message was deleted: stream its part again in a new one.
        this.lost.add(seg.index);
        native.open = undefined;
      } else throw err;
    }
    this.progress();
    return true;
  }

  private close(seg: NativeSegment, closing: string | undefined): void {
    const native = this.native as { open?: NativeSegment; end: number };
    if (closing) this.shown[seg.index] += closing;
    native.end = seg.start + seg.appended;
    native.open = undefined;
  }

  /** The answer's message a new one at `index` continues (Discord replies to it). */
  private previousOf(index: number): SentMessage | undefined {
    for (let i = Math.min(index, this.messages.length) - 1; i >= 0; i--)
      if (!this.lost.has(i) && this.messages[i]) return this.messages[i];
    return undefined;
  }

  private progress(): void {
    this.onProgress?.(this.state);
  }
}

function isCode(err: unknown, code: string): boolean {
  return err instanceof ChatApiError && err.code === code;
}

function isKind(err: unknown, kind: ChatApiError["kind"]): boolean {
  return err instanceof ChatApiError && err.kind === kind;
}
