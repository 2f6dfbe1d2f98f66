import { describe, expect, it } from "vitest";
import { safeEnd } from "../src/delivery/safe-tail.ts";

const shown = (text: string) => text.slice(0, safeEnd(text));

describe("safeEnd: only an unsafe tail is held back", () => {
  it("shows a paragraph word by word, mid-line", () => {
    expect(shown("QUIC runs over UDP and")).toBe("QUIC runs over UDP and");
    expect(shown("First line\nsecond li")).toBe("First line\nsecond li");
  });

  it("holds a half-typed mention, special token or channel link until it closes", () => {
    expect(shown("ask <@U12")).toBe("ask ");
    expect(shown("ask <@U123> now")).toBe("ask <@U123> now");
    expect(shown("tell <!chan")).toBe("tell ");
    expect(shown("tell &lt;!here")).toBe("tell ");
  });

  it("holds a trailing @word that could grow into @everyone, but not an e-mail address", () => {
    expect(shown("hello @every")).toBe("hello ");
    expect(shown("hello @")).toBe("hello ");
    expect(shown("write to ana@example")).toBe("write to ana@example");
  });

  it("holds a partial entity, an unclosed link and a URL still being typed", () => {
    expect(shown("fish &am")).toBe("fish ");
    expect(shown("see [RFC 9000](https://www.rfc-ed")).toBe("see ");
    expect(shown("see [RFC 9")).toBe("see ");
    expect(shown("see ![diagram](https://x")).toBe("see ");
    expect(shown("see [RFC 9000](https://rfc.example/9000) next")).toBe(
      "see [RFC 9000](https://rfc.example/9000) next",
    );
    expect(shown("at https://example.com/pa")).toBe("at ");
    expect(shown("array[0] and [1] are fine")).toBe("array[0] and [1] are fine");
  });

  it("holds emphasis markers at the very end", () => {
    expect(shown("this is **")).toBe("this is ");
    expect(shown("this is **bold")).toBe("this is **bold");
    expect(shown("code `")).toBe("code ");
  });

  it("holds a fence line until it ends", () => {
    expect(shown("Here:\n```ty")).toBe("Here:\n");
    expect(shown("Here:\n```ts\nconst a")).toBe("Here:\n```ts\nconst a");
    expect(shown("  > ~~~")).toBe("");
  });

  it("gives up holding a construct that stays open too long: it was text", () => {
    const text = `a < b holds while ${"words ".repeat(80)}`;
    expect(shown(text)).toBe(text);
  });

  it("shows everything once the answer is final", () => {
    expect(safeEnd("ends with @every", true)).toBe("ends with @every".length);
  });
});
