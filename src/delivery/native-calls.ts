import type { NativeStream } from "../chat/adapter.ts";
import type { Question, SentMessage, TaskStep } from "../chat/types.ts";
import { ChatApiError } from "../errors.ts";
import { STATUS_INTERVAL_MS } from "./cadence.ts";
import type { EditBase, View } from "./edit-plan.ts";
import type { NativeAction, NativeProgress, NativeSegment } from "./native-plan.ts";
import { cardsKey, taskCards } from "./task-plan.ts";
import { bodyBlank } from "./view-body.ts";

/** How far native streaming got, as the checkpoint keeps it. */
export interface StreamingState {
  open?: NativeSegment;
  /** Set once native streaming was given up (the workspace lacks it): post and edit. */
  off?: true;
  /** Offset in the rendered body where the closed segments end. */
  end: number;
  /** Where post-and-edit starts. */
  editBase: EditBase;
  /** The task cards the stream shows (`cardsKey`), or `off` once the workspace refused them. */
  tasks?: { shown: string } | { off: true };
}

/** Shows the steps as task cards: in the open stream, or in a new one. */
export type TaskAction = { op: "stream.start" | "stream.append"; tasks: TaskStep[] };

/** The writer's side of a native call: the thread it changes and how to record it. */
export interface StreamHost {
  readonly question: Question;
  readonly messages: SentMessage[];
  readonly shown: string[];
  readonly lost: Set<number>;
  now(): number;
  /** One more message of this answer was posted (its key counter). */
  counted(): void;
  /** After every change: the checkpoint. */
  progress(): void;
  /** The best-effort side write after a new message (Discord's reply routing). */
  remember(sent: SentMessage): Promise<void>;
}

/**
 * The native-streaming calls of one answer (Slack `chat.startStream` / `appendStream` /
 * `stopStream`, and task cards), and how far they got. A stream the workspace does not
 * have switches the writer to post and edit; a deleted stream is streamed again.
 */
export class NativeCalls {
  /** Undefined segment until text streams; null once native streaming was given up. */
  progress: NativeProgress | null;
  private tasks: NonNullable<StreamingState["tasks"]>;
  private tasksAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly host: StreamHost,
    private readonly stream: NativeStream | undefined,
    enabled: boolean,
    state?: StreamingState,
  ) {
    this.progress =
      enabled && stream && !state?.off
        ? { ...(state?.open ? { open: { ...state.open } } : {}), end: state?.end ?? 0 }
        : null;
    this.tasks = state?.tasks ? { ...state.tasks } : { shown: "" };
  }

  /** What the checkpoint keeps of native streaming (the writer adds `editBase`). */
  state(editBase: EditBase): StreamingState {
    return {
      ...(this.progress?.open ? { open: { ...this.progress.open } } : {}),
      ...(this.progress === null ? { off: true as const } : {}),
      end: this.progress?.end ?? 0,
      editBase: { ...editBase },
      tasks: { ...this.tasks },
    };
  }

  /**
   * The task cards' next update: while the model thinks (before any text), at the cadence
   * of the progress line, and once more at the end to mark every step complete.
   */
  taskAction(
    view: View,
    steps: readonly string[],
  ): (TaskAction & { notBefore?: number }) | undefined {
    if (!this.stream?.tasks || "off" in this.tasks || !steps.length || !this.progress) return;
    if (!view.final && !bodyBlank(view)) return undefined;
    if (view.final && !this.tasks.shown) return undefined;
    const tasks = taskCards(steps, view.final);
    if (cardsKey(tasks) === this.tasks.shown) return undefined;
    const op = this.progress.open ? "stream.append" : "stream.start";
    const due = view.final || !this.tasks.shown ? 0 : this.tasksAt + STATUS_INTERVAL_MS;
    return { op, tasks, ...(due > this.host.now() ? { notBefore: due } : {}) };
  }

  /**
   * Makes one native call. Returns false when nothing went out (go again at once), or
   * `{ fallbackAt }` when the workspace has no native streaming: post and edit from there.
   */
  async call(action: NativeAction | TaskAction): Promise<boolean | { fallbackAt: number }> {
    if ("tasks" in action) return this.showTasks(action.tasks);
    const { host } = this;
    const stream = this.stream as NativeStream;
    const native = this.progress as NativeProgress;
    if (action.op === "stream.start") {
      let sent: SentMessage;
      try {
        sent = await stream.start(host.question, action.text);
      } catch (err) {
        if (!isCode(err, "stream_unsupported")) throw err;
        // The refused call changed nothing in the thread.
        this.progress = null;
        return { fallbackAt: action.start };
      }
      const index = this.added(sent, action.text);
      native.open = {
        index,
        openedAt: host.now(),
        start: action.start,
        appended: action.length,
        prefix: action.prefix,
      };
      host.progress();
      await host.remember(sent);
      return true;
    }
    const seg = native.open as NativeSegment;
    const message = host.messages[seg.index] as SentMessage;
    try {
      if (action.op === "stream.append") {
        await stream.append(host.question, message, action.text);
        seg.appended += action.length;
        host.shown[seg.index] += action.text;
      } else {
        await stream.stop(host.question, message, action.closing);
        this.close(seg, action.closing);
      }
    } catch (err) {
      if (isCode(err, "stream_expired")) this.close(seg, undefined);
      else if (err instanceof ChatApiError && err.kind === "lost") {
        // The streamed message was deleted: stream its part again in a new one.
        host.lost.add(seg.index);
        native.open = undefined;
      } else throw err;
    }
    host.progress();
    return true;
  }

  /** Shows the task cards; a workspace that refuses them keeps the progress line only. */
  private async showTasks(tasks: TaskStep[]): Promise<boolean> {
    const native = this.progress as NativeProgress;
    const open = native.open && this.host.messages[native.open.index];
    let started: SentMessage | undefined;
    try {
      started = await this.stream?.tasks?.(this.host.question, open, tasks);
    } catch (err) {
      if (!isCode(err, "tasks_unsupported")) throw err;
      this.tasks = { off: true };
      this.host.progress();
      return false;
    }
    if (started && !open) {
      const index = this.added(started, "");
      native.open = {
        index,
        openedAt: this.host.now(),
        start: native.end,
        appended: 0,
        prefix: "",
      };
    }
    this.tasks = { shown: cardsKey(tasks) };
    this.tasksAt = this.host.now();
    this.host.progress();
    return true;
  }

  private added(sent: SentMessage, text: string): number {
    const index = this.host.messages.push(sent) - 1;
    this.host.shown[index] = text;
    this.host.counted();
    return index;
  }

  private close(seg: NativeSegment, closing: string | undefined): void {
    const native = this.progress as NativeProgress;
    if (closing) this.host.shown[seg.index] += closing;
    native.end = seg.start + seg.appended;
    native.open = undefined;
  }
}

function isCode(err: unknown, code: string): boolean {
  return err instanceof ChatApiError && err.code === code;
}
