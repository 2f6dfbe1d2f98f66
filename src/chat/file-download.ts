/**
 * Downloads one attachment from a platform's own file host, for the adapters'
 * `fetchAttachment`. Everything that makes fetching a user-supplied file safe lives here,
 * once: https only, an allow-list of hosts checked before the first request and again on
 * every redirect (followed by hand, so a redirect can never leave the list), a size cap
 * enforced while the body streams in, and one deadline for the whole download.
 */
import { QuarryError } from "../errors.ts";
import type { FetchedAttachment } from "./types.ts";

/** Largest file sent to the model (a data URL grows it by a third; providers cap requests). */
export const ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024;
/** Longest one download may take, redirects and body included. */
export const ATTACHMENT_TIMEOUT_MS = 15_000;
/** Hops followed; file hosts redirect once at most (to a signed URL, a CDN edge). */
const MAX_REDIRECTS = 3;
const REDIRECTS: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

/** A download that failed; `message` is a short reason that reads well in a note. */
export class AttachmentError extends QuarryError {
  /** The host's HTTP status, when it answered with an error. */
  readonly httpStatus?: number;
  constructor(reason: string, opts: { httpStatus?: number; cause?: unknown } = {}) {
    super("attachment", reason, { status: 502, cause: opts.cause });
    this.name = "AttachmentError";
    this.httpStatus = opts.httpStatus;
  }
}

export interface DownloadOptions {
  /** The only hosts (exact names) the file may come from. */
  hosts: readonly string[];
  /** Sent with every request; the caller's hosts are the platform's, so a token stays there. */
  headers?: Record<string, string>;
  maxBytes?: number;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** True when `url` is https on one of `hosts` (no port, no credentials in it). */
export function isAllowedFileUrl(url: string, hosts: readonly string[]): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  return (
    parsed.protocol === "https:" &&
    parsed.port === "" &&
    parsed.username === "" &&
    parsed.password === "" &&
    hosts.includes(parsed.hostname.toLowerCase())
  );
}

/**
 * The file at `url`. Undefined, with nothing requested, when `url` is not https on one of
 * `opts.hosts`; throws `AttachmentError` on an HTTP error, a redirect off the hosts, a body
 * over `maxBytes`, or no complete answer within `timeoutMs`.
 */
export async function downloadFile(
  url: string,
  opts: DownloadOptions,
): Promise<FetchedAttachment | undefined> {
  if (!isAllowedFileUrl(url, opts.hosts)) return undefined;
  const maxBytes = opts.maxBytes ?? ATTACHMENT_MAX_BYTES;
  const timeoutMs = opts.timeoutMs ?? ATTACHMENT_TIMEOUT_MS;
  // Resolved per call, so a spy installed on globalThis.fetch after construction still sees it.
  const doFetch = opts.fetch ?? globalThis.fetch;
  const controller = new AbortController();
  const limit = timeoutMs >= 1000 ? `${Math.round(timeoutMs / 1000)} s` : `${timeoutMs} ms`;
  const timedOut = new AttachmentError(`no answer in ${limit}`);
  const timer = setTimeout(() => controller.abort(timedOut), timeoutMs);
  // Raced as well as passed on, so a fetch or body that ignores its signal cannot hold us.
  const deadline = new Promise<never>((_, reject) =>
    controller.signal.addEventListener("abort", () => reject(timedOut), { once: true }),
  );
  deadline.catch(() => {});
  try {
    let current = url;
    for (let hop = 0; ; hop++) {
      let res: Response;
      try {
        res = await Promise.race([
          doFetch(current, {
            headers: opts.headers,
            redirect: "manual",
            signal: controller.signal,
          }),
          deadline,
        ]);
      } catch (cause) {
        if (cause === timedOut) throw timedOut;
        throw new AttachmentError("the file host could not be reached", { cause });
      }
      if (REDIRECTS.has(res.status)) {
        await res.body?.cancel();
        const location = res.headers.get("Location");
        const next = location ? new URL(location, current).toString() : "";
        if (!isAllowedFileUrl(next, opts.hosts))
          throw new AttachmentError("the file host redirected it elsewhere", {
            httpStatus: res.status,
          });
        if (hop >= MAX_REDIRECTS) throw new AttachmentError("too many redirects");
        current = next;
        continue;
      }
      // A runtime that followed the redirect itself must still have stayed on the hosts.
      if (res.url && !isAllowedFileUrl(res.url, opts.hosts)) {
        await res.body?.cancel();
        throw new AttachmentError("the file host redirected it elsewhere");
      }
      if (!res.ok) {
        await res.body?.cancel();
        throw new AttachmentError(`HTTP ${res.status}`, { httpStatus: res.status });
      }
      const data = await Promise.race([readCapped(res, maxBytes), deadline]);
      const mimeType = (res.headers.get("Content-Type") ?? "").split(";")[0]?.trim().toLowerCase();
      return { data, mimeType: mimeType || "application/octet-stream" };
    }
  } finally {
    clearTimeout(timer);
  }
}

/** The body, refused as soon as it is known to exceed `maxBytes` (declared or streamed). */
async function readCapped(res: Response, maxBytes: number): Promise<Uint8Array> {
  const tooLarge = () => new AttachmentError(`larger than ${formatBytes(maxBytes)}`);
  const declared = Number(res.headers.get("Content-Length"));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await res.body?.cancel();
    throw tooLarge();
  }
  if (!res.body) return new Uint8Array();
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  const data = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    data.set(chunk, at);
    at += chunk.byteLength;
  }
  return data;
}

/** `5 MB`, `800 KB`: sizes as notes show them (MB = 1,048,576 bytes, as the caps are set). */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${+(bytes / (1024 * 1024)).toFixed(1)} MB`;
  return `${Math.max(1, Math.round(bytes / 1024))} KB`;
}
