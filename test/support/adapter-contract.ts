/**
 * The behaviour every chat platform must show, whatever its wire format: one suite that
 * the Slack and the Discord adapter both run (vercel/chat keeps such a suite too). A
 * platform plugs in through a `ContractHarness` built on its real verify / parse /
 * adapter code and its recording fake.
 */
import { beforeEach, describe, expect, it } from "vitest";
import type { ChatAdapter } from "../../src/chat/adapter.ts";
import type { Question, SentMessage, ThreadRef } from "../../src/chat/types.ts";
import { conversationName } from "../../src/conversation/submit.ts";
import { ReplyWriter } from "../../src/delivery/reply-writer.ts";

/** An HTTP request as the platform delivers it: headers and the raw body they sign. */
export interface SignedRequest {
  headers: Headers;
  body: string;
}

/** One message as people see it in a conversation on the platform. */
export interface VisibleMessage {
  text: string;
  fromBot: boolean;
}

export interface ContractHarness<Payload = unknown> {
  /** The real adapter, wired to the platform's recording fake. */
  readonly adapter: ChatAdapter;
  /** The platform's hard limit on one message (Slack markdown block 12,000; Discord 2,000). */
  readonly limit: number;
  /** What must never reach the platform in anything the bot sends. */
  readonly pingPatterns: RegExp[];
  /** Fields every recorded message body must carry (Discord: `allowed_mentions`). */
  readonly requiredOnEveryMessage?: Record<string, unknown>;

  /** A body the platform really signs and sends (an event, an interaction). */
  sampleBody(): string;
  /** Signed now with the key or secret the harness verifies with. */
  signedRequest(body: string): Promise<SignedRequest>;
  /** Signed correctly, then the body changed on the way. */
  tamperedRequest(body: string): Promise<SignedRequest>;
  /** Signed now, but with another secret or key pair. */
  wrongKeyRequest(body: string): Promise<SignedRequest>;
  /** Signed correctly with a timestamp six minutes old. */
  staleRequest(body: string): Promise<SignedRequest>;
  /** The same request with its signature headers missing. */
  unsignedRequest(body: string): Promise<SignedRequest>;
  /** The platform's verify function, with the harness's key or secret. */
  verify(req: SignedRequest): Promise<boolean>;

  /**
   * Someone posts a message that mentions the bot (the fake now holds it); every delivery
   * the platform makes of it (Slack: `app_mention` and `message.channels`; Discord: a
   * MESSAGE_CREATE replayed after a Gateway RESUME).
   */
  mention(text: string): Promise<Payload[]>;
  /** The platform echoing `sent` (a message the bot posted for `question`) back to the bot. */
  ownEcho(question: Question, sent: SentMessage): Promise<Payload>;
  /** Someone answering the bot's `answer` where the platform keeps the conversation going. */
  reply(question: Question, answer: SentMessage, text: string): Promise<Payload>;
  /** The platform's parse: a payload → the question to answer, or null. */
  parse(payload: Payload): Promise<Question | null>;

  /** The conversation of `thread` as the fake shows it, oldest first. */
  visibleMessages(thread: ThreadRef): VisibleMessage[];
  /** Every request body that created or changed a message, as the fake received it. */
  recordedMessages(): unknown[];
  /** The bot's messages in `thread` that show a Stop button, with the question it stops. */
  stopsShown(thread: ThreadRef): { text: string; questionId: string }[];
}

/** A body with one character changed, so the signature no longer covers it. */
export function tamper(body: string): string {
  const at = body.search(/[0-9a-z]/i);
  if (at < 0) return `${body} `;
  const c = body[at] as string;
  return body.slice(0, at) + (c === "1" ? "2" : "1") + body.slice(at + 1);
}

/**
 * Time passes only when someone sleeps: the writer's cadence and the shared limiter's waits
 * cost no real time. The harness hands the same clock to its fake, whose rate limits then
 * count in the same time the writer paces itself in.
 */
export interface ContractClock {
  now: () => number;
  sleep: (ms: number) => Promise<void>;
}

function virtualClock(): ContractClock {
  let t = 1_800_000_000_000;
  return {
    now: () => t,
    sleep: async (ms: number) => {
      t += ms;
    },
  };
}

const STATUS = "⏳ researching";
const FENCE = /^\s*(`{3,}|~{3,})/;

/** Prose and a long code block, about `size` characters, every line short enough to stay whole. */
function longAnswer(size: number): string {
  const run = (line: (i: number) => string, from: number, upTo: number, sep: string) => {
    const out: string[] = [];
    for (let i = from, n = 0; n < upTo; i++) {
      out.push(line(i));
      n += (out.at(-1) ?? "").length + sep.length;
    }
    return out.join(sep);
  };
  const finding = (i: number) =>
    `Finding ${i}: QUIC streams are independent, so loss on one\nstream never stalls the others (see RFC 9000, section ${i}).`;
  const code = run(
    (i) => `const frame${i} = encode({ stream: ${i}, offset: ${i * 1200} });`,
    0,
    size * 0.3,
    "\n",
  );
  return `${run(finding, 0, size * 0.35, "\n\n")}\n\n\`\`\`ts\n${code}\n\`\`\`\n\n${run(finding, 1000, size * 0.35, "\n\n")}`;
}

/** Lines that carry content: fences (closed and reopened at splits), blanks and the status dropped. */
const contentLines = (texts: string[], status: string) =>
  texts
    .flatMap((t) => t.split("\n"))
    .map((l) => l.trim())
    .filter((l) => l && l !== status && !FENCE.test(l));

/** Model output that tries every way of pinging people on either platform. */
const HOSTILE = [
  "Heads up <!channel> and <!here|here> and <!everyone>, also <!subteam^S0ENG|@eng>.",
  "Ping <@U0BOB> and <@W0ALICE|alice>, and @here @channel @everyone typed plainly.",
  "On Discord: @everyone, @here, <@2000000000000000001>, <@!2000000000000000002>, <@&3000000000000000003>.",
].join("\n\n");

export function adapterContract<Payload>(
  name: string,
  makeHarness: (clock: ContractClock) => Promise<ContractHarness<Payload>>,
): void {
  describe(name, () => {
    let h: ContractHarness<Payload>;
    let clock: ContractClock;
    beforeEach(async () => {
      clock = virtualClock();
      h = await makeHarness(clock);
    });

    /** A post as the core makes it: after a slot in the shared limits. */
    async function post(question: Question, text: string): Promise<SentMessage> {
      await h.adapter.pace?.(question, "post");
      return h.adapter.post(question, text);
    }

    /** The question a fresh mention asks, parsed from its first delivery. */
    async function ask(text: string): Promise<Question> {
      const [first] = await h.mention(text);
      const question = first === undefined ? null : await h.parse(first);
      expect(question).not.toBeNull();
      return question as Question;
    }

    async function write(question: Question, answer: string, status = STATUS): Promise<void> {
      const writer = new ReplyWriter({ adapter: h.adapter, question, ...clock });
      writer.update("", status);
      const step = Math.ceil(answer.length / 9);
      for (let at = step; at < answer.length; at += step) {
        writer.update(answer.slice(0, at), status);
        await new Promise((r) => setTimeout(r, 0));
      }
      await writer.finish(answer, "");
    }

    describe("verification", () => {
      it("accepts a request signed with the right key just now", async () => {
        expect(await h.verify(await h.signedRequest(h.sampleBody()))).toBe(true);
      });

      it("rejects a body changed after signing", async () => {
        expect(await h.verify(await h.tamperedRequest(h.sampleBody()))).toBe(false);
      });

      it("rejects a request signed with another key or secret", async () => {
        expect(await h.verify(await h.wrongKeyRequest(h.sampleBody()))).toBe(false);
      });

      it("rejects a correctly signed request whose timestamp is six minutes old", async () => {
        expect(await h.verify(await h.staleRequest(h.sampleBody()))).toBe(false);
      });

      it("rejects a request without signature headers", async () => {
        expect(await h.verify(await h.unsignedRequest(h.sampleBody()))).toBe(false);
      });
    });

    describe("parsing", () => {
      it("ignores the platform's echo of the bot's own answer", async () => {
        const question = await ask("what is QUIC?");
        const sent = await post(question, h.adapter.render("QUIC is a transport."));
        expect(await h.parse(await h.ownEcho(question, sent))).toBeNull();
      });

      it("turns every delivery of one mention into the same question and conversation", async () => {
        const deliveries = await h.mention("what is QUIC?");
        expect(deliveries.length).toBeGreaterThanOrEqual(2);
        const questions = await Promise.all(deliveries.map((d) => h.parse(d)));
        const [first] = questions;
        expect(first).toMatchObject({ text: "what is QUIC?", trigger: "mention" });
        for (const q of questions) {
          expect(q?.id).toBe(first?.id);
          expect(conversationName(q?.thread as ThreadRef)).toBe(
            conversationName(first?.thread as ThreadRef),
          );
        }
      });
    });

    describe("threads", () => {
      it("posts the answer into the conversation the question came from", async () => {
        const question = await ask("what is QUIC?");
        await post(question, h.adapter.render("QUIC is a transport over UDP."));
        const visible = h.visibleMessages(question.thread);
        expect(visible[0]).toMatchObject({ fromBot: false, text: expect.stringContaining("QUIC") });
        expect(visible.at(-1)).toEqual({ fromBot: true, text: "QUIC is a transport over UDP." });
      });

      it("keeps the answers to two questions in one channel apart", async () => {
        const first = await ask("what is QUIC?");
        const second = await ask("what is HTTP/3?");
        expect(conversationName(second.thread)).not.toBe(conversationName(first.thread));
        await post(first, "answer one");
        await post(second, "answer two");
        const bot = (t: ThreadRef) =>
          h
            .visibleMessages(t)
            .filter((m) => m.fromBot)
            .map((m) => m.text);
        expect(bot(first.thread)).toEqual(["answer one"]);
        expect(bot(second.thread)).toEqual(["answer two"]);
      });

      it("maps a reply to the bot's answer onto the same conversation", async () => {
        const question = await ask("what is QUIC?");
        const sent = await post(question, "QUIC is a transport.");
        await h.adapter.rememberAnswer?.(question, sent);
        const followUp = await h.parse(await h.reply(question, sent, "and HTTP/3?"));
        expect(followUp?.text).toBe("and HTTP/3?");
        expect(followUp?.id).not.toBe(question.id);
        expect(conversationName(followUp?.thread as ThreadRef)).toBe(
          conversationName(question.thread),
        );
      });
    });

    describe("long answers", () => {
      /** Writes an answer three times the platform's limit; returns the bot's messages as shown. */
      async function writeLong(): Promise<{ answer: string; bot: string[] }> {
        const question = await ask("show me the framing code");
        const answer = longAnswer(3 * h.limit);
        await write(question, answer);
        const bot = h
          .visibleMessages(question.thread)
          .filter((m) => m.fromBot)
          .map((m) => m.text);
        return { answer, bot };
      }

      it("splits an answer three times the limit into messages within it, fences balanced, nothing lost", async () => {
        const { answer, bot } = await writeLong();
        expect(bot.length).toBeGreaterThanOrEqual(3);
        for (const text of bot) {
          expect(text.length).toBeLessThanOrEqual(h.adapter.maxMessageChars);
          expect(text.length).toBeLessThanOrEqual(h.limit);
          const fences = text.split("\n").filter((l) => FENCE.test(l));
          expect(fences.length % 2).toBe(0);
        }
        // The code block crossed a split: closed in one message and reopened in the next.
        expect(bot.filter((t) => t.includes("```ts")).length).toBeGreaterThanOrEqual(2);
        const status = h.adapter.render(STATUS);
        const squeezed = (texts: string[]) =>
          contentLines(texts, status).join("").replace(/\s+/g, "");
        expect(squeezed(bot)).toBe(squeezed([h.adapter.render(answer)]));
      });

      it("ends every message of a long answer at a line break, never inside a word or a code line", async () => {
        const { answer, bot } = await writeLong();
        const status = h.adapter.render(STATUS);
        expect(contentLines(bot, status)).toEqual(contentLines([h.adapter.render(answer)], status));
      });
    });

    describe("controls", () => {
      it("shows one Stop, for the question, on the message with the progress line, and none once final", async () => {
        const question = await ask("show me the framing code");
        const status = h.adapter.render(STATUS);
        const seen: { text: string; questionId: string }[][] = [];
        const writer = new ReplyWriter({
          adapter: h.adapter,
          question,
          stop: question.id,
          ...clock,
          onProgress: () => seen.push(h.stopsShown(question.thread)),
        });
        // Long enough to split: the Stop must follow the progress line into the new message.
        const answer = longAnswer(1.5 * h.limit);
        writer.update("", STATUS);
        const step = Math.ceil(answer.length / 9);
        for (let at = step; at < answer.length; at += step) {
          writer.update(answer.slice(0, at), STATUS);
          await new Promise((r) => setTimeout(r, 0));
        }
        const running = seen.filter((stops) => stops.length > 0);
        expect(running.length).toBeGreaterThan(1);
        for (const stops of running) {
          expect(stops).toHaveLength(1);
          expect(stops[0]?.questionId).toBe(question.id);
          expect(stops[0]?.text).toContain(status);
        }
        // As the answer job ends every answer: with a header for a native stream's status message.
        await writer.finish(answer, "", "✅ Answered");
        expect(h.stopsShown(question.thread)).toEqual([]);
        expect(h.visibleMessages(question.thread).filter((m) => m.fromBot).length).toBeGreaterThan(
          1,
        );
      });

      it("carries no Stop when the core asks for none", async () => {
        const question = await ask("what is QUIC?");
        await write(question, "QUIC is a transport over UDP.");
        expect(h.stopsShown(question.thread)).toEqual([]);
      });
    });

    describe("mentions", () => {
      it("neutralises every ping in the answer and the status in all it sends", async () => {
        const question = await ask("who should I tell?");
        const answer = `${HOSTILE}\n\n${"Filler line about QUIC.\n".repeat(Math.ceil((1.2 * h.adapter.maxMessageChars) / 24))}\n${HOSTILE}`;
        await write(question, answer, `⏳ telling <!here> and @everyone`);
        const bodies = h.recordedMessages();
        expect(bodies.length).toBeGreaterThan(1);
        for (const body of bodies) {
          const wire = JSON.stringify(body);
          for (const ping of h.pingPatterns) expect(wire).not.toMatch(ping);
          if (h.requiredOnEveryMessage) expect(body).toMatchObject(h.requiredOnEveryMessage);
        }
        const shown = h
          .visibleMessages(question.thread)
          .filter((m) => m.fromBot)
          .map((m) => m.text)
          .join("\n");
        expect(shown).toContain("Filler line about QUIC.");
        for (const ping of h.pingPatterns) expect(shown).not.toMatch(ping);
      });

      it("renders already-rendered text unchanged, without doubled zero-width spaces", () => {
        const samples = [
          HOSTILE,
          "#### Small heading\n\n| a | b |\n|---|---|\n| <!here> | @everyone |",
          "Inline `@everyone` and\n```\n<@U0BOB> @here\n```\nafter the fence @here",
        ];
        for (const sample of samples) {
          const once = h.adapter.render(sample);
          const twice = h.adapter.render(once);
          expect(twice).toBe(once);
          expect(twice).not.toMatch(/\u200b{2}/);
        }
      });
    });
  });
}
