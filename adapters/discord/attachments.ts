/**
 * Files people attach in Discord: read from the message's `attachments[]` objects (never
 * from its content), downloaded from Discord's CDN. Attachment URLs are signed and expire
 * (`ex`/`is`/`hm`), which is why history reads them fresh from the REST API each time.
 * https://discord.com/developers/docs/resources/message#attachment-object
 */
import type { APIAttachment } from "discord-api-types/v10";
import type { ChatAdapter } from "../../src/chat/adapter.ts";
import { AttachmentError, downloadFile } from "../../src/chat/file-download.ts";
import type { Attachment } from "../../src/chat/types.ts";

const CDN_HOST = "cdn.discordapp.com";
const MEDIA_HOST = "media.discordapp.net";
/** Discord serves attachments (`url`) and their proxied copies (`proxy_url`) from these hosts only. */
export const DISCORD_FILE_HOSTS: readonly string[] = [CDN_HOST, MEDIA_HOST];

/** A message's attachment objects as attachments (every kind: the core decides what to send). */
export function discordAttachments(
  attachments: readonly APIAttachment[] | undefined,
): Attachment[] {
  return (attachments ?? [])
    .filter((a) => typeof a.url === "string" && a.url !== "")
    .map((a) => ({
      url: a.url,
      ...(a.filename ? { name: a.filename } : {}),
      ...(a.content_type ? { mimeType: a.content_type } : {}),
      ...(typeof a.size === "number" ? { size: a.size } : {}),
    }));
}

export interface DiscordAttachmentFetcherOptions {
  fetch?: typeof fetch;
  timeoutMs?: number;
}

/**
 * `fetchAttachment` for Discord (see `ChatAdapter.fetchAttachment`). The CDN is known to
 * answer 403 to requests from Cloudflare Workers (discord/discord-api-docs#1586, #4651);
 * the same file under `media.discordapp.net` (what `proxy_url` points at) is tried once
 * then, and a second 403 is reported as it is.
 */
export function discordAttachmentFetcher(
  opts: DiscordAttachmentFetcherOptions = {},
): NonNullable<ChatAdapter["fetchAttachment"]> {
  const get = (url: string) =>
    downloadFile(url, { hosts: DISCORD_FILE_HOSTS, timeoutMs: opts.timeoutMs, fetch: opts.fetch });
  return async (_question, attachment) => {
    try {
      return await get(attachment.url);
    } catch (err) {
      const proxied = proxyUrlOf(attachment.url);
      if (!(err instanceof AttachmentError) || err.httpStatus !== 403 || !proxied) throw err;
      try {
        return await get(proxied);
      } catch (again) {
        if (again instanceof AttachmentError && again.httpStatus === 403)
          throw new AttachmentError("HTTP 403: Discord's CDN refused the download", {
            httpStatus: 403,
          });
        throw again;
      }
    }
  };
}

/** Adds attachment downloads to the Discord adapter (the composition root wires it). */
export function withDiscordAttachments(
  adapter: ChatAdapter,
  opts: DiscordAttachmentFetcherOptions = {},
): ChatAdapter {
  return { ...adapter, fetchAttachment: discordAttachmentFetcher(opts) };
}

/** The `media.discordapp.net` twin of a `cdn.discordapp.com/attachments/…` URL, signature kept. */
function proxyUrlOf(url: string): string | undefined {
  const parsed = new URL(url);
  if (parsed.hostname !== CDN_HOST || !parsed.pathname.startsWith("/attachments/"))
    return undefined;
  parsed.hostname = MEDIA_HOST;
  return parsed.toString();
}
