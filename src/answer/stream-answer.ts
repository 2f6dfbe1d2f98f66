import { openRouterConfig } from "../config.ts";
import { streamChat } from "../openrouter/chat-stream.ts";
import type { ChatRequest, Citation, Usage } from "../openrouter/types.ts";
import type { AnswerJob } from "./answer-job.ts";
import type { Setup } from "./prepare.ts";
import { coarseElapsed, latestThought, progressLine } from "./progress.ts";
import { numberSources } from "./sources.ts";

/** What the model sent. */
export interface Streamed {
  citations: Citation[];
  usage?: Usage;
  finishReason?: string;
  /** OpenRouter's id of the generation, for its cost after a stop and for the logs. */
  generationId?: string;
  /** Lines for the footer: history trimmed, images not seen, … */
  notes: string[];
}

/** How often the progress line is recomputed while the model thinks (it shows coarse steps). */
const TICK_MS = 5_000;
/** How often the platform's own "working" indicator is renewed while no text has come. */
const WORKING_MS = 8_000;

/**
 * Streams the answer from OpenRouter into the thread: the progress line while the model
 * thinks, then the text as it comes. `partial` collects what arrived even when it throws.
 */
export async function streamAnswer(
  job: AnswerJob,
  setup: Setup,
  request: () => Promise<ChatRequest>,
  partial: Streamed,
): Promise<Streamed> {
  const { adapter } = job;
  const writer = job.writer();
  const model = setup.settings.model;
  const resumed = job.row.attempts > 1;
  let reasoning = "";
  let phase: "thinking" | "writing" = job.text ? "writing" : "thinking";
  const status = () =>
    progressLine({
      phase,
      elapsed: coarseElapsed(job.now() - job.startedAt),
      model,
      thought: latestThought(reasoning),
      note: resumed ? "restarted after an interruption" : undefined,
    });
  // Inline links carry their source numbers as they stream; the numbers never change later.
  const shown = () => numberSources(job.text).text;
  writer.update(shown(), status());
  const working = () => {
    if (!job.text) void adapter.showWorking?.(job.q, "is researching…")?.catch(() => {});
  };
  working();
  const ticker = setInterval(() => writer.update(shown(), status()), TICK_MS);
  const renew = setInterval(working, WORKING_MS);
  try {
    const or = openRouterConfig(job.deps.env);
    const req = await request();
    const citations = new Map<string, Citation>();
    job.text = "";
    for await (const ev of streamChat(req, {
      baseUrl: or.baseUrl,
      apiKey: or.apiKey,
      model: setup.model,
      signal: job.controller.signal,
      firstOutputTimeoutMs: or.firstOutputTimeoutMs,
      idleTimeoutMs: or.idleTimeoutMs,
    })) {
      job.deps.onActivity?.();
      if (ev.type === "text") {
        job.text += ev.text;
        phase = "writing";
      } else if (ev.type === "reasoning") reasoning += ev.text;
      else if (ev.type === "citations") {
        for (const c of ev.citations) citations.set(c.url, c);
        partial.citations = [...citations.values()];
      } else if (ev.type === "usage") partial.usage = ev.usage;
      else if (ev.type === "done") {
        partial.finishReason = ev.finishReason;
        partial.generationId = ev.generationId;
      }
      if (ev.type !== "keepalive") writer.update(shown(), status());
    }
    return partial;
  } finally {
    clearInterval(ticker);
    clearInterval(renew);
  }
}
