import { describe, expect, it } from "vitest";
import { mergeHistory } from "../src/answer/conversation-history.ts";
import type { HistoryEntry, Question } from "../src/chat/types.ts";

const ana = { id: "U0ANA", name: "Ana" };
const bot = { id: "U0QUARRY", name: "Quarry" };
const question = (id: string, text: string, receivedAt: number, messageId = id): Question => ({
  id: `slack:C1:${id}`,
  thread: { platform: "slack", workspaceId: "T1", channelId: "C1", threadId: "1" },
  text,
  trigger: "mention",
  user: ana,
  messageId,
  receivedAt,
});
const said = (id: string, text: string, at: number, fromBot = false): HistoryEntry => ({
  id,
  author: fromBot ? bot : ana,
  fromBot,
  text,
  at,
});
const turns = (h: HistoryEntry[]) => h.map((e) => `${e.fromBot ? "bot" : "user"}: ${e.text}`);

describe("mergeHistory", () => {
  it("puts each earlier answer in full right after its question, even when its messages came after the follow-up", () => {
    const q1 = question("1.0", "what is QUIC?", 1000);
    const q2 = question("3.0", "and HTTP/3?", 3000);
    // The thread as the platform returns it up to the follow-up: the status header and the
    // first chunk of answer one; the rest of it was posted after the follow-up.
    const platform = [
      said("1.0", "what is QUIC?", 1000),
      said("2.0", "⏳ Researching… 20s", 2000, true),
      said("2.5", "QUIC is a tran", 2500, true),
      said("3.0", "and HTTP/3?", 3000),
    ];
    const earlier = [
      { question: q1, answer: "QUIC is a transport over UDP.", posted: ["2.0", "2.5", "4.0"] },
    ];
    const merged = mergeHistory(platform, earlier, { question: q2, posted: [] });
    expect(turns(merged)).toEqual([
      "user: what is QUIC?",
      "bot: QUIC is a transport over UDP.",
      "user: and HTTP/3?",
    ]);
  });

  it("drops this question's own earlier messages (a queued note) and keeps people's messages in between", () => {
    const q1 = question("1.0", "first", 1000);
    const q2 = question("3.0", "second", 3000);
    const platform = [
      said("1.0", "first", 1000),
      said("1.5", "Ben: me too", 1500),
      said("2.0", "answer one", 2000, true),
      said("3.0", "second", 3000),
    ];
    const merged = mergeHistory(
      platform,
      [{ question: q1, answer: "answer one", posted: ["2.0"] }],
      {
        question: q2,
        posted: ["3.1"],
      },
    );
    expect(turns(merged)).toEqual([
      "user: first",
      "bot: answer one",
      "user: Ben: me too",
      "user: second",
    ]);
  });

  it("places a question that is not a message of the thread (a Discord /ask) by time, with its answer", () => {
    const q1 = question("i1", "what is QUIC?", 1000, "");
    const q2 = question("9", "thanks, and HTTP/3?", 5000);
    const platform = [said("7", "QUIC is…", 2000, true), said("9", "thanks, and HTTP/3?", 5000)];
    const merged = mergeHistory(
      platform,
      [{ question: q1, answer: "QUIC is a transport.", posted: ["7"] }],
      {
        question: q2,
        posted: [],
      },
    );
    expect(turns(merged)).toEqual([
      "user: what is QUIC?",
      "bot: QUIC is a transport.",
      "user: thanks, and HTTP/3?",
    ]);
  });

  it("keeps a bot message it does not know (an answer older than its records) as an assistant turn", () => {
    const q = question("5", "more?", 5000);
    const platform = [
      said("1", "hi", 1000),
      said("2", "an old answer", 2000, true),
      said("5", "more?", 5000),
    ];
    expect(turns(mergeHistory(platform, [], { question: q, posted: [] }))).toEqual([
      "user: hi",
      "bot: an old answer",
      "user: more?",
    ]);
  });

  it("gives a question that failed before writing anything no assistant turn", () => {
    const q1 = question("1", "first", 1000);
    const q2 = question("3", "second", 3000);
    const platform = [
      said("1", "first", 1000),
      said("2", "⚠️ No credits", 2000, true),
      said("3", "second", 3000),
    ];
    const merged = mergeHistory(platform, [{ question: q1, answer: "", posted: ["2"] }], {
      question: q2,
      posted: [],
    });
    expect(turns(merged)).toEqual(["user: first", "user: second"]);
  });
});
