import { Lexer, type Token, type Tokens } from "marked";
import { describe, expect, it } from "vitest";
import {
  CODE,
  FENCE,
  mayBeFenceLine,
  openFenceAt,
  scanFences,
  TEXT,
  withoutFenceLines,
} from "../src/chat/markdown.ts";

/** Each line's role, as letters: t(ext), c(ode), f(ence line). */
function roles(text: string): string {
  const names = { [TEXT]: "t", [CODE]: "c", [FENCE]: "f" } as Record<number, string>;
  return [...scanFences(text).role].map((r) => names[r]).join("");
}

/** The code blocks marked (a CommonMark-minded lexer) finds, with lists and quotes opened. */
function markedCode(text: string): string[] {
  const found: string[] = [];
  const walk = (tokens: Token[]) => {
    for (const t of tokens) {
      if (t.type === "code" && (t as Tokens.Code).codeBlockStyle !== "indented")
        found.push((t as Tokens.Code).text);
      if (t.type === "list") for (const item of (t as Tokens.List).items) walk(item.tokens);
      else if ("tokens" in t && t.tokens) walk(t.tokens);
    }
  };
  walk(new Lexer({ gfm: true }).blockTokens(text, []));
  return found;
}

/** The content lines of each block the scanner finds, without their container's indent. */
function scannedCode(text: string): string[] {
  const lines = text.split("\n");
  const { fences } = scanFences(text);
  return fences.map((f) => {
    const body = lines.slice(f.open + 1, f.closed ? f.last : f.last + 1);
    const indent = f.close.length - f.marker.length;
    return body
      .map((l) => l.replace(/^(?:\s{0,3}>\s?)+/, "").slice(f.quote ? 0 : indent))
      .join("\n");
  });
}

describe("scanFences", () => {
  it("finds a block and tells its fence lines from its code", () => {
    expect(roles("intro\n```ts\nconst a = 1;\n```\nafter")).toBe("tfcft");
  });

  it("closes a block only with its own character, at least as long, and nothing after", () => {
    expect(roles("~~~\n```\n~~\n~~~ x\n~~~~")).toBe("fcccf");
    expect(roles("````\n```\n````")).toBe("fcf");
  });

  it("reads three backticks with more backticks on the line as inline code, not a fence", () => {
    expect(roles("```a``` b\ntext")).toBe("tt");
  });

  it("reads a fence indented four spaces at the top level as indented code, not a fence", () => {
    expect(roles("para\n\n    ```\n    x")).toBe("tttt");
  });

  it("finds blocks inside list items, nested ones included, with the item's indent", () => {
    const text =
      "1. Install:\n\n   ```sh\n   npm i\n   ```\n   - deeper\n\n     ```js\n     run()\n     ```";
    expect(roles(text)).toBe("ttfcfttfcf");
    const [first, second] = scanFences(text).fences;
    expect(first).toMatchObject({ close: "   ```", reopen: "   ```sh", closed: true });
    expect(second).toMatchObject({ close: "     ```", reopen: "   ```js", closed: true });
  });

  it("ends an unclosed block when its list item ends, and reads the next item anew", () => {
    const text = "- a\n  ```\n  code\n\n- b\n  ```\n  more\n  ```";
    expect(roles(text)).toBe("tfcctfcf");
    expect(scanFences(text).fences[0]).toMatchObject({ closed: false, last: 3 });
  });

  it("keeps a less indented line in a list item's block unless a blank line or the opener is before it", () => {
    // Models write code under a list item with less indent than its text; marked reads it so.
    expect(roles("1. Install:\n   ```sh\n   npm i\nnpm start\n   ```\n2. Run")).toBe("tfccft");
    expect(roles("1. Install:\n   ```sh\nnpm i\n   ```")).toBe("tftf");
    expect(roles("1. Install:\n   ```sh\n   npm i\n\nnpm start")).toBe("tfcct");
    expect(roles("1. Install:\n   ```sh\n   npm i\n# Next")).toBe("tfct");
  });

  it("finds blocks inside block quotes, and ends one when the quote ends", () => {
    expect(roles("> ```py\n> x = 1\n> ```\nafter")).toBe("fcft");
    expect(roles("> ```py\n> x = 1\nnot quoted\n```")).toBe("fctf");
    expect(scanFences("> - ```py\n>   x").fences[0]).toMatchObject({
      close: ">   ```",
      reopen: ">   ```py",
      quote: ">   ",
    });
  });

  it("keeps blank lines in the block they follow, so what is code never changes as text grows", () => {
    const text = "- step\n  ```\n  a\n\n\nback at the top";
    let previous = "";
    for (let n = 0; n <= text.length; n++) {
      const now = roles(text.slice(0, n));
      // Every line but the one being typed keeps its role.
      expect(now.slice(0, -1).startsWith(previous.slice(0, -1))).toBe(true);
      previous = now;
    }
    expect(previous).toBe("tfccct");
  });

  it("agrees with marked on the code of typical answers", () => {
    const answers = [
      "# T\n\n```ts\nconst a = 1;\n```\n\ntext\n\n~~~\nraw\n~~~",
      "1. Install:\n\n   ```sh\n   npm i quarry\n   ```\n2. Run:\n   ```sh\n   npm start\n   ```",
      "- a\n  - b\n    ```py\n    print(1)\n    ```\n- c",
      "> quoted\n> ```\n> code\n> ```\n\nafter",
      "para\n```\nunclosed\n\nstill code",
      "````md\n```\ninner\n```\n````",
      "text ```not a fence``` here\n\n    indented\n    ```\n",
    ];
    for (const text of answers) expect(scannedCode(text), text).toEqual(markedCode(text));
  });
});

describe("openFenceAt", () => {
  it("is the block the text leaves open, with the lines that close and reopen it", () => {
    expect(openFenceAt("a\n```py\nx = 1\n")).toMatchObject({ reopen: "```py", close: "```" });
    expect(openFenceAt("1. run\n\n   ```sh\n   ls\n")).toMatchObject({
      reopen: "   ```sh",
      close: "   ```",
    });
  });

  it("is undefined when every block is closed, or ended with its list item", () => {
    expect(openFenceAt("```\nx\n```\n")).toBeUndefined();
    expect(openFenceAt("- a\n  ```\n  x\n\nnext\n")).toBeUndefined();
    expect(openFenceAt("no code at all")).toBeUndefined();
  });
});

describe("mayBeFenceLine", () => {
  it("holds anything that may be a fence: quoted, in a list item, or indented", () => {
    for (const line of ["```", "~~~~js", "  > ```", "- ```sh", "1. ~~~"])
      expect(mayBeFenceLine(line), line).toBe(true);
    for (const line of ["``", "text ```", "-```"]) expect(mayBeFenceLine(line), line).toBe(false);
  });
});

describe("withoutFenceLines", () => {
  it("drops the lines that open and close blocks, and keeps their code", () => {
    expect(withoutFenceLines("Run:\n```sh\nls -la\n```\ndone")).toBe("Run:\nls -la\ndone");
    expect(withoutFenceLines("a ``` b")).toBe("a ``` b");
  });
});
