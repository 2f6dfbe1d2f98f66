/**
 * Slack's file host, `https://files.slack.com/files-pri/{team}-{file}/{name}`: serves a
 * file's bytes only with `Authorization: Bearer <bot token>`. Without it Slack does what it
 * does for a token lacking `files:read`: redirects to the workspace's sign-in page, or
 * (`withoutAuth = "sign-in-page"`) answers 200 with that page's HTML. Records every request.
 */
import type { FakeSlackFile } from "./slack-content.ts";

export const SLACK_FILES_HOST = "files.slack.com";

export interface FileRequest {
  method: string;
  url: string;
  authorization?: string;
}

interface StoredFile {
  bytes: Uint8Array;
  mimetype: string;
}

export class FakeSlackFiles {
  readonly requests: FileRequest[] = [];
  withoutAuth: "redirect" | "sign-in-page" = "redirect";
  private readonly files = new Map<string, StoredFile>();
  private readonly failures = new Map<string, number>();
  private readonly redirects = new Map<string, string>();
  private next = 1;

  constructor(readonly opts: { token: string; teamId?: string; workspace?: string }) {}

  /** A file uploaded to Slack; returns its file object as messages carry it. */
  add(file: { name: string; mimetype: string; bytes: Uint8Array; size?: number }): FakeSlackFile {
    const id = `F0FILE${this.next++}`;
    const path = `/files-pri/${this.opts.teamId ?? "T0TEAM"}-${id}/${encodeURIComponent(file.name)}`;
    this.files.set(path, { bytes: file.bytes, mimetype: file.mimetype });
    return {
      id,
      name: file.name,
      mimetype: file.mimetype,
      size: file.size ?? file.bytes.byteLength,
      mode: "hosted",
      url_private: `https://${SLACK_FILES_HOST}${path}`,
    };
  }

  /** Requests for `url` answer `status` (e.g. 404 for a file deleted since it was listed). */
  fail(url: string, status: number): void {
    this.failures.set(new URL(url).pathname, status);
  }

  /** Requests for `url` answer 302 to `location`. */
  redirect(url: string, location: string): void {
    this.redirects.set(new URL(url).pathname, location);
  }

  /** Requests that reached the file at `url`. */
  requestsFor(url: string): FileRequest[] {
    return this.requests.filter((r) => r.url === url);
  }

  handle(req: Request): Response {
    const url = new URL(req.url);
    const authorization = req.headers.get("Authorization") ?? undefined;
    this.requests.push({ method: req.method, url: req.url, authorization });
    if (req.method !== "GET") return new Response("method not allowed", { status: 405 });
    if (authorization !== `Bearer ${this.opts.token}`) return this.signIn(url);
    const location = this.redirects.get(url.pathname);
    if (location) return new Response(null, { status: 302, headers: { Location: location } });
    const status = this.failures.get(url.pathname);
    if (status) return new Response("error", { status });
    const file = this.files.get(url.pathname);
    if (!file) return new Response("file not found", { status: 404 });
    return new Response(file.bytes, {
      status: 200,
      headers: {
        "Content-Type": file.mimetype,
        "Content-Length": String(file.bytes.byteLength),
      },
    });
  }

  private signIn(url: URL): Response {
    const workspace = `https://${this.opts.workspace ?? "quarry-test"}.slack.com`;
    if (this.withoutAuth === "redirect") {
      const location = `${workspace}/?redir=${encodeURIComponent(url.pathname)}`;
      return new Response(`<a href="${location}">Found</a>.`, {
        status: 302,
        headers: { Location: location, "Content-Type": "text/html" },
      });
    }
    return new Response("<!DOCTYPE html><html><head><title>Sign in | Slack</title></head></html>", {
      status: 200,
      headers: { "Content-Type": "text/html; charset=utf-8" },
    });
  }
}
