import { describe, expect, it } from "vitest";
import {
  buildChatMessages,
  estimateTokens,
  MESSAGE_OVERHEAD_TOKENS,
  reserveFor,
} from "../src/answer/history.ts";
import type { HistoryEntry } from "../src/chat/types.ts";
import type { ChatMessage, ModelInfo } from "../src/openrouter/types.ts";

let next = 0;
function said(
  who: { id: string; name?: string } | "bot",
  text: string,
  imageUrls?: string[],
): HistoryEntry {
  next += 1;
  const fromBot = who === "bot";
  return {
    id: `m${next}`,
    author: fromBot ? { id: "B0BOT", name: "Quarry" } : who,
    fromBot,
    text,
    ...(imageUrls ? { imageUrls } : {}),
  };
}

const ana = { id: "U123", name: "Ana" };
const ben = { id: "U456" };

function tokensOf(messages: ChatMessage[]): number {
  let total = 0;
  for (const m of messages) {
    const text =
      typeof m.content === "string"
        ? m.content
        : m.content.map((p) => (p.type === "text" ? p.text : "")).join("");
    total += estimateTokens(text) + MESSAGE_OVERHEAD_TOKENS;
  }
  return total;
}

const roomy = { contextTokens: 100_000, reserveTokens: 10_000, supportsImages: false };

describe("buildChatMessages", () => {
  it("makes the bot's messages assistant turns and prefixes everyone else's with who said it", () => {
    const { messages, droppedTurns } = buildChatMessages({
      ...roomy,
      system: "Be brief.",
      history: [
        said(ana, "What is KV?"),
        said("bot", "A key-value store."),
        said(ben, "Is it consistent?"),
      ],
    });
    expect(droppedTurns).toBe(0);
    expect(messages).toEqual([
      { role: "system", content: "Be brief." },
      { role: "user", content: "Ana (U123): What is KV?" },
      { role: "assistant", content: "A key-value store." },
      { role: "user", content: "U456: Is it consistent?" },
    ]);
  });

  it("merges consecutive turns of one role with a blank line", () => {
    const { messages } = buildChatMessages({
      ...roomy,
      history: [
        said(ana, "first"),
        said(ben, "second"),
        said("bot", "a"),
        said("bot", "b"),
        said(ana, "question"),
      ],
    });
    expect(messages).toEqual([
      { role: "user", content: "Ana (U123): first\n\nU456: second" },
      { role: "assistant", content: "a\n\nb" },
      { role: "user", content: "Ana (U123): question" },
    ]);
  });

  it("drops the oldest turns first to fit the context minus the answer's room", () => {
    const history = [
      ...Array.from({ length: 10 }, (_, i) =>
        said(i % 2 ? "bot" : ana, `turn ${i} ${"word ".repeat(200)}`),
      ),
      said(ben, "and now?"),
    ];
    const opts = {
      history,
      system: "sys",
      contextTokens: 2_000,
      reserveTokens: 800,
      supportsImages: false,
    };
    const { messages, droppedTurns } = buildChatMessages(opts);
    expect(tokensOf(messages)).toBeLessThanOrEqual(opts.contextTokens - opts.reserveTokens);
    expect(droppedTurns).toBeGreaterThan(0);
    const kept = messages.map((m) => String(m.content)).join("\n");
    // The newest turns survive, the oldest go.
    expect(kept).toContain("turn 9");
    expect(kept).not.toContain("turn 0");
    expect(messages.at(-1)?.content).toBe("U456: and now?");
  });

  it("drops a leading assistant turn so the conversation opens with a user turn", () => {
    const history = [said(ana, "old ".repeat(400)), said("bot", "answer"), said(ana, "follow-up")];
    const { messages, droppedTurns } = buildChatMessages({
      history,
      contextTokens: 300,
      reserveTokens: 100,
      supportsImages: false,
    });
    expect(droppedTurns).toBe(2);
    expect(messages).toEqual([{ role: "user", content: "Ana (U123): follow-up" }]);
  });

  it("always keeps the question, cutting its middle and saying so when it alone is too long", () => {
    const question = `START ${"lorem ipsum ".repeat(3_000)} END`;
    const { messages } = buildChatMessages({
      history: [said(ana, "earlier"), said(ana, question)],
      system: "sys",
      contextTokens: 4_000,
      reserveTokens: 1_000,
      supportsImages: false,
    });
    const content = String(messages.at(-1)?.content);
    expect(content).toContain("Ana (U123): START");
    expect(content.endsWith("END")).toBe(true);
    expect(content).toMatch(/characters cut from the middle of this message/);
    expect(tokensOf(messages)).toBeLessThanOrEqual(3_000);
  });

  it("sends images as image_url parts only to models that see images", () => {
    const history = [said(ana, "what is this?", ["https://files.test/a.png"])];
    const seeing = buildChatMessages({ ...roomy, history, supportsImages: true });
    expect(seeing.messages).toEqual([
      {
        role: "user",
        content: [
          { type: "text", text: "Ana (U123): what is this?" },
          { type: "image_url", image_url: { url: "https://files.test/a.png" } },
        ],
      },
    ]);
    const blind = buildChatMessages({ ...roomy, history, supportsImages: false });
    expect(typeof blind.messages[0]?.content).toBe("string");
    expect(String(blind.messages[0]?.content)).toMatch(
      /1 image attached; this model cannot see images/,
    );
  });

  it("tells the model its own name when given, after the channel's system prompt", () => {
    const { messages } = buildChatMessages({
      ...roomy,
      system: "Be brief.",
      botName: "Quarry",
      history: [said(ana, "hi")],
    });
    expect(messages[0]?.role).toBe("system");
    expect(String(messages[0]?.content)).toMatch(/^Be brief\.\n\nYou are Quarry/);
  });
});

describe("estimateTokens", () => {
  it("counts three ASCII characters, two other-alphabet characters or one CJK character per token", () => {
    expect(estimateTokens("")).toBe(0);
    expect(estimateTokens("abcdef")).toBe(2);
    expect(estimateTokens("abcdefg")).toBe(3);
    expect(estimateTokens("привет")).toBe(3);
    expect(estimateTokens("你好世界")).toBe(4);
  });
});

describe("reserveFor", () => {
  const model: ModelInfo = {
    id: "openai/o4-mini-deep-research",
    name: "o4 mini deep research",
    contextLength: 200_000,
    maxCompletionTokens: 100_000,
    pricing: { prompt: 2e-6, completion: 8e-6 },
    supportedParameters: ["reasoning", "max_tokens"],
    inputModalities: ["text", "image"],
  };

  it("uses the channel's max_tokens when set", () => {
    expect(reserveFor(model, 5_000)).toBe(5_000);
  });

  it("otherwise leaves the least of max completion, a quarter of the context and 32k", () => {
    expect(reserveFor(model)).toBe(32_000);
    expect(reserveFor({ ...model, contextLength: 64_000 })).toBe(16_000);
    expect(reserveFor({ ...model, maxCompletionTokens: 4_096 })).toBe(4_096);
    expect(reserveFor({ ...model, maxCompletionTokens: undefined, contextLength: 8_000 })).toBe(
      2_000,
    );
  });
});
