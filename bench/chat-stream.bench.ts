import { streamChat } from "../src/openrouter/chat-stream.ts";
import { MODEL, sseResponse } from "./deep-research-sse.ts";

interface NodeProcess {
  memoryUsage(): { heapUsed: number };
}
const node = process as NodeProcess;

/** An OpenRouter-shaped SSE body: keep-alives, reasoning, `chunks` content deltas, citations, usage. */
function sseBody(chunks: number): string {
  const frame = (o: unknown) => `data: ${JSON.stringify(o)}\n\n`;
  const choice = (delta: Record<string, unknown>, finish: string | null = null) =>
    frame({
      id: "gen-bench",
      object: "chat.completion.chunk",
      model: MODEL.id,
      choices: [{ index: 0, delta, finish_reason: finish }],
    });
  const parts: string[] = [];
  for (let i = 0; i < 50; i++) parts.push(": OPENROUTER PROCESSING\n\n");
  for (let i = 0; i < 200; i++)
    parts.push(choice({ reasoning: `**Step ${i}** searching for sources on topic ${i}. ` }));
  for (let i = 0; i < chunks; i++) {
    const delta: Record<string, unknown> = { content: `word${i} and some more text. ` };
    if (i % 500 === 0)
      delta.annotations = [
        {
          type: "url_citation",
          url_citation: { url: `https://example.com/${i}`, title: `Source ${i}` },
        },
      ];
    parts.push(choice(delta));
  }
  parts.push(choice({}, "stop"));
  parts.push(
    frame({
      id: "gen-bench",
      choices: [],
      usage: { prompt_tokens: 1000, completion_tokens: chunks * 6, cost: 0.42 },
    }),
  );
  parts.push("data: [DONE]\n\n");
  return parts.join("");
}

export async function run(): Promise<void> {
  const rows = [];
  for (const chunks of [1_000, 10_000, 50_000]) {
    const body = sseBody(chunks);
    const bytes = new TextEncoder().encode(body);
    const before = node.memoryUsage().heapUsed;
    const started = performance.now();
    let text = 0;
    let events = 0;
    const stream = streamChat(
      { model: MODEL.id, messages: [{ role: "user", content: "bench" }] },
      {
        baseUrl: "https://openrouter.bench/api/v1",
        apiKey: "k",
        model: MODEL,
        fetch: async () => sseResponse(bytes),
      },
    );
    for await (const ev of stream) {
      events++;
      if (ev.type === "text") text += ev.text.length;
    }
    const ms = performance.now() - started;
    rows.push({
      "content chunks": chunks,
      "SSE KiB": Math.round(body.length / 1024),
      events,
      "answer chars": text,
      "total ms": Number(ms.toFixed(1)),
      "µs/event": Number(((ms * 1000) / events).toFixed(2)),
      "MiB/s": Number((body.length / 1024 / 1024 / (ms / 1000)).toFixed(1)),
      "heap growth MB": Number(((node.memoryUsage().heapUsed - before) / 1e6).toFixed(1)),
    });
  }
  console.log("streamChat parsing an OpenRouter SSE body delivered in 4 KiB pieces");
  console.table(rows);
}
