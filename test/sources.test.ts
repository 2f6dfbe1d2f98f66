import { describe, expect, it } from "vitest";
import { numberSources, sourcesBlock } from "../src/answer/sources.ts";

describe("numberSources", () => {
  it("numbers inline links by first appearance and marks each with its number", () => {
    const text =
      "QUIC is in [RFC 9000](https://www.rfc-editor.org/rfc/rfc9000), HTTP/3 in [RFC 9114](https://www.rfc-editor.org/rfc/rfc9114). Again [the RFC](https://www.rfc-editor.org/rfc/rfc9000/).";
    const { text: marked, sources } = numberSources(text);
    expect(marked).toBe(
      "QUIC is in [RFC 9000](https://www.rfc-editor.org/rfc/rfc9000) [1], HTTP/3 in [RFC 9114](https://www.rfc-editor.org/rfc/rfc9114) [2]. Again [the RFC](https://www.rfc-editor.org/rfc/rfc9000/) [1].",
    );
    expect(sources.map((s) => [s.n, s.title])).toEqual([
      [1, "RFC 9000"],
      [2, "RFC 9114"],
    ]);
  });

  it("keeps the numbers of a prefix as the answer grows, so a streamed part never changes", () => {
    const full =
      "A [one](https://a.example/1) B [two](https://b.example/2) C [one](https://a.example/1)";
    const grown = numberSources(full).text;
    for (let i = 0; i <= full.length; i++) {
      const prefix = numberSources(full.slice(0, i)).text;
      // Everything but a link still being typed is exactly what the full text shows.
      const stable = prefix.slice(0, prefix.lastIndexOf("["));
      expect(grown.startsWith(stable)).toBe(true);
    }
  });

  it("takes titles from citations, then lists citations the text never linked, deduped by URL", () => {
    const { sources } = numberSources("See [here](https://a.example/x#part).", [
      { url: "https://a.example/x", title: "The A paper" },
      { url: "https://b.example/y", title: "The B report" },
      { url: "https://b.example/y/", title: "The B report, again" },
    ]);
    expect(sources).toEqual([
      { n: 1, url: "https://a.example/x#part", title: "The A paper" },
      { n: 2, url: "https://b.example/y", title: "The B report" },
    ]);
  });

  it("leaves links in code and images alone", () => {
    const text =
      "```\n[x](https://a.example)\n```\n`[y](https://b.example)` ![img](https://c.example/i.png)";
    expect(numberSources(text)).toEqual({ text, sources: [] });
  });

  it("a URL with parentheses (Wikipedia) is one link", () => {
    const { sources } = numberSources("[Foo](https://en.wikipedia.org/wiki/Foo_(bar)) next");
    expect(sources[0]?.url).toBe("https://en.wikipedia.org/wiki/Foo_(bar)");
  });
});

describe("sourcesBlock", () => {
  it("is a heading and a numbered list of links, nothing when there are no sources", () => {
    expect(sourcesBlock([{ n: 1, url: "https://a.example", title: "A" }])).toBe(
      "**Sources**\n1. [A](https://a.example)",
    );
    expect(sourcesBlock([])).toBe("");
  });
});
