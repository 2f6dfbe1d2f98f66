/**
 * One whole answer through the production pipeline, in virtual time: `streamChat` parses the
 * SSE body, the loop of `src/answer/stream-answer.ts` numbers sources and builds the progress
 * line, the real `ReplyWriter` plans its calls at the adapter's edit cadence (split, safe
 * tail, render), and the real Slack or Discord adapter builds each request, which a fake
 * fetch takes (reading its body) and answers at once. Time is a virtual clock that moves
 * with the stream (a token every `TOKEN_MS`), so a 100k-token answer makes the edits a
 * 37-minute answer would make, in however long the CPU takes.
 */
import { DiscordApi } from "../adapters/discord/api.ts";
import { discordDelivery } from "../adapters/discord/delivery.ts";
import { createDiscordAdapter } from "../adapters/discord/discord-adapter.ts";
import { SlackApi } from "../adapters/slack/api.ts";
import { slackDelivery } from "../adapters/slack/delivery.ts";
import { createSlackAdapter } from "../adapters/slack/slack-adapter.ts";
import {
  answerFooter,
  coarseElapsed,
  latestThought,
  progressLine,
  summaryLine,
} from "../src/answer/progress.ts";
import { GrowingSources, numberSources } from "../src/answer/sources.ts";
import type { ChatAdapter } from "../src/chat/adapter.ts";
import { GrowingText } from "../src/chat/growing-text.ts";
import type { Question } from "../src/chat/types.ts";
import { ReplyWriter } from "../src/delivery/reply-writer.ts";
import { streamChat } from "../src/openrouter/chat-stream.ts";
import type { Citation, Usage } from "../src/openrouter/types.ts";
import { MODEL, sseResponse } from "./deep-research-sse.ts";

/** 8,000 tokens in 3 minutes, the long answer: about 44 tokens a second. */
export const TOKEN_MS = 180_000 / 8_000;
/** Deep research thinks for minutes: each reasoning or tool-call chunk moves the clock this much. */
const THINKING_MS = 250;

/** Time that moves only when told, with the writer's sleeps as its timers. */
class VirtualClock {
  t = 0;
  private timers: { at: number; resolve: () => void }[] = [];
  readonly now = () => this.t;
  readonly sleep = (ms: number) =>
    new Promise<void>((resolve) => this.timers.push({ at: this.t + ms, resolve }));

  /** Moves the clock by `ms`; true when a sleep fell due. */
  advance(ms: number): boolean {
    this.t += ms;
    if (!this.timers.length || this.timers.every((s) => s.at > this.t)) return false;
    const due = this.timers.filter((s) => s.at <= this.t);
    this.timers = this.timers.filter((s) => s.at > this.t);
    for (const s of due) s.resolve();
    return true;
  }

  /** Moves the clock to the next sleep's end, if one is pending. */
  skip(): void {
    const next = Math.min(...this.timers.map((s) => s.at));
    if (Number.isFinite(next)) this.advance(next - this.t);
  }
}

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A platform sink: the real adapter, a fake fetch that reads each request's body. */
export interface Sink {
  adapter: ChatAdapter;
  question: Question;
  native: boolean;
  /** Requests the fake fetch took, and the characters of their bodies. */
  calls: number;
  bodyChars: number;
  /** Adapter calls under way. */
  busy: number;
}

/** The adapter, counting its calls under way in `sink.busy`. */
function counted(sink: Sink, adapter: ChatAdapter): ChatAdapter {
  const track =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      sink.busy++;
      try {
        return await fn(...args);
      } finally {
        sink.busy--;
      }
    };
  const stream = adapter.stream;
  return {
    ...adapter,
    post: track(adapter.post),
    edit: track(adapter.edit),
    ...(stream
      ? {
          stream: {
            ...stream,
            start: track(stream.start),
            append: track(stream.append),
            stop: track(stream.stop),
            ...(stream.tasks ? { tasks: track(stream.tasks) } : {}),
          },
        }
      : {}),
  };
}

/** Just enough of a Response for the API clients (a real one costs more than the call). */
function reply(data: unknown): Response {
  const text = JSON.stringify(data);
  return {
    status: 200,
    ok: true,
    headers: new Headers(),
    json: async () => JSON.parse(text),
    text: async () => text,
  } as unknown as Response;
}

export function slackSink(channel: string): Sink {
  let ts = 1_700_000_000;
  const sink = {} as Sink;
  const api = new SlackApi({
    baseUrl: "https://slack.bench/api",
    token: "xoxb-bench",
    fetch: async (_input, init) => {
      sink.calls++;
      sink.bodyChars += String(init?.body ?? "").length;
      return reply({ ok: true, channel, ts: `${ts++}.000100` });
    },
  });
  const question: Question = {
    id: `slack:${channel}:1700000000.000100`,
    thread: { platform: "slack", workspaceId: "T0BENCH", channelId: channel, threadId: "1.0" },
    text: "question",
    trigger: channel.startsWith("D") ? "dm" : "mention",
    user: { id: "U0ANA", name: "Ana" },
    messageId: "1.0",
    receivedAt: 0,
    delivery: slackDelivery({
      recipientUserId: "U0ANA",
      recipientTeamId: "T0BENCH",
      channelType: channel.startsWith("D") ? "im" : "channel",
    }),
  };
  const adapter = createSlackAdapter({ api, botUserId: "U0QUARRY" });
  return Object.assign(sink, {
    adapter: counted(sink, adapter),
    question,
    native: !!adapter.stream?.preferredFor?.(question),
    calls: 0,
    bodyChars: 0,
    busy: 0,
  });
}

export function discordSink(): Sink {
  let id = 10_000_000_000_000_000n;
  const sink = {} as Sink;
  const api = new DiscordApi({
    baseUrl: "https://discord.bench/api/v10",
    token: "bench",
    applicationId: "900000000000000009",
    fetch: async (input, init) => {
      sink.calls++;
      const body = String(init?.body ?? "");
      sink.bodyChars += body.length;
      const content = (JSON.parse(body) as { content?: string }).content ?? "";
      const path = String(input);
      const mid = init?.method === "PATCH" ? (path.split("/").pop() ?? "") : String(id++);
      return reply({
        id: mid,
        channel_id: "900000000000000002",
        content,
        author: { id: "900000000000000009", username: "quarry", bot: true },
      });
    },
  });
  const question: Question = {
    id: "discord:message:900000000000000003",
    thread: {
      platform: "discord",
      workspaceId: "900000000000000001",
      channelId: "900000000000000002",
      threadId: "900000000000000003",
    },
    text: "question",
    trigger: "mention",
    user: { id: "900000000000000004", name: "Alice" },
    messageId: "900000000000000003",
    receivedAt: 0,
    delivery: discordDelivery({
      channelId: "900000000000000002",
      replyTo: "900000000000000003",
    }),
  };
  return Object.assign(sink, {
    adapter: counted(sink, createDiscordAdapter({ api, botUserId: "900000000000000009" })),
    question,
    native: false,
    calls: 0,
    bodyChars: 0,
    busy: 0,
  });
}

/** Streams `bytes` through the whole pipeline into `sink`; resolves once the thread shows all. */
export async function answerThrough(bytes: Uint8Array, sink: Sink): Promise<string> {
  const clock = new VirtualClock();
  const writer = new ReplyWriter({
    adapter: sink.adapter,
    question: sink.question,
    native: sink.native,
    stop: sink.question.id,
    now: clock.now,
    sleep: clock.sleep,
  });
  let text = "";
  let reasoning = "";
  let step: string | undefined;
  const steps: string[] = [];
  let phase: "thinking" | "writing" = "thinking";
  let citations: Citation[] = [];
  let usage: Usage | undefined;
  const status = () =>
    progressLine({
      phase,
      elapsed: coarseElapsed(clock.now()),
      model: MODEL.id,
      thought: step ?? latestThought(reasoning),
    });
  const raw = new GrowingText();
  const sources = new GrowingSources();
  const shown = () => sources.text(raw);
  writer.update(shown(), status());
  const events = streamChat(
    { model: MODEL.id, messages: [{ role: "user", content: "bench" }] },
    {
      baseUrl: "https://openrouter.bench/api/v1",
      apiKey: "k",
      model: MODEL,
      fetch: async () => sseResponse(bytes),
    },
  );
  // As `streamAnswer` does, event by event.
  for await (const ev of events) {
    let due = false;
    if (ev.type === "text") {
      text += ev.text;
      raw.append(ev.text);
      phase = "writing";
      due = clock.advance(TOKEN_MS);
    } else if (ev.type === "reasoning") {
      reasoning += ev.text;
      due = clock.advance(THINKING_MS);
    } else if (ev.type === "step") {
      step = ev.text;
      steps.push(ev.text);
      due = clock.advance(THINKING_MS);
    } else if (ev.type === "citations") citations = ev.all;
    else if (ev.type === "usage") usage = ev.usage;
    if (ev.type !== "keepalive")
      writer.update(shown, status(), ev.type === "step" ? [...steps] : undefined);
    // A due call runs now, as it would between two network reads, and takes no virtual
    // time: the stream goes on once the writer's calls are done (a Discord post hashes its
    // nonce off-thread).
    if (due || sink.busy) {
      do await yieldToLoop();
      while (sink.busy);
    }
  }
  // As `finishAnswered` does: sources, footer, the final text and header.
  const cost = { usage, model: MODEL.id, elapsedMs: clock.now() };
  const numbered = numberSources(text, citations);
  const footer = answerFooter({ ...cost, sources: numbered.sources });
  const final = `${numbered.text}\n\n${footer}`;
  let finished = false;
  const done = writer.finish(final, "", `✅ ${summaryLine(cost)}`).finally(() => {
    finished = true;
  });
  while (!finished) {
    await yieldToLoop();
    if (!finished) clock.skip();
  }
  await done;
  return final;
}
