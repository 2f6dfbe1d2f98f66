/**
 * Files people attach in Slack: read from the message's `files[]` file objects (never from
 * its text), downloaded from `url_private` with the bot token (`files:read` scope).
 * https://docs.slack.dev/reference/objects/file-object
 */
import type { ChatAdapter } from "../../src/chat/adapter.ts";
import { AttachmentError, downloadFile } from "../../src/chat/file-download.ts";
import type { Attachment, FetchedAttachment } from "../../src/chat/types.ts";

/** Slack serves `url_private` from this host only; any other URL in a file object is not fetched. */
export const SLACK_FILE_HOSTS: readonly string[] = ["files.slack.com"];

/**
 * A message's file objects as attachments. Deleted files (`mode: "tombstone"`) and objects
 * without `url_private` (Slack Connect's `file_access: "check_file_info"`) are left out:
 * there is nothing to download. External files (`mode: "external"`, e.g. Google Drive)
 * stay in, and are later skipped because their URL is not on Slack's host.
 */
export function slackAttachments(files: readonly unknown[] | undefined): Attachment[] {
  const out: Attachment[] = [];
  for (const file of files ?? []) {
    if (typeof file !== "object" || file === null) continue;
    const f = file as Record<string, unknown>;
    if (f.mode === "tombstone" || typeof f.url_private !== "string" || !f.url_private) continue;
    out.push({
      url: f.url_private,
      ...(typeof f.name === "string" && f.name ? { name: f.name } : {}),
      ...(typeof f.mimetype === "string" && f.mimetype ? { mimeType: f.mimetype } : {}),
      ...(typeof f.size === "number" && f.size >= 0 ? { size: f.size } : {}),
    });
  }
  return out;
}

export interface SlackFileFetcherOptions {
  /** The bot token (`xoxb-…`): `url_private` needs it as `Authorization: Bearer`. */
  token: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

/** `fetchAttachment` for Slack (see `ChatAdapter.fetchAttachment`). */
export function slackFileFetcher(
  opts: SlackFileFetcherOptions,
): NonNullable<ChatAdapter["fetchAttachment"]> {
  return async (_question, attachment): Promise<FetchedAttachment | undefined> => {
    // Without `files:read` (or before the app is reinstalled with it) Slack answers 200
    // with its sign-in page instead of the file, or redirects to the workspace's sign-in.
    const signIn = () =>
      new AttachmentError(
        "Slack sent its sign-in page instead of the file (does the app have the files:read scope?)",
      );
    let file: FetchedAttachment | undefined;
    try {
      file = await downloadFile(attachment.url, {
        hosts: SLACK_FILE_HOSTS,
        headers: { Authorization: `Bearer ${opts.token}` },
        timeoutMs: opts.timeoutMs,
        fetch: opts.fetch,
      });
    } catch (err) {
      const status = err instanceof AttachmentError ? (err.httpStatus ?? 0) : 0;
      if (status >= 300 && status < 400) throw signIn();
      throw err;
    }
    if (file && (file.mimeType === "text/html" || looksLikeHtml(file.data))) throw signIn();
    return file;
  };
}

/** Adds Slack file downloads to the Slack adapter (the composition root wires it). */
export function withSlackFiles(adapter: ChatAdapter, opts: SlackFileFetcherOptions): ChatAdapter {
  return { ...adapter, fetchAttachment: slackFileFetcher(opts) };
}

function looksLikeHtml(data: Uint8Array): boolean {
  const head = new TextDecoder().decode(data.subarray(0, 64)).trimStart().toLowerCase();
  return head.startsWith("<!doctype html") || head.startsWith("<html");
}
