/**
 * Discord's CDN: attachments at `https://cdn.discordapp.com/attachments/{channel}/{id}/{name}`
 * with the signed `ex`/`is`/`hm` query Discord adds, and their proxied copies on
 * `media.discordapp.net`. A URL without its signature, or past `ex`, answers 404 "This
 * content is no longer available." as the real CDN does; a host in `refusing` answers 403,
 * as Discord's CDN does to requests from Cloudflare Workers. Records every request.
 */
import type { APIAttachment } from "discord-api-types/v10";

export const CDN_HOST = "cdn.discordapp.com";
export const MEDIA_HOST = "media.discordapp.net";

export interface CdnRequest {
  method: string;
  url: string;
  host: string;
}

export class FakeDiscordCdn {
  readonly requests: CdnRequest[] = [];
  /** Hosts that answer 403 to every request. */
  readonly refusing = new Set<string>();
  private readonly files = new Map<string, { bytes: Uint8Array; contentType: string }>();
  private next = 1;

  constructor(private readonly now: () => number = Date.now) {}

  /** A file attached to a message in `channelId`; returns the attachment object Discord gives. */
  add(
    channelId: string,
    file: { name: string; contentType: string; bytes: Uint8Array; size?: number },
  ): Partial<APIAttachment> {
    const id = `${9000000000000000000n + BigInt(this.next++)}`;
    const path = `/attachments/${channelId}/${id}/${encodeURIComponent(file.name)}`;
    this.files.set(path, { bytes: file.bytes, contentType: file.contentType });
    const issued = Math.floor(this.now() / 1000);
    const query = `?ex=${(issued + 86_400).toString(16)}&is=${issued.toString(16)}&hm=${"ab".repeat(32)}&`;
    return {
      id,
      filename: file.name,
      content_type: file.contentType,
      size: file.size ?? file.bytes.byteLength,
      url: `https://${CDN_HOST}${path}${query}`,
      proxy_url: `https://${MEDIA_HOST}${path}${query}`,
    };
  }

  handle(req: Request): Response {
    const url = new URL(req.url);
    this.requests.push({ method: req.method, url: req.url, host: url.hostname });
    if (this.refusing.has(url.hostname)) return new Response("Forbidden", { status: 403 });
    const expires = Number.parseInt(url.searchParams.get("ex") ?? "", 16);
    const signed = url.searchParams.has("is") && url.searchParams.has("hm");
    const file = this.files.get(url.pathname);
    if (!file || !signed || !(expires * 1000 > this.now()))
      return new Response("This content is no longer available.", { status: 404 });
    return new Response(file.bytes, {
      status: 200,
      headers: {
        "Content-Type": file.contentType,
        "Content-Length": String(file.bytes.byteLength),
      },
    });
  }
}
