import type { ChatAdapter, MessageControls } from "../chat/adapter.ts";
import type { Tailed } from "../chat/growing-text.ts";
import type { MarkdownSplitter } from "../chat/split-markdown.ts";
import type { Question, SentMessage } from "../chat/types.ts";
import { ChatApiError } from "../errors.ts";
import { log as defaultLog, type Logger } from "../log.ts";
import { STATUS_INTERVAL_MS } from "./cadence.ts";
import {
  type EditAction,
  type EditBase,
  editSplitter,
  planEdit,
  planHeader,
  type Shown,
  type View,
} from "./edit-plan.ts";
import {
  NativeCalls,
  type StreamHost,
  type StreamingState,
  type TaskAction,
} from "./native-calls.ts";
import { type NativeAction, planNative } from "./native-plan.ts";
import { Scheduler } from "./scheduler.ts";
import { BodyRenderer, bodyBlank } from "./view-body.ts";

export { STATUS_INTERVAL_MS };

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
type Action = (EditAction | NativeAction | TaskAction) & { notBefore?: number };

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
  /** Splits the growing answer, keeping its settled messages from one plan to the next. */
  private readonly splitter: MarkdownSplitter;
  /** Renders the growing answer, where the adapter can, in the cost of what changed. */
  private readonly renderer: BodyRenderer;
  private text: string | Tailed = "";
  /** Builds the text on demand (see `update`), until the next plan takes it. */
  private source?: () => string | Tailed;
  private status = "";
  private header = "";
  private final = false;
  /** The progress line the thread shows, and since when: it changes at most every 10 s. */
  private shownStatus = "";
  private statusAt = Number.NEGATIVE_INFINITY;
  /** Native streaming: its calls and how far they got. */
  private readonly calls: NativeCalls;
  private editBase: EditBase = { offset: 0, index: 0 };
  private pending?: WriterState["pending"];
  private posts: number;
  /** The model's steps so far, and the task cards the stream shows. */
  private steps: readonly string[] = [];
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
    this.splitter = editSplitter(opts.adapter.maxMessageChars);
    this.renderer = new BodyRenderer(opts.adapter);
    this.onProgress = opts.onProgress;
    this.stop = opts.stop;
    this.log = opts.log ?? defaultLog;
    const streaming = state?.streaming;
    this.calls = new NativeCalls(
      this.host(),
      opts.adapter.stream,
      opts.native !== false,
      streaming,
    );
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
      state.streaming = this.calls.state(this.editBase);
    }
    return state;
  }

  /** The platform call that failed for good, if one did. */
  get failure(): unknown {
    return this.scheduler.failed;
  }

  /**
   * Sets the answer so far, the progress line and the model's steps (shown as task cards
   * where the stream takes them); the thread catches up at the next turn. `text` may be a
   * function: the writer then builds the text only when it plans a call (about once a
   * second), so a long answer does not cost a rebuild at every token. A `Tailed` text (as
   * `GrowingSources` gives) is read only at its end.
   */
  update(
    text: string | Tailed | (() => string | Tailed),
    status: string,
    steps: readonly string[] = this.steps,
  ): void {
    if (this.final) return;
    if (typeof text !== "function") {
      if (text === this.text && status === this.status && steps.length === this.steps.length)
        return;
      this.text = text;
      this.source = undefined;
    } else this.source = text;
    this.status = status;
    this.steps = steps;
    this.scheduler.poke();
  }

  /**
   * Shows the finished answer (and final status) and waits until the thread shows it.
   * `header` is what the status message above a natively streamed answer ends with.
   */
  async finish(text: string, status: string, header = status): Promise<void> {
    this.text = text;
    this.source = undefined;
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
    // Text given as a function is built only now, when a call is planned, not per token.
    if (this.source) {
      this.text = this.source();
      this.source = undefined;
    }
    const body = this.renderer.render(this.text);
    const view: View = {
      get body() {
        return body.body;
      },
      status: status ? this.adapter.render(status) : "",
      final: this.final,
      ...(this.stop && !this.final ? { stop: this.stop } : {}),
    };
    if (body.grown) view.grown = body.grown;
    return view;
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
    const native = this.calls.progress;
    if (!native || !stream) {
      const edit = planEdit(
        view,
        this.thread,
        this.editBase,
        this.adapter.maxMessageChars,
        this.splitter,
      );
      return edit ?? (this.editBase.index > 0 ? this.headerAction(view) : undefined);
    }
    // Native: the first message is the status header; the answer streams below it.
    const thinking = !native.open && !native.end && bodyBlank(view);
    if (this.messages.length === 0 || thinking) {
      const header = planEdit(
        { status: view.status, final: view.final, body: "", ...(view.stop && { stop: view.stop }) },
        this.thread,
        this.editBase,
        this.adapter.maxMessageChars,
      );
      if (header || this.messages.length === 0) return header;
    }
    return (
      this.calls.taskAction(view, this.steps) ??
      planNative(view, native, stream, this.now()) ??
      this.headerAction(view)
    );
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
        sent = await this.native(action);
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
    await this.remember(sent);
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

  /** A native call; a workspace without native streaming goes on in post and edit at once. */
  private async native(action: NativeAction | TaskAction): Promise<boolean> {
    const done = await this.calls.call(action);
    if (typeof done === "boolean") return done;
    const at = done.fallbackAt;
    this.editBase = { offset: at, index: at ? this.messages.length : 0 };
    this.progress();
    return false;
  }

  /** What the native calls see of this writer: the thread and how to record changes. */
  private host(): StreamHost {
    return {
      question: this.question,
      messages: this.messages,
      shown: this.shown,
      lost: this.lost,
      now: () => this.now(),
      counted: () => {
        this.posts++;
      },
      progress: () => this.progress(),
      remember: (sent) => this.remember(sent),
    };
  }

  /** The best-effort side write after a new message, after its checkpoint. */
  private async remember(sent: SentMessage): Promise<void> {
    try {
      await this.adapter.rememberAnswer?.(this.question, sent);
    } catch (err) {
      this.log.warn("answer.remember_failed", { message: sent.id, error: err });
    }
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

function _isCode(err: unknown, code: string): boolean {
  return err instanceof ChatApiError && err.code === code;
}

function isKind(err: unknown, kind: ChatApiError["kind"]): boolean {
  return err instanceof ChatApiError && err.kind === kind;
}
