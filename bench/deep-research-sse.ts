/**
 * Recorded-style OpenRouter SSE bodies for the benchmarks: what a deep-research model sends,
 * in the shapes seen on the wire (keep-alive comments, `reasoning` with `reasoning_details`
 * summaries and `reasoning.server_tool_call` entries, content in token-sized deltas,
 * `url_citation` annotations, a final usage chunk with its cost, `[DONE]`).
 */
import type { ModelInfo } from "../src/openrouter/types.ts";

export const MODEL: ModelInfo = {
  id: "openai/o4-mini-deep-research",
  name: "o4-mini deep research",
  contextLength: 200_000,
  maxCompletionTokens: 100_000,
  pricing: { prompt: 2e-6, completion: 8e-6, webSearch: 0.01 },
  supportedParameters: ["max_tokens", "reasoning"],
  supportedEfforts: ["medium"],
  inputModalities: ["text"],
};

/** A seeded generator, so every run streams the same bytes. */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const WORDS =
  "the study measured adoption across regions while newer surveys report smaller effects and wider samples of servers clients and networks".split(
    " ",
  );

/**
 * A deep-research answer of about `tokens` tokens: sections with headings, paragraphs with
 * inline links, a list, a table and a fenced code block now and then, cut into token-sized
 * pieces (a word and its leading space, punctuation, or a run of newlines), as models stream.
 */
export function answerTokens(tokens: number, seed = 7): string[] {
  const random = seeded(seed);
  const out: string[] = [];
  const word = () => ` ${WORDS[Math.floor(random() * WORDS.length)]}`;
  let link = 0;
  for (let section = 0; out.length < tokens; section++) {
    out.push(section ? "\n\n" : "", "##", ` Finding`, ` ${section}`, "\n\n");
    for (let p = 0; p < 3 && out.length < tokens; p++) {
      for (let s = 0; s < 5; s++) {
        for (let w = 0; w < 12; w++) out.push(word());
        if (s === 2) {
          link++;
          out.push(" ([", `source`, ` ${link}`, "](", `https://example.com/`, `r/${link}`, "))");
        }
        out.push(".");
      }
      out.push("\n\n");
    }
    if (section % 3 === 1) {
      for (let i = 0; i < 5; i++) out.push(i ? "\n" : "", "-", word(), word(), word(), word());
      out.push("\n\n");
    }
    if (section % 4 === 2) {
      out.push("|", " study", " |", " year", " |", " effect", " |", "\n", "|---|---|---|");
      for (let i = 0; i < 6; i++)
        out.push("\n", "|", word(), " |", ` ${2015 + i}`, " |", " 0.3", " |");
      out.push("\n\n");
    }
    if (section % 5 === 3) {
      out.push("```", "ts", "\n");
      for (let i = 0; i < 8; i++)
        out.push("const", ` step${i}`, " =", " await", ` run(${i});`, "\n");
      out.push("```", "\n\n");
    }
  }
  return out.slice(0, tokens);
}

/** The SSE body of one deep-research answer of `tokens` content deltas. */
export function deepResearchSse(tokens: number): string {
  const frame = (o: unknown) => `data: ${JSON.stringify(o)}\n\n`;
  const choice = (delta: Record<string, unknown>, finish: string | null = null) =>
    frame({
      id: "gen-bench-1",
      provider: "OpenAI",
      model: MODEL.id,
      object: "chat.completion.chunk",
      created: 1_764_000_000,
      choices: [{ index: 0, delta: { role: "assistant", ...delta }, finish_reason: finish }],
    });
  const parts: string[] = [];
  const keepAlive = ": OPENROUTER PROCESSING\n\n";
  // Minutes of research: keep-alives, tool calls and summary text with bold headings.
  for (let i = 0; i < 40; i++) {
    parts.push(keepAlive, keepAlive);
    parts.push(
      choice({
        content: "",
        reasoning: null,
        reasoning_details: [
          {
            type: "reasoning.server_tool_call",
            id: `ws_${i}`,
            tool_name: "web_search",
            status: i % 2 ? "completed" : "in_progress",
            arguments: JSON.stringify({ query: `adoption of protocol ${i >> 1} by region` }),
            index: 0,
          },
        ],
      }),
    );
    const summary = `${i % 4 ? "" : `\n\n**Searching for adoption data ${i}**\n\n`}Looking at source ${i}, which reports figures for several regions. `;
    for (const piece of summary.match(/.{1,24}/gs) ?? []) {
      parts.push(
        choice({
          content: "",
          reasoning: piece,
          reasoning_details: [
            { type: "reasoning.summary", summary: piece, format: "openai-responses-v1", index: 0 },
          ],
        }),
      );
    }
  }
  const pieces = answerTokens(tokens);
  let links = 0;
  for (let i = 0; i < pieces.length; i++) {
    const delta: Record<string, unknown> = { content: pieces[i] };
    if (pieces[i] === "))") {
      links++;
      delta.annotations = [
        {
          type: "url_citation",
          url_citation: {
            url: `https://example.com/r/${links}`,
            title: `Source ${links}`,
            content: "",
            start_index: 0,
            end_index: 0,
          },
        },
      ];
    }
    if (i % 400 === 399) parts.push(keepAlive);
    parts.push(choice(delta));
  }
  parts.push(choice({ content: "" }, "stop"));
  parts.push(
    frame({
      id: "gen-bench-1",
      provider: "OpenAI",
      model: MODEL.id,
      object: "chat.completion.chunk",
      choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }],
      usage: {
        prompt_tokens: 1_200,
        completion_tokens: tokens + 4_000,
        completion_tokens_details: { reasoning_tokens: 4_000 },
        cost: 0.42,
        server_tool_use: { web_search_requests: 20 },
      },
    }),
  );
  parts.push("data: [DONE]\n\n");
  return parts.join("");
}

/** A streamed Response of `body` in network-sized pieces (4 KiB), so parsers see split frames. */
export function sseResponse(bytes: Uint8Array, piece = 4096): Response {
  let at = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.subarray(at, at + piece));
      at += piece;
    },
  });
  return new Response(stream, { headers: { "content-type": "text/event-stream" } });
}
