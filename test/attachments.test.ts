import { describe, expect, it } from "vitest";
import { prepareAttachments, sniff } from "../src/answer/attachments.ts";
import type { ChatAdapter } from "../src/chat/adapter.ts";
import { AttachmentError } from "../src/chat/file-download.ts";
import type { Attachment, FetchedAttachment, HistoryEntry, Question } from "../src/chat/types.ts";
import { base64Of, jpegBytes, MB, pdfBytes, pngBytes, textBytes } from "./fakes/file-bytes.ts";

const HOST = "https://files.slack.com/files-pri/T0TEAM-";
const vision = { id: "openai/o4-mini", inputModalities: ["text", "image"] };
const visionAndFiles = {
  id: "openai/o4-mini-deep-research",
  inputModalities: ["text", "image", "file"],
};
const textOnly = { id: "tiny/model", inputModalities: ["text"] };

const question: Question = {
  id: "slack:C1:1700000000.000900",
  thread: {
    platform: "slack",
    workspaceId: "T0TEAM",
    channelId: "C1",
    threadId: "1700000000.000100",
  },
  text: "what do these show?",
  trigger: "mention",
  user: { id: "U0ANA" },
  messageId: "1700000000.000900",
  receivedAt: 0,
};

const file = (name: string, mimeType: string, size?: number): Attachment => ({
  url: `${HOST}${name}`,
  name,
  mimeType,
  ...(size === undefined ? {} : { size }),
});

function entry(id: string, attachments: Attachment[], fromBot = false): HistoryEntry {
  return { id, author: { id: fromBot ? "B0BOT" : "U0ANA" }, fromBot, text: id, attachments };
}

/** An adapter whose downloads answer from `files` by URL, recording each. */
function stubAdapter(
  files: Record<string, FetchedAttachment | Error | undefined>,
): Pick<ChatAdapter, "platform" | "fetchAttachment"> & { fetched: string[] } {
  const fetched: string[] = [];
  return {
    platform: "slack",
    fetched,
    async fetchAttachment(_q, a) {
      fetched.push(a.url);
      const answer = files[a.url];
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
}

const png = (bytes = pngBytes()) => ({ data: bytes, mimeType: "image/png" });

describe("prepareAttachments", () => {
  it("sends an image to a vision model as a data URL of its bytes, typed by the bytes", async () => {
    const bytes = jpegBytes(300);
    // Mislabelled by the host: the bytes are a JPEG, and that is what the model is told.
    const adapter = stubAdapter({ [`${HOST}a.png`]: { data: bytes, mimeType: "image/png" } });
    const history = [entry("q", [file("a.png", "image/png", 300)])];
    const prepared = await prepareAttachments(history, adapter, question, vision);
    expect(prepared.entries.get("q")).toEqual({
      parts: [
        { type: "image_url", image_url: { url: `data:image/jpeg;base64,${base64Of(bytes)}` } },
      ],
      lines: ["[image attached: a.png]"],
    });
    expect(prepared.notes).toEqual([]);
  });

  it("downloads nothing for a model without image input and says the images were not seen", async () => {
    const adapter = stubAdapter({});
    const history = [entry("q", [file("a.png", "image/png"), file("b.jpg", "image/jpeg")])];
    const prepared = await prepareAttachments(history, adapter, question, textOnly);
    expect(adapter.fetched).toEqual([]);
    expect(prepared.notes).toEqual(["2 images were not sent: `tiny/model` cannot see images."]);
    expect(prepared.entries.get("q")).toEqual({
      parts: [],
      lines: [
        "[image attached: a.png (not shown to you: `tiny/model` cannot see images)]",
        "[image attached: b.jpg (not shown to you: `tiny/model` cannot see images)]",
      ],
    });
  });

  it("sends a PDF as a file part to a model with file input, and not to one without", async () => {
    const bytes = pdfBytes(2000);
    const files = { [`${HOST}report.pdf`]: { data: bytes, mimeType: "application/pdf" } };
    const history = [entry("q", [file("report.pdf", "application/pdf")])];
    const reader = await prepareAttachments(history, stubAdapter(files), question, visionAndFiles);
    expect(reader.entries.get("q")?.parts).toEqual([
      {
        type: "file",
        file: {
          filename: "report.pdf",
          file_data: `data:application/pdf;base64,${base64Of(bytes)}`,
        },
      },
    ]);
    const blind = stubAdapter(files);
    const other = await prepareAttachments(history, blind, question, vision);
    expect(blind.fetched).toEqual([]);
    expect(other.notes).toEqual(["1 PDF was not sent: `openai/o4-mini` does not take files."]);
  });

  it("skips a file the platform says is over 5 MB without downloading it", async () => {
    const adapter = stubAdapter({ [`${HOST}small.png`]: png() });
    const history = [
      entry("q", [file("huge.png", "image/png", 6 * MB), file("small.png", "image/png")]),
    ];
    const prepared = await prepareAttachments(history, adapter, question, vision);
    expect(adapter.fetched).toEqual([`${HOST}small.png`]);
    expect(prepared.notes).toEqual(["`huge.png` was not sent: larger than 5 MB."]);
    expect(prepared.entries.get("q")?.parts).toHaveLength(1);
  });

  it("sends at most four attachments with a question and names the ones left out", async () => {
    const names = ["1.png", "2.png", "3.png", "4.png", "5.png", "6.png"];
    const adapter = stubAdapter(Object.fromEntries(names.map((n) => [`${HOST}${n}`, png()])));
    const history = [
      entry(
        "q",
        names.map((n) => file(n, "image/png")),
      ),
    ];
    const prepared = await prepareAttachments(history, adapter, question, vision);
    expect(adapter.fetched).toEqual(names.slice(0, 4).map((n) => `${HOST}${n}`));
    expect(prepared.entries.get("q")?.parts).toHaveLength(4);
    expect(prepared.notes).toEqual([
      "`5.png` and `6.png` were not sent: at most 4 attachments go with a question.",
    ]);
  });

  it("turns a refused address and failed downloads into notes, never an error", async () => {
    const adapter = stubAdapter({
      [`${HOST}elsewhere.png`]: undefined,
      [`${HOST}forbidden.png`]: new AttachmentError("HTTP 403", { httpStatus: 403 }),
      [`${HOST}slow.png`]: new AttachmentError("no answer in 15 s"),
      [`${HOST}page.png`]: { data: textBytes("<!DOCTYPE html>"), mimeType: "image/png" },
    });
    const history = [
      entry("q", [
        file("elsewhere.png", "image/png"),
        file("forbidden.png", "image/png"),
        file("slow.png", "image/png"),
        file("page.png", "image/png"),
      ]),
    ];
    const prepared = await prepareAttachments(history, adapter, question, vision);
    expect(prepared.entries.get("q")?.parts).toEqual([]);
    expect(prepared.notes).toEqual([
      "`elsewhere.png` was not sent: its address is not on Slack's own file host.",
      "`forbidden.png` could not be downloaded (HTTP 403), so the model did not see it.",
      "`slow.png` could not be downloaded (no answer in 15 s), so the model did not see it.",
      "`page.png` was not sent: what was downloaded is not a PNG, JPEG, GIF or WebP image.",
    ]);
  });

  it("leaves out what is neither a supported image nor a PDF, by type or by extension", async () => {
    const adapter = stubAdapter({ [`${HOST}scan`]: png() });
    const history = [
      entry("q", [
        file("photo.heic", "image/heic"),
        file("notes.txt", "text/plain"),
        // No type from the platform: the extension decides.
        { url: `${HOST}scan`, name: "scan.PNG" },
      ]),
    ];
    const prepared = await prepareAttachments(history, adapter, question, vision);
    expect(adapter.fetched).toEqual([`${HOST}scan`]);
    expect(prepared.notes).toEqual([
      "`photo.heic` was not sent: not a PNG, JPEG, GIF or WebP image.",
      "`notes.txt` was not sent: not an image or PDF.",
    ]);
  });

  it("fills the slots the question leaves with the newest earlier attachments, without notes for them", async () => {
    const names = ["old.png", "mid1.png", "mid2.png", "new.png", "mine.png"];
    const adapter = stubAdapter(Object.fromEntries(names.map((n) => [`${HOST}${n}`, png()])));
    const history = [
      entry("e1", [file("old.png", "image/png")]),
      entry("e2", [file("mid1.png", "image/png"), file("mid2.png", "image/png")]),
      entry("bot", [file("chart-by-bot.png", "image/png")], true),
      entry("e3", [file("new.png", "image/png")]),
      entry("q", [file("mine.png", "image/png")]),
    ];
    const prepared = await prepareAttachments(history, adapter, question, vision);
    expect(adapter.fetched.sort()).toEqual(
      ["mine.png", "new.png", "mid1.png", "mid2.png"].map((n) => `${HOST}${n}`).sort(),
    );
    expect(prepared.notes).toEqual([]);
    expect(prepared.entries.get("e1")?.lines).toEqual([
      "[image attached: old.png (not shown to you: only the newest attachments are sent again)]",
    ]);
    expect(prepared.entries.get("e2")?.parts).toHaveLength(2);
    expect(prepared.entries.has("bot")).toBe(false);
  });

  it("says so when the adapter cannot download files at all", async () => {
    const history = [entry("q", [file("a.png", "image/png")])];
    const prepared = await prepareAttachments(history, { platform: "discord" }, question, vision);
    expect(prepared.notes).toEqual([
      "`a.png` was not sent: files cannot be downloaded from Discord here.",
    ]);
  });

  it("recognises the formats by their first bytes", () => {
    expect(sniff(pngBytes())).toBe("image/png");
    expect(sniff(jpegBytes())).toBe("image/jpeg");
    expect(sniff(textBytes("GIF89a..."))).toBe("image/gif");
    expect(sniff(textBytes("RIFF\u0000\u0000\u0000\u0000WEBPVP8 "))).toBe("image/webp");
    expect(sniff(pdfBytes())).toBe("application/pdf");
    expect(sniff(textBytes("<html>"))).toBeUndefined();
  });
});
