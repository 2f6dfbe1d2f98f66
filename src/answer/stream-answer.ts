import { GrowingText } from "../chat/growing-text.ts";
import { openRouterConfig } from "../config.ts";
import { streamChat } from "../openrouter/chat-stream.ts";
import { isModelUnavailable } from "../openrouter/openrouter-error.ts";
import type { ChatRequest, Citation, Usage } from "../openrouter/types.ts";
import type { Streaming } from "./answer-budget.ts";
import type { AnswerJob } from "./answer-job.ts";
import type { Setup } from "./prepare.ts";
import { coarseElapsed, latestThought, progressLine } from "./progress.ts";
import { GrowingSources } from "./sources.ts";

/** What the model sent. */
export interface Streamed {
  citations: Citation[];
  usage?: Usage;
  finishReason?: string;
  /** OpenRouter's id of the generation, for its cost after a stop and for the logs. */
  generationId?: string;
  /** Lines for the footer: history trimmed, images not seen, … */
  notes: string[];
  /** The model that answered, as OpenRouter reports it (a fallback may have). */
  model?: string;
  /** What streamed so far, for the running cost estimate. */
  streaming: Streaming;
  /** Set once the request went to OpenRouter (it may cost from then on). */
  asked?: boolean;
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
  const resumed = job.row.attempts > 1;
  let reasoning = "";
  let step: string | undefined;
  const steps: string[] = [];
  let phase: "thinking" | "writing" = job.text ? "writing" : "thinking";
  const status = () =>
    progressLine({
      phase,
      elapsed: coarseElapsed(job.now() - job.startedAt),
      model: setup.model.id,
      thought: step ?? latestThought(reasoning),
      note: resumed ? "restarted after an interruption" : undefined,
    });
  // Inline links carry their source numbers as they stream; the numbers never change later.
  // `job.text` as pieces too, so each edit reads only the end of a long answer.
  let raw = new GrowingText(job.text);
  const sources = new GrowingSources();
  const shown = () => sources.text(raw);
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
    job.text = "";
    raw = new GrowingText();
    partial.asked = true;
    for (;;) {
      try {
        for await (const ev of streamChat(req, {
          baseUrl: or.baseUrl,
          apiKey: or.apiKey,
          model: setup.model,
          signal: job.controller.signal,
          firstOutputTimeoutMs: or.firstOutputTimeoutMs,
          idleTimeoutMs: or.idleTimeoutMs,
          onGenerationId: (id) => {
            partial.generationId = id;
          },
        })) {
          job.deps.onActivity?.();
          const counts = partial.streaming;
          if (ev.type === "text") {
            job.text += ev.text;
            raw.append(ev.text);
            counts.completionChars += ev.text.length;
            phase = "writing";
          } else if (ev.type === "reasoning") {
            reasoning += ev.text;
            counts.reasoningChars += ev.text.length;
          } else if (ev.type === "step") {
            step = ev.text;
            steps.push(ev.text);
            if (/^Searching/i.test(ev.text)) counts.webSearches++;
          } else if (ev.type === "citations") partial.citations = ev.all;
          else if (ev.type === "usage") partial.usage = ev.usage;
          else if (ev.type === "done") {
            partial.finishReason = ev.finishReason;
            partial.generationId = ev.generationId ?? partial.generationId;
            partial.model = ev.model;
          }
          if (ev.type !== "keepalive") {
            setup.budget.track(counts);
            writer.update(shown, status(), ev.type === "step" ? [...steps] : undefined);
          }
        }
        return partial;
      } catch (err) {
        // The catalog still listed a model OpenRouter no longer serves: before any output,
        // the next fallback answers instead (and the footer says so).
        const next = setup.fallbacks[0];
        if (!next || job.text || reasoning || !isModelUnavailable(err)) throw err;
        setup.requested ??= setup.model.id;
        setup.model = next;
        setup.fallbacks = setup.fallbacks.slice(1);
        Object.assign(req, {
          model: next.id,
          fallbacks: setup.fallbacks.length ? setup.fallbacks.map((m) => m.id) : undefined,
        });
        job.log.warn("answer.model_unavailable", { model: next.id, error: err });
      }
    }
  } finally {
    clearInterval(ticker);
    clearInterval(renew);
  }
}
