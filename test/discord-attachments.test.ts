import type { APIAttachment } from "discord-api-types/v10";
import { beforeEach, describe, expect, it, vi } from "vitest";
import {
  DISCORD_FILE_HOSTS,
  discordAttachmentFetcher,
  discordAttachments,
} from "../adapters/discord/attachments.ts";
import type { Attachment, Question } from "../src/chat/types.ts";
import { CDN_HOST, FakeDiscordCdn, MEDIA_HOST } from "./fakes/discord-files.ts";
import { pdfBytes, pngBytes } from "./fakes/file-bytes.ts";
import { installFakeNetwork } from "./fakes/network.ts";

const CHANNEL = "1200000000000000001";
const q = { id: "discord:message:1", thread: { platform: "discord" } } as Question;
const fetchAttachment = discordAttachmentFetcher();

let cdn: FakeDiscordCdn;
let elsewhere: string[];

beforeEach(() => {
  vi.restoreAllMocks();
  cdn = new FakeDiscordCdn();
  elsewhere = [];
  installFakeNetwork({
    [CDN_HOST]: cdn,
    [MEDIA_HOST]: cdn,
    "images.example.com": {
      handle: (req) => {
        elsewhere.push(req.url);
        return new Response(pngBytes());
      },
    },
  });
});

const one = (a: Partial<APIAttachment>): Attachment =>
  discordAttachments([a as APIAttachment])[0] as Attachment;

describe("Discord attachments", () => {
  it("serves only Discord's CDN and media proxy", () => {
    expect(DISCORD_FILE_HOSTS).toEqual(["cdn.discordapp.com", "media.discordapp.net"]);
  });

  it("maps attachment objects to attachments, every kind included", () => {
    const image = cdn.add(CHANNEL, {
      name: "chart.png",
      contentType: "image/png",
      bytes: pngBytes(),
    });
    const pdf = cdn.add(CHANNEL, {
      name: "paper.pdf",
      contentType: "application/pdf",
      bytes: pdfBytes(),
    });
    expect(discordAttachments([image, pdf] as APIAttachment[])).toEqual([
      { url: image.url, name: "chart.png", mimeType: "image/png", size: 64 },
      { url: pdf.url, name: "paper.pdf", mimeType: "application/pdf", size: 64 },
    ]);
  });

  it("downloads from the CDN with the signed URL", async () => {
    const bytes = pngBytes(2048);
    const attachment = one(
      cdn.add(CHANNEL, { name: "chart.png", contentType: "image/png", bytes }),
    );
    expect(await fetchAttachment(q, attachment)).toEqual({ data: bytes, mimeType: "image/png" });
    expect(cdn.requests.map((r) => r.host)).toEqual([CDN_HOST]);
  });

  it("tries the media proxy once when the CDN answers 403", async () => {
    cdn.refusing.add(CDN_HOST);
    const bytes = pngBytes(100);
    const attachment = one(
      cdn.add(CHANNEL, { name: "chart.png", contentType: "image/png", bytes }),
    );
    expect(await fetchAttachment(q, attachment)).toEqual({ data: bytes, mimeType: "image/png" });
    expect(cdn.requests.map((r) => r.host)).toEqual([CDN_HOST, MEDIA_HOST]);
    // The proxy gets the same signed path and query.
    expect(cdn.requests[1]?.url).toBe(attachment.url.replace(CDN_HOST, MEDIA_HOST));
  });

  it("reports a 403 from both hosts as the CDN's refusal", async () => {
    cdn.refusing.add(CDN_HOST);
    cdn.refusing.add(MEDIA_HOST);
    const attachment = one(
      cdn.add(CHANNEL, { name: "chart.png", contentType: "image/png", bytes: pngBytes() }),
    );
    await expect(fetchAttachment(q, attachment)).rejects.toThrow(
      "HTTP 403: Discord's CDN refused the download",
    );
  });

  it("reports an expired or unsigned URL as the CDN's 404", async () => {
    const attachment = one(
      cdn.add(CHANNEL, { name: "chart.png", contentType: "image/png", bytes: pngBytes() }),
    );
    const unsigned = { ...attachment, url: attachment.url.split("?")[0] as string };
    await expect(fetchAttachment(q, unsigned)).rejects.toThrow("HTTP 404");
    expect(cdn.requests.map((r) => r.host)).toEqual([CDN_HOST]);
  });

  it("never requests an attachment URL on another host", async () => {
    const attachment = one({
      id: "1",
      filename: "x.png",
      content_type: "image/png",
      size: 10,
      url: "https://images.example.com/x.png",
      proxy_url: "https://images.example.com/x.png",
    });
    expect(await fetchAttachment(q, attachment)).toBeUndefined();
    expect(elsewhere).toEqual([]);
    expect(cdn.requests).toEqual([]);
  });
});
