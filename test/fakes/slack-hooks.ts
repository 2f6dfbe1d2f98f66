/**
 * Slack's `response_url`s (`https://hooks.slack.test/…` in tests): where the Worker answers
 * an interaction after its 200. Records what each URL received; Slack takes at most five
 * posts to one URL.
 * https://docs.slack.dev/interactivity/handling-user-interaction#message_responses
 */
import type { FakeHost } from "./network.ts";

export interface HookPost {
  url: string;
  body: Record<string, unknown>;
}

const USES_PER_URL = 5;

export class FakeSlackHooks implements FakeHost {
  readonly posts: HookPost[] = [];

  async handle(req: Request): Promise<Response> {
    if (req.method !== "POST") return new Response("method_not_allowed", { status: 405 });
    if (!req.headers.get("content-type")?.startsWith("application/json"))
      return new Response("invalid_payload", { status: 400 });
    const url = req.url;
    if (this.posts.filter((p) => p.url === url).length >= USES_PER_URL)
      return new Response("used_url", { status: 404 });
    let body: Record<string, unknown>;
    try {
      body = (await req.json()) as Record<string, unknown>;
    } catch {
      return new Response("invalid_payload", { status: 400 });
    }
    if (typeof body.text !== "string" && !Array.isArray(body.blocks))
      return new Response("no_text", { status: 400 });
    this.posts.push({ url, body });
    return new Response("ok", { status: 200 });
  }

  /** What was posted to `url`, in order. */
  to(url: string): Record<string, unknown>[] {
    return this.posts.filter((p) => p.url === url).map((p) => p.body);
  }
}
