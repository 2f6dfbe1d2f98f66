/**
 * Citations: `url_citation` annotations from any chunk location, split over chunks or
 * repeated, deduped by URL, and improved when a repeat carries what the first lacked.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { CitationSet, citationKey } from "../src/openrouter/citations.ts";
import type { Citation } from "../src/openrouter/types.ts";
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

const cite = (url: string, fields: Record<string, unknown> = {}) => ({
  type: "url_citation",
  url_citation: { url, ...fields },
});

describe("citationKey", () => {
  it("treats a trailing slash, a #fragment and the host's case as the same page", () => {
    const key = citationKey("https://example.org/docs/page");
    expect(citationKey("https://example.org/docs/page/")).toBe(key);
    expect(citationKey("https://EXAMPLE.org/docs/page#section-2")).toBe(key);
    expect(citationKey("  https://example.org/docs/page/#top ")).toBe(key);
    expect(citationKey("https://example.org")).toBe(citationKey("https://example.org/"));
  });

  it("keeps query strings and paths apart", () => {
    expect(citationKey("https://example.org/a?id=1")).not.toBe(
      citationKey("https://example.org/a?id=2"),
    );
    expect(citationKey("https://example.org/a")).not.toBe(citationKey("https://example.org/b"));
    expect(citationKey("https://example.org/A")).not.toBe(citationKey("https://example.org/a"));
    expect(citationKey("not a url/#x")).toBe("not a url");
  });
});

describe("CitationSet", () => {
  it("returns new entries once, and a repeat only when it adds a title or content", () => {
    const set = new CitationSet();
    expect(set.add([cite("https://a.example/x"), cite("https://b.example/")])).toEqual([
      { url: "https://a.example/x" },
      { url: "https://b.example/" },
    ]);
    expect(set.add([cite("https://a.example/x/"), cite("https://b.example#frag")])).toEqual([]);
    expect(set.add([cite("https://a.example/x#y", { title: "A", content: "quote" })])).toEqual([
      { url: "https://a.example/x", title: "A", content: "quote" },
    ]);
    // A different title later does not replace a real one.
    expect(set.add([cite("https://a.example/x", { title: "Other" })])).toEqual([]);
    expect(set.all().map((c) => c.url)).toEqual(["https://a.example/x", "https://b.example/"]);
  });

  it("counts a title that is just the URL as none", () => {
    const set = new CitationSet();
    set.add([cite("https://a.example/", { title: "https://a.example/" })]);
    expect(set.add([cite("https://a.example", { title: "Alpha" })])).toEqual([
      { url: "https://a.example/", title: "Alpha" },
    ]);
  });

  it("reads the fields from the annotation itself and skips anything that is not a url_citation", () => {
    const set = new CitationSet();
    const changed = set.add([
      {
        type: "url_citation",
        url: "https://flat.example",
        title: "Flat",
        start_index: 3,
        end_index: 9,
      },
      { type: "file_citation", file_id: "f1" },
      { type: "url_citation", url_citation: { title: "no url" } },
      null,
      "junk",
    ]);
    expect(changed).toEqual([
      { url: "https://flat.example", title: "Flat", startIndex: 3, endIndex: 9 },
    ]);
  });
});

describe("streamChat citations", () => {
  const urls = (list: Citation[]) => list.map((c) => c.url);

  it("collects groups split over chunks and the whole list repeated at the end, each URL once", async () => {
    const a = { url: "https://a.example/rfc", title: "RFC" };
    const b = { url: "https://b.example/quic", title: "QUIC" };
    const c = { url: "https://c.example/h3", title: "H3" };
    // biome-ignore format: one inner array per SSE chunk reads clearer on one line
    h.fake.reply({ text: ["Answer [1][2][3]"], citations: [[a], [b, { ...a, url: "https://a.example/rfc/" }], [a, b, c]] });
    const events = ofType((await h.run(question())).events, "citations");
    expect(events.map((e) => urls(e.citations))).toEqual([[a.url], [b.url], [c.url]]);
    expect(urls(events.at(-1)?.all ?? [])).toEqual([a.url, b.url, c.url]);
  });

  it.each(["message", "choice"] as const)(
    "reads annotations on the %s as on the delta",
    async (at) => {
      h.fake.reply({
        text: ["x"],
        citations: [{ url: "https://m.example", title: "M" }],
        citationsAt: at,
      });
      const events = ofType((await h.run(question())).events, "citations");
      expect(events).toEqual([
        {
          type: "citations",
          citations: [expect.objectContaining({ url: "https://m.example", title: "M" })],
          all: [expect.objectContaining({ url: "https://m.example" })],
        },
      ]);
    },
  );

  it("emits the citation again, merged and under its first URL, when a repeat brings the title", async () => {
    h.fake.reply({
      text: ["See [1]."],
      // biome-ignore format: one inner array per SSE chunk reads clearer on one line
      citations: [[{ url: "https://bare.example/page", title: null }], [{ url: "https://bare.example/page/#s", title: "The page", content: "quoted text" }]],
    });
    const events = ofType((await h.run(question())).events, "citations");
    expect(events.map((e) => e.citations)).toEqual([
      [{ url: "https://bare.example/page", startIndex: 0, endIndex: 0 }],
      [
        {
          url: "https://bare.example/page",
          title: "The page",
          content: "quoted text",
          startIndex: 0,
          endIndex: 0,
        },
      ],
    ]);
    expect(events.at(-1)?.all).toEqual(events.at(-1)?.citations);
  });

  it("takes delta, message and choice annotations of one chunk together", async () => {
    const fetchFn = rawSse([
      choiceFrame({
        delta: { content: "text", annotations: [cite("https://d.example")] },
        message: { annotations: [cite("https://m.example"), cite("https://d.example/")] },
        annotations: [cite("https://c.example", { title: "C" })],
        finish_reason: "stop",
      }),
      "data: [DONE]\n\n",
    ]);
    const { events, error } = await h.run(question(), { fetch: fetchFn, model: undefined });
    expect(error).toBeUndefined();
    const [only, ...rest] = ofType(events, "citations");
    expect(rest).toEqual([]);
    expect(urls(only?.citations ?? [])).toEqual([
      "https://d.example",
      "https://m.example",
      "https://c.example",
    ]);
  });
});
