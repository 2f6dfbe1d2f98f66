import { vi } from "vitest";

/** Anything that answers requests like an upstream API. */
export interface FakeHost {
  handle(req: Request): Promise<Response> | Response;
}

/**
 * Routes every outbound `fetch` of the Worker and its Durable Objects (they share the test
 * isolate) to the fake for the request's host. An unknown host fails the call loudly, so
 * no test ever reaches a real network.
 */
export function installFakeNetwork(hosts: Record<string, FakeHost>): {
  unknown: string[];
  log: { url: string; at: number; status: number }[];
} {
  const unknown: string[] = [];
  const log: { url: string; at: number; status: number }[] = [];
  vi.spyOn(globalThis, "fetch").mockImplementation(
    async (input: RequestInfo | URL, init?: RequestInit) => {
      const req = new Request(input, init);
      const host = new URL(req.url).host;
      const fake = hosts[host];
      if (!fake) {
        unknown.push(req.url);
        throw new TypeError(`fake network: no fake for ${req.url}`);
      }
      const at = Date.now();
      const res = await fake.handle(req);
      log.push({ url: req.url, at, status: res.status });
      return res;
    },
  );
  return { unknown, log };
}

/** Polls `check` until it returns a truthy value or `timeoutMs` passes. */
export async function eventually<T>(
  check: () => T | Promise<T>,
  timeoutMs = 15_000,
  stepMs = 25,
): Promise<Exclude<T, undefined | null | false | 0 | "">> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as Exclude<T, undefined | null | false | 0 | "">;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`condition not met in ${timeoutMs} ms${last ? `: ${String(last)}` : ""}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
