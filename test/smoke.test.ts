import { SELF } from "cloudflare:test";
import { afterEach, expect, it, vi } from "vitest";
afterEach(() => vi.restoreAllMocks());
it("patches fetch", async () => {
  vi.spyOn(globalThis, "fetch").mockImplementation(async () => new Response("faked"));
  const r = await SELF.fetch("https://x/health");
  expect(await r.text()).toBe("faked");
});
