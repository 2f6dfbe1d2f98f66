import { describe, expect, it } from "vitest";
import type { PreparedAttachments } from "../src/answer/attachments.ts";
import {
  buildChatMessages,
  estimateTokens,
  MESSAGE_OVERHEAD_TOKENS,
  reserveFor,
} from "../src/answer/history.ts";
import type { Attachment, HistoryEntry } from "../src/chat/types.ts";
import type { ChatMessage, ModelInfo } from "../src/openrouter/types.ts";

let next = 0;
function said(
  who: { id: string; name?: string } | "bot",
  text: string,
  attachments?: Attachment[],
): HistoryEntry {
  next += 1;
  const fromBot = who === "bot";
  return {
    id: `m${next}`,
    author: fromBot ? { id: "B0BOT", name: "Quarry" } : who,
    fromBot,
    text,
    ...(attachments ? { attachments } : {}),
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

  it("sends prepared parts after the entry's text, with a line naming each attachment", () => {
    const png = { url: "https://files.test/a.png", name: "a.png", mimeType: "image/png" };
    const history = [said(ana, "what is this?", [png])];
    const dataUrl = "data:image/png;base64,iVBORw0KGgo=";
    const id = history[0]?.id ?? "";
    const attachments: PreparedAttachments = {
      entries: new Map([
        [
          id,
          {
            parts: [{ type: "image_url", image_url: { url: dataUrl } }],
            lines: ["[image attached: a.png]"],
          },
        ],
      ]),
      notes: [],
    };
    const { messages } = buildChatMessages({ ...roomy, history, attachments });
    expect(messages).toEqual([
      {
        role: "user",
        content: [
          { type: "text", text: "Ana (U123): what is this?\n[image attached: a.png]" },
          { type: "image_url", image_url: { url: dataUrl } },
        ],
      },
    ]);
  });

  it("never sends an attachment's own URL: unprepared attachments are only named", () => {
    const png = { url: "https://files.test/a.png", name: "a.png", mimeType: "image/png" };
    const pdf = { url: "https://files.test/b.pdf", name: "b.pdf", mimeType: "application/pdf" };
    const history = [said(ana, "", [png, pdf])];
    const seeing = buildChatMessages({ ...roomy, history, supportsImages: true });
    expect(seeing.messages).toEqual([
      {
        role: "user",
        content:
          "Ana (U123): [image attached: a.png (not shown to you: not sent)]\n[file attached: b.pdf (not shown to you: not sent)]",
      },
    ]);
    const blind = buildChatMessages({ ...roomy, history, supportsImages: false });
    expect(String(blind.messages[0]?.content)).toContain(
      "[image attached: a.png (not shown to you: this model cannot see images)]",
    );
    expect(JSON.stringify(seeing.messages)).not.toContain("https://files.test");
  });

  it("counts a large PDF part against the context, dropping older turns to make room", () => {
    const history = [
      said(ana, "old question ".repeat(100)),
      said("bot", "old answer"),
      said(ben, "read this"),
    ];
    const fileData = `data:application/pdf;base64,${"A".repeat(400_000)}`;
    const attachments: PreparedAttachments = {
      entries: new Map([
        [
          history[2]?.id ?? "",
          {
            parts: [{ type: "file", file: { filename: "r.pdf", file_data: fileData } }],
            lines: ["[PDF attached: r.pdf]"],
          },
        ],
      ]),
      notes: [],
    };
    // 300,000 bytes at about 50 a token: 6,000 tokens; with the old question's 430 it no longer fits 6,100.
    const tight = { contextTokens: 7_100, reserveTokens: 1_000 };
    const { messages, droppedTurns } = buildChatMessages({ ...tight, history, attachments });
    expect(droppedTurns).toBe(2);
    expect(messages).toHaveLength(1);
    expect(messages[0]?.content).toEqual([
      { type: "text", text: "U456: read this\n[PDF attached: r.pdf]" },
      { type: "file", file: { filename: "r.pdf", file_data: fileData } },
    ]);
    const roomier = buildChatMessages({ ...tight, contextTokens: 8_000, history, attachments });
    expect(roomier.droppedTurns).toBe(0);
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
