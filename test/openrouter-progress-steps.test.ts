/**
 * Progress steps: what the model is doing, from `reasoning.server_tool_call` entries and the
 * bold headings deep research starts its reasoning summaries with.
 */
import { beforeEach, describe, expect, it } from "vitest";
import {
  HeadingReader,
  MAX_STEP_CHARS,
  plainStep,
  toolCallStep,
} from "../src/openrouter/progress-steps.ts";
import { openPageCall, searchCall } from "./fakes/openrouter.ts";
import {
  choiceFrame,
  type Harness,
  ofType,
  openRouterHarness,
  question,
  rawSse,
} from "./support/openrouter-harness.ts";

let h: Harness;
beforeEach(() => {
  h = openRouterHarness();
});

const call = (fields: Record<string, unknown>) => ({
  type: "reasoning.server_tool_call",
  ...fields,
});

describe("toolCallStep", () => {
  it("reads the spec's shape: tool_name with arguments as a JSON string", () => {
    const step = toolCallStep(
      call({ tool_name: "openrouter:web_search", arguments: '{"query":"HTTP/3 adoption 2026"}' }),
    );
    expect(step).toBe("Searching the web: HTTP/3 adoption 2026");
  });

  it("reads arguments as an object, a bare string, a query list, or fields on the entry", () => {
    expect(toolCallStep(call({ name: "web.search", arguments: { query: "QUIC loss" } }))).toBe(
      "Searching the web: QUIC loss",
    );
    expect(toolCallStep(call({ tool_name: "web_search", arguments: "plain words" }))).toBe(
      "Searching the web: plain words",
    );
    expect(toolCallStep(call({ tool: "search", arguments: { queries: ["a b", "c"] } }))).toBe(
      "Searching the web: a b",
    );
    expect(toolCallStep(call({ query: "on the entry", status: "in_progress" }))).toBe(
      "Searching the web: on the entry",
    );
  });

  it("names a page opened or searched in, by host and path", () => {
    expect(
      toolCallStep(
        call({
          name: "web.open_page",
          arguments: { url: "https://www.rfc-editor.org/rfc/rfc9114/" },
        }),
      ),
    ).toBe("Reading rfc-editor.org/rfc/rfc9114");
    expect(toolCallStep(call({ action: { type: "open_page", url: "https://example.org/" } }))).toBe(
      "Reading example.org",
    );
    expect(
      toolCallStep(
        call({ action: { type: "find_in_page", pattern: "0-RTT", url: "https://a.example/x" } }),
      ),
    ).toBe("Looking for “0-RTT” in a.example/x");
  });

  it("says a search is running when the query is not given, and names other tools", () => {
    expect(toolCallStep(call({ tool_name: "openrouter:web_search", arguments: "{}" }))).toBe(
      "Searching the web",
    );
    expect(toolCallStep(call({ tool_name: "openrouter:code_interpreter" }))).toBe(
      "Using code interpreter",
    );
  });

  it("skips what it cannot read instead of throwing", () => {
    for (const entry of [null, 7, "text", [], call({}), call({ arguments: "{broken" })]) {
      expect(() => toolCallStep(entry)).not.toThrow();
    }
    expect(toolCallStep(call({}))).toBeUndefined();
    expect(toolCallStep(call({ arguments: 42, result: { sources: 1 } }))).toBeUndefined();
  });

  it("keeps a step to one plain line of at most 120 characters", () => {
    const step = toolCallStep(
      call({
        tool_name: "web_search",
        arguments: { query: `**${"very long ".repeat(30)}**\nnext` },
      }),
    );
    expect(step?.length).toBeLessThanOrEqual(MAX_STEP_CHARS);
    expect(step?.length).toBeGreaterThan(MAX_STEP_CHARS - 5);
    expect(step).toMatch(/^Searching the web: very long/);
    expect(step).not.toMatch(/[*\n]/);
    expect(step?.endsWith("…")).toBe(true);
    expect(plainStep("  `code`  and\t_em_ ")).toBe("code and em");
  });
});

describe("HeadingReader", () => {
  it("finds a heading split over chunks, once it closes", () => {
    const reader = new HeadingReader();
    expect(reader.feed("**Searching for HTT")).toEqual([]);
    expect(reader.feed("P/3 adoption**\n\nI am looking at")).toEqual([
      "Searching for HTTP/3 adoption",
    ]);
    expect(reader.feed(" the **numbers** people cite.\n\n**Comparing")).toEqual([]);
    expect(reader.feed(" QUIC stacks**\n")).toEqual(["Comparing QUIC stacks"]);
  });

  it("ignores bold words inside a sentence and a runaway unclosed heading", () => {
    const reader = new HeadingReader();
    expect(reader.feed("Some text with **bold** inside.\n")).toEqual([]);
    expect(reader.feed(`**${"x".repeat(500)}`)).toEqual([]);
    expect(reader.feed("**\n**Next step**")).toEqual(["Next step"]);
  });
});

describe("streamChat steps", () => {
  it("yields steps for searches, pages and summary headings, in stream order, beside the reasoning text", async () => {
    h.fake.reply({
      reasoning: [
        "**Searching for HTTP/3 adoption**\n\nLooking for recent numbers.",
        searchCall("HTTP/3 adoption 2026"),
        openPageCall("https://w3techs.example/http3/", "in_progress"),
        openPageCall("https://w3techs.example/http3/", "completed"),
        "\n\n**Checking browser support**\n\nAll major browsers.",
      ],
      text: ["Most traffic is HTTP/3 now."],
    });
    const { events, error } = await h.run(question());
    expect(error).toBeUndefined();
    expect(ofType(events, "step").map((e) => e.text)).toEqual([
      "Searching for HTTP/3 adoption",
      "Searching the web: HTTP/3 adoption 2026",
      "Reading w3techs.example/http3",
      "Checking browser support",
    ]);
    // The reasoning text is shown once per chunk, as before; tool calls add no reasoning text.
    expect(ofType(events, "reasoning").map((e) => e.text)).toEqual([
      "**Searching for HTTP/3 adoption**\n\nLooking for recent numbers.",
      "\n\n**Checking browser support**\n\nAll major browsers.",
    ]);
    const order = events.map((e) => e.type).filter((t) => t !== "keepalive");
    expect(order.indexOf("step")).toBeLessThan(order.indexOf("text"));
  });

  it("reads steps from reasoning_details alone, skipping entries it cannot read", async () => {
    const fetchFn = rawSse([
      choiceFrame({
        delta: {
          reasoning_details: [
            { type: "reasoning.summary", summary: "**Planning the search**\n" },
            call({ tool_name: "openrouter:web_search", arguments: "{not json" }),
            call({ result: "nothing to show" }),
            { type: "reasoning.encrypted", data: "b64" },
            "garbage",
          ],
        },
      }),
      choiceFrame({ delta: { content: "Done." }, finish_reason: "stop" }),
      "data: [DONE]\n\n",
    ]);
    const { events, error } = await h.run(question(), { fetch: fetchFn, model: undefined });
    expect(error).toBeUndefined();
    expect(ofType(events, "step").map((e) => e.text)).toEqual([
      "Planning the search",
      "Searching the web: {not json",
    ]);
    expect(ofType(events, "reasoning")).toEqual([
      { type: "reasoning", text: "**Planning the search**\n" },
    ]);
  });

  it("reports the same search once though its entry comes again", async () => {
    h.fake.reply({
      reasoning: [
        searchCall("quic", "call_1"),
        searchCall("quic", "call_1"),
        searchCall("h3", "call_2"),
      ],
      text: ["ok"],
    });
    const { events } = await h.run(question());
    expect(ofType(events, "step").map((e) => e.text)).toEqual([
      "Searching the web: quic",
      "Searching the web: h3",
    ]);
  });

  it("counts a step as output, so a long search phase is not taken for a stall", async () => {
    // Five searches put the text past the first-output deadline; each gap is well inside idle.
    const queries = ["one", "two", "three", "four", "five"];
    h.fake.reply({ reasoning: queries.map((q) => searchCall(q)), text: ["answer"], delayMs: 50 });
    const { events, error } = await h.run(question(), {
      firstOutputTimeoutMs: 180,
      idleTimeoutMs: 400,
    });
    expect(error).toBeUndefined();
    expect(ofType(events, "step")).toHaveLength(5);
    expect(ofType(events, "text")).toEqual([{ type: "text", text: "answer" }]);
  });
});
