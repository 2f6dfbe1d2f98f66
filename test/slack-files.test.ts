import { beforeEach, describe, expect, it, vi } from "vitest";
import { SLACK_FILE_HOSTS, slackAttachments, slackFileFetcher } from "../adapters/slack/files.ts";
import { AttachmentError } from "../src/chat/file-download.ts";
import type { Attachment, Question } from "../src/chat/types.ts";
import { pngBytes } from "./fakes/file-bytes.ts";
import { installFakeNetwork } from "./fakes/network.ts";
import { FakeSlackFiles, SLACK_FILES_HOST } from "./fakes/slack-files.ts";
import { questionAt } from "./support/slack-adapter-fixture.ts";

/** Records requests to a host that is not Slack's, so a test can show it was never asked. */
class OtherHost {
  readonly requests: string[] = [];
  handle(req: Request) {
    this.requests.push(req.url);
    return new Response(pngBytes(), { headers: { "Content-Type": "image/png" } });
  }
}

let files: FakeSlackFiles;
let other: OtherHost;
let network: ReturnType<typeof installFakeNetwork>;
const q: Question = questionAt("1700000100.000400");
const fetchFile = slackFileFetcher({ token: "xoxb-test" });

beforeEach(() => {
  vi.restoreAllMocks();
  files = new FakeSlackFiles({ token: "xoxb-test" });
  other = new OtherHost();
  network = installFakeNetwork({
    [SLACK_FILES_HOST]: files,
    "files.example.com": other,
    "quarry-test.slack.com": other,
  });
});

const asAttachment = (f: ReturnType<FakeSlackFiles["add"]>): Attachment =>
  slackAttachments([f])[0] as Attachment;

describe("Slack files", () => {
  it("serves only files.slack.com", () => {
    expect(SLACK_FILE_HOSTS).toEqual(["files.slack.com"]);
  });

  it("downloads url_private with the bot token", async () => {
    const bytes = pngBytes(4096);
    const attachment = asAttachment(files.add({ name: "chart.png", mimetype: "image/png", bytes }));
    expect(attachment).toMatchObject({ name: "chart.png", mimeType: "image/png", size: 4096 });
    expect(await fetchFile(q, attachment)).toEqual({ data: bytes, mimeType: "image/png" });
    expect(files.requestsFor(attachment.url)).toEqual([
      { method: "GET", url: attachment.url, authorization: "Bearer xoxb-test" },
    ]);
  });

  it("names the missing files:read scope when Slack redirects to its sign-in page", async () => {
    const attachment = asAttachment(
      files.add({ name: "chart.png", mimetype: "image/png", bytes: pngBytes() }),
    );
    const wrongToken = slackFileFetcher({ token: "xoxb-other" });
    await expect(wrongToken(q, attachment)).rejects.toThrow(/files:read/);
    // The sign-in page is on the workspace's host: never followed, the token never sent there.
    expect(other.requests).toEqual([]);
  });

  it("names the missing files:read scope when Slack answers with its sign-in page", async () => {
    files.withoutAuth = "sign-in-page";
    const attachment = asAttachment(
      files.add({ name: "chart.png", mimetype: "image/png", bytes: pngBytes() }),
    );
    const err = await slackFileFetcher({ token: "xoxb-other" })(q, attachment).catch((e) => e);
    expect(err).toBeInstanceOf(AttachmentError);
    expect(String(err.message)).toMatch(/sign-in page.*files:read/);
  });

  it("never requests a file object's URL on another host", async () => {
    const external = slackAttachments([
      {
        id: "F1",
        name: "drive.png",
        mimetype: "image/png",
        mode: "external",
        url_private: "https://files.example.com/drive.png",
      },
    ])[0] as Attachment;
    expect(await fetchFile(q, external)).toBeUndefined();
    expect(other.requests).toEqual([]);
    expect(network.log).toEqual([]);
  });

  it("does not follow a redirect off files.slack.com", async () => {
    const attachment = asAttachment(
      files.add({ name: "chart.png", mimetype: "image/png", bytes: pngBytes() }),
    );
    files.redirect(attachment.url, "https://files.example.com/chart.png");
    await expect(fetchFile(q, attachment)).rejects.toThrow(AttachmentError);
    expect(other.requests).toEqual([]);
  });

  it("fails with the status of a file gone since it was listed", async () => {
    const attachment = asAttachment(
      files.add({ name: "chart.png", mimetype: "image/png", bytes: pngBytes() }),
    );
    files.fail(attachment.url, 404);
    await expect(fetchFile(q, attachment)).rejects.toThrow("HTTP 404");
  });
});
