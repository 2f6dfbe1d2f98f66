import { describe, expect, it } from "vitest";
import type { ContentPart } from "../src/openrouter/types.ts";
import { base64Of, MB, pdfBytes, pngBytes } from "./fakes/file-bytes.ts";
import {
  type AttachmentHarness,
  askModel,
  discordHarness,
  slackHarness,
} from "./support/attachment-flow.ts";

const VISION = "openai/o4-mini";
const VISION_AND_FILES = "openai/o4-mini-deep-research";
const TEXT_ONLY = "tiny/model";

type Message = { role: string; content: string | ContentPart[] };

/** The user turn of the first request OpenRouter received that holds the question. */
function askedTurn(h: AttachmentHarness): Message {
  const body = h.openrouter.chatBodies[0] as { messages: Message[] } | undefined;
  const turn = body?.messages.at(-1);
  if (!turn) throw new Error("OpenRouter received no request");
  return turn;
}

const filesOf = (m: Message) =>
  typeof m.content === "string" ? [] : m.content.filter((p) => p.type !== "text");
const textOf = (m: Message) =>
  typeof m.content === "string"
    ? m.content
    : m.content.map((p) => (p.type === "text" ? p.text : "")).join("");

const image = (name: string, size = 2_000) => ({ name, type: "image/png", bytes: pngBytes(size) });

describe.each([
  ["Slack", slackHarness],
  ["Discord", discordHarness],
])("%s attachments reach the model", (_platform, harness) => {
  it("sends an image to a vision model as an image_url data URL of its bytes", async () => {
    const h = await harness();
    const chart = image("chart.png");
    const notes = await askModel(await h.ask([chart]), VISION);
    expect(notes).toEqual([]);
    const turn = askedTurn(h);
    expect(filesOf(turn)).toEqual([
      { type: "image_url", image_url: { url: `data:image/png;base64,${base64Of(chart.bytes)}` } },
    ]);
    expect(textOf(turn)).toContain("[image attached: chart.png]");
    expect(h.fileRequests()).toHaveLength(1);
  });

  it("downloads nothing for a text-only model and says the image was not seen", async () => {
    const h = await harness();
    const notes = await askModel(await h.ask([image("chart.png")]), TEXT_ONLY);
    expect(h.fileRequests()).toEqual([]);
    expect(notes).toEqual(["1 image was not sent: `tiny/model` cannot see images."]);
    const turn = askedTurn(h);
    expect(filesOf(turn)).toEqual([]);
    expect(textOf(turn)).toContain("chart.png (not shown to you: `tiny/model` cannot see images)");
  });

  it("sends a PDF to a model with file input as a file part", async () => {
    const h = await harness();
    const paper = { name: "paper.pdf", type: "application/pdf", bytes: pdfBytes(5_000) };
    const notes = await askModel(await h.ask([paper]), VISION_AND_FILES);
    expect(notes).toEqual([]);
    expect(filesOf(askedTurn(h))).toEqual([
      {
        type: "file",
        file: {
          filename: "paper.pdf",
          file_data: `data:application/pdf;base64,${base64Of(paper.bytes)}`,
        },
      },
    ]);
  });

  it("skips a 6 MB image with a note, without downloading it", async () => {
    const h = await harness();
    const big = { ...image("big.png"), size: 6 * MB };
    const notes = await askModel(await h.ask([big, image("small.png")]), VISION);
    expect(notes).toEqual(["`big.png` was not sent: larger than 5 MB."]);
    expect(h.fileRequests()).toHaveLength(1);
    expect(h.fileRequests()[0]).toContain("small.png");
    expect(filesOf(askedTurn(h))).toHaveLength(1);
  });

  it("sends four images and skips the fifth with a note", async () => {
    const h = await harness();
    const five = [1, 2, 3, 4, 5].map((n) => image(`${n}.png`, 100 + n));
    const notes = await askModel(await h.ask(five), VISION);
    expect(notes).toEqual(["`5.png` was not sent: at most 4 attachments go with a question."]);
    expect(h.fileRequests()).toHaveLength(4);
    expect(filesOf(askedTurn(h))).toEqual(
      five.slice(0, 4).map((f) => ({
        type: "image_url",
        image_url: { url: `data:image/png;base64,${base64Of(f.bytes)}` },
      })),
    );
  });

  it("never fetches an attachment whose URL is on another host", async () => {
    const h = await harness();
    const url = "https://images.example.com/innocent.png";
    const notes = await askModel(await h.ask([{ ...image("innocent.png"), url }]), VISION);
    expect(notes).toEqual([
      expect.stringMatching(
        /^`innocent\.png` was not sent: its address is not on (Slack|Discord)'s own file host\.$/,
      ),
    ]);
    expect(h.network.unknown).toEqual([]);
    expect(h.network.log.filter((r) => r.url.includes("images.example.com"))).toEqual([]);
    expect(filesOf(askedTurn(h))).toEqual([]);
  });

  it("turns a refused download (HTTP 403) into a note, and still asks the model", async () => {
    const h = await harness();
    const notes = await askModel(await h.ask([image("chart.png")], { refused: true }), VISION);
    expect(notes).toEqual([
      expect.stringMatching(
        /^`chart\.png` could not be downloaded \(HTTP 403.*\), so the model did not see it\.$/,
      ),
    ]);
    expect(h.openrouter.chatBodies).toHaveLength(1);
    expect(textOf(askedTurn(h))).toContain("chart.png (not shown to you: could not be downloaded");
  });

  it("sends an earlier turn's image along with a follow-up that has none, without a note", async () => {
    const h = await harness();
    const chart = image("chart.png");
    const notes = await askModel(await h.ask([], { earlier: [chart] }), VISION);
    expect(notes).toEqual([]);
    const body = h.openrouter.chatBodies[0] as { messages: Message[] };
    const sent = body.messages.flatMap(filesOf);
    expect(sent).toEqual([
      { type: "image_url", image_url: { url: `data:image/png;base64,${base64Of(chart.bytes)}` } },
    ]);
    // It rides on the turn that showed it, before the bot's answer to it.
    const carrier = body.messages.findIndex((m) => filesOf(m).length > 0);
    expect(body.messages[carrier + 1]?.role).toBe("assistant");
  });
});
