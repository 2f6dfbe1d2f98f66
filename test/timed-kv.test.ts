import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { QuarryError } from "../src/errors.ts";
import { timedKv } from "../src/storage/timed-kv.ts";

describe("timedKv", () => {
  it("passes calls through to the namespace", async () => {
    const kv = timedKv(env.SETTINGS);
    await kv.put("timed-kv:test", "value");
    expect(await kv.get("timed-kv:test")).toBe("value");
    expect(timedKv(env.SETTINGS)).toBe(kv);
  });

  it("rejects a call that hangs with a retryable timeout instead of waiting forever", async () => {
    const hung = { get: () => new Promise<never>(() => {}) } as unknown as KVNamespace;
    const err = await timedKv(hung, 50)
      .get("k")
      .catch((e) => e);
    expect(err).toBeInstanceOf(QuarryError);
    expect(err).toMatchObject({ code: "kv_timeout", retryable: true });
  });
});
