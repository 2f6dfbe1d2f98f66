/**
 * Every way an OpenRouter answer can fail, in the real shapes OpenRouter sends, with what the
 * thread must say about it. Both platforms' fault matrices (test/faults-openrouter-*.test.ts)
 * run these rows; each row is one question that fails and a next question that is answered.
 */
import type { ScriptedReply } from "../fakes/openrouter.ts";

export const DEEP = "openai/o4-mini-deep-research";
const M = "`openai/o4-mini-deep-research`";

export interface Fault {
  name: string;
  /** The catalog lists the default fallbacks too (as the real one does), so one may answer. */
  fallbacksListed?: boolean;
  /** What the fake answers, in order: the faulty reply, then any a fallback gets. */
  replies: ScriptedReply[];
  /** How the question ends. */
  state: "failed" | "answered";
  /** Said once in the thread, on the question's last message. */
  says: (string | RegExp)[];
  /** Text streamed before the fault: kept in the thread, once. */
  kept?: string;
  /** Chat-completion requests the question makes (more than one when a fallback is tried). */
  requests?: number;
  /**
   * What the channel's ledger books for it: 0 for a request OpenRouter refused with an HTTP
   * error (no generation ran, nothing is billed), else the generation's reported cost.
   */
  spentUsd: number;
}

const httpError = (
  status: number,
  message: string,
  metadata?: Record<string, unknown>,
  headers?: Record<string, string>,
): ScriptedReply => ({
  error: {
    status,
    body: { error: { code: status, message, ...(metadata ? { metadata } : {}) } },
    headers,
  },
});

const PARTIAL = "Granite forms from slowly cooled magma. ";
/** What `GET /generation` reports for a generation that failed after it started. */
const GENERATION_COST = 0.0042;
const FALLBACK_COST = 0.0031;

export const OPENROUTER_FAULTS: Fault[] = [
  {
    name: "401: the API key is refused",
    replies: [httpError(401, "No cookie auth credentials found")],
    spentUsd: 0,
    state: "failed",
    says: ["OpenRouter rejected the API key (401)", "OPENROUTER_API_KEY is invalid or disabled"],
  },
  {
    name: "402: out of credits",
    replies: [
      httpError(
        402,
        "This request requires more credits, or fewer max_tokens. You requested up to 100000 tokens, but can only afford 1893. To increase, visit https://openrouter.ai/settings/credits and add more credits",
      ),
    ],
    spentUsd: 0,
    state: "failed",
    says: ["out of credits (402)", "https://openrouter.ai/settings/credits"],
  },
  {
    name: "403: moderation flagged the input",
    replies: [
      httpError(
        403,
        `${DEEP} requires moderation on OpenAI. Your input was flagged for "violence".`,
        {
          reasons: ["violence"],
          flagged_input: "how do I…",
          provider_name: "OpenAI",
          model_slug: DEEP,
        },
      ),
    ],
    spentUsd: 0,
    state: "failed",
    says: ["moderation flagged this question (403): violence", "Rephrase it"],
  },
  {
    name: "408: OpenRouter timed out",
    replies: [httpError(408, "Request timed out")],
    spentUsd: 0,
    state: "failed",
    says: [`OpenRouter timed out waiting for ${M} (408); try again later.`],
  },
  {
    name: "429: rate-limited, with Retry-After",
    replies: [
      httpError(
        429,
        "Rate limit exceeded: limit_rpm/openai/o4-mini-deep-research",
        { headers: { "X-RateLimit-Limit": "20", "X-RateLimit-Remaining": "0" } },
        { "Retry-After": "60" },
      ),
    ],
    spentUsd: 0,
    state: "failed",
    says: [`OpenRouter is rate-limiting requests to ${M} right now (it asks to wait 1 minute)`],
  },
  {
    name: "502: Provider returned error, with the provider's reason",
    replies: [
      httpError(502, "Provider returned error", {
        raw: JSON.stringify({
          error: { message: "The server had an error while processing your request." },
        }),
        provider_name: "OpenAI",
      }),
    ],
    spentUsd: 0,
    state: "failed",
    says: [`The provider behind ${M} returned an error: The server had an error`],
  },
  {
    name: "502: a gateway's HTML page instead of JSON",
    replies: [
      {
        error: {
          status: 502,
          body: "<html><head><title>502 Bad Gateway</title></head><body>cloudflare</body></html>",
          headers: { "Content-Type": "text/html" },
        },
      },
    ],
    spentUsd: 0,
    state: "failed",
    says: [`${M} is unavailable at OpenRouter right now (502); try again later or pick another`],
  },
  {
    name: "503: no instance of the model, no fallback listed",
    replies: [httpError(503, `No instances available for ${DEEP}`)],
    spentUsd: 0,
    state: "failed",
    says: [`${M} is unavailable at OpenRouter right now (503)`],
  },
  {
    name: "503: no instance of the model, a fallback listed answers and the footer says so",
    fallbacksListed: true,
    replies: [
      httpError(503, `No instances available for ${DEEP}`),
      { text: ["Granite is harder, answered by the fallback."], usage: { cost: FALLBACK_COST } },
    ],
    spentUsd: FALLBACK_COST,
    state: "answered",
    requests: 2,
    says: [
      "Granite is harder, answered by the fallback.",
      `Answered by \`perplexity/sonar-deep-research\` because ${M} is not available`,
    ],
  },
  {
    name: "200 stream whose first chunk is an in-band Provider returned error",
    replies: [
      {
        midStreamError: {
          code: 502,
          message: "Provider returned error",
          metadata: {
            raw: JSON.stringify({ error: { message: "upstream overloaded, retry later" } }),
            provider_name: "OpenAI",
          },
        },
        generationCost: GENERATION_COST,
      },
    ],
    spentUsd: GENERATION_COST,
    state: "failed",
    says: [`The provider behind ${M} returned an error: upstream overloaded, retry later`],
  },
  {
    name: "200 stream whose first chunk is an in-band 503 with no instance: a listed fallback answers",
    fallbacksListed: true,
    replies: [
      { midStreamError: { code: 503, message: `No instances available for ${DEEP}` } },
      { text: ["Granite is harder, answered by the fallback."], usage: { cost: FALLBACK_COST } },
    ],
    spentUsd: FALLBACK_COST,
    state: "answered",
    requests: 2,
    says: [
      "Granite is harder, answered by the fallback.",
      `Answered by \`perplexity/sonar-deep-research\` because ${M} is not available`,
    ],
  },
  {
    name: "200 stream with an in-band error chunk after some text",
    replies: [
      {
        text: [PARTIAL],
        midStreamError: { code: "server_error", message: "Provider disconnected unexpectedly" },
        generationCost: GENERATION_COST,
      },
    ],
    spentUsd: GENERATION_COST,
    state: "failed",
    kept: PARTIAL.trim(),
    says: [
      `The answer from ${M} broke off: Provider disconnected unexpectedly`,
      "The answer above is incomplete.",
    ],
  },
  {
    name: "200 stream whose chunk ends with finish_reason error and no error object",
    replies: [{ text: [PARTIAL], errorFinish: true, generationCost: GENERATION_COST }],
    spentUsd: GENERATION_COST,
    state: "failed",
    kept: PARTIAL.trim(),
    says: [`The answer from ${M} broke off`, "The answer above is incomplete."],
  },
  {
    name: "the stream ends without finish_reason or [DONE]",
    replies: [{ text: [PARTIAL, "and then"], dropAfter: 2, generationCost: GENERATION_COST }],
    spentUsd: GENERATION_COST,
    state: "failed",
    kept: `${PARTIAL}and then`,
    says: [`The answer from ${M} broke off: the stream ended early`, "incomplete"],
  },
  {
    name: "the connection is cut mid-stream (the body errors after some text)",
    replies: [{ text: [PARTIAL, "never sent"], cutAfter: 2, generationCost: GENERATION_COST }],
    spentUsd: GENERATION_COST,
    state: "failed",
    kept: PARTIAL.trim(),
    says: [
      `The answer from ${M} broke off: the connection to OpenRouter was cut mid-answer; ask again`,
      "The answer above is incomplete.",
    ],
  },
  {
    name: "silence before any output past FIRST_OUTPUT_TIMEOUT_SECONDS (3 s)",
    replies: [{ keepalives: 2, hangAfterKeepalives: true, generationCost: GENERATION_COST }],
    spentUsd: GENERATION_COST,
    state: "failed",
    says: [`${M} sent nothing for 3 seconds, so I stopped waiting; ask again to retry.`],
  },
  {
    name: "silence after some text past IDLE_TIMEOUT_SECONDS (2 s)",
    replies: [{ text: [PARTIAL, "never sent"], hangAfter: 2, generationCost: GENERATION_COST }],
    spentUsd: GENERATION_COST,
    state: "failed",
    kept: PARTIAL.trim(),
    says: [`${M} sent nothing for 2 seconds, so I stopped waiting`, "incomplete"],
  },
];

/** The answer the fake gives the next question in the same thread. */
export const NEXT_ANSWER = "Basalt is denser than granite.";

/** How often `needle` occurs in `text`. */
export function occurrences(text: string, needle: string | RegExp): number {
  if (typeof needle === "string") return text.split(needle).length - 1;
  return [...text.matchAll(new RegExp(needle.source, `${needle.flags.replace("g", "")}g`))].length;
}
