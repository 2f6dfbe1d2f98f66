import { describe, expect, it } from "vitest";
import { AttachmentError, downloadFile, isAllowedFileUrl } from "../src/chat/file-download.ts";
import { MB, pngBytes } from "./fakes/file-bytes.ts";

const HOSTS = ["files.example.test"];

/** A fetch that answers from `routes` by URL and records what was asked, with which options. */
function recordingFetch(routes: Record<string, () => Response>) {
  const calls: { url: string; redirect?: RequestInit["redirect"]; headers: Headers }[] = [];
  const fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = String(input);
    calls.push({ url, redirect: init?.redirect, headers: new Headers(init?.headers) });
    const route = routes[url];
    if (!route) throw new TypeError(`no route for ${url}`);
    return route();
  }) as typeof globalThis.fetch;
  return { fetch, calls };
}

describe("downloadFile", () => {
  it("accepts only https URLs on the listed hosts, without ports or credentials", () => {
    expect(isAllowedFileUrl("https://files.example.test/a.png", HOSTS)).toBe(true);
    expect(isAllowedFileUrl("https://FILES.example.test/a.png", HOSTS)).toBe(true);
    expect(isAllowedFileUrl("http://files.example.test/a.png", HOSTS)).toBe(false);
    expect(isAllowedFileUrl("https://files.example.test:8443/a.png", HOSTS)).toBe(false);
    expect(isAllowedFileUrl("https://u:p@files.example.test/a.png", HOSTS)).toBe(false);
    expect(isAllowedFileUrl("https://files.example.test.evil.test/a.png", HOSTS)).toBe(false);
    expect(isAllowedFileUrl("https://evil.test/files.example.test/a.png", HOSTS)).toBe(false);
    expect(isAllowedFileUrl("not a url", HOSTS)).toBe(false);
  });

  it("requests nothing for a URL off the hosts", async () => {
    const { fetch, calls } = recordingFetch({});
    expect(await downloadFile("https://evil.test/a.png", { hosts: HOSTS, fetch })).toBeUndefined();
    expect(await downloadFile("http://files.example.test/a.png", { hosts: HOSTS, fetch })).toBe(
      undefined,
    );
    expect(calls).toEqual([]);
  });

  it("returns the bytes and the served type, asking for manual redirects and sending the headers", async () => {
    const bytes = pngBytes(1000);
    const { fetch, calls } = recordingFetch({
      "https://files.example.test/a.png": () =>
        new Response(bytes, { headers: { "Content-Type": "image/png; charset=binary" } }),
    });
    const file = await downloadFile("https://files.example.test/a.png", {
      hosts: HOSTS,
      headers: { Authorization: "Bearer t" },
      fetch,
    });
    expect(file).toEqual({ data: bytes, mimeType: "image/png" });
    expect(calls[0]?.redirect).toBe("manual");
    expect(calls[0]?.headers.get("Authorization")).toBe("Bearer t");
  });

  it("follows a redirect that stays on the hosts", async () => {
    const { fetch, calls } = recordingFetch({
      "https://files.example.test/a.png": () =>
        new Response(null, { status: 302, headers: { Location: "/signed/a.png?sig=1" } }),
      "https://files.example.test/signed/a.png?sig=1": () => new Response(pngBytes()),
    });
    const file = await downloadFile("https://files.example.test/a.png", { hosts: HOSTS, fetch });
    expect(file?.data).toEqual(pngBytes());
    expect(calls.map((c) => c.url)).toEqual([
      "https://files.example.test/a.png",
      "https://files.example.test/signed/a.png?sig=1",
    ]);
  });

  it("refuses a redirect off the hosts without following it", async () => {
    const { fetch, calls } = recordingFetch({
      "https://files.example.test/a.png": () =>
        new Response(null, { status: 301, headers: { Location: "https://evil.test/a.png" } }),
    });
    const failure = downloadFile("https://files.example.test/a.png", { hosts: HOSTS, fetch });
    await expect(failure).rejects.toThrow(AttachmentError);
    await expect(failure).rejects.toThrow("redirected it elsewhere");
    expect(calls.map((c) => c.url)).toEqual(["https://files.example.test/a.png"]);
  });

  it("fails with the status on an HTTP error", async () => {
    const { fetch } = recordingFetch({
      "https://files.example.test/gone.png": () => new Response("no", { status: 404 }),
    });
    const err = await downloadFile("https://files.example.test/gone.png", {
      hosts: HOSTS,
      fetch,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AttachmentError);
    expect((err as AttachmentError).message).toBe("HTTP 404");
    expect((err as AttachmentError).httpStatus).toBe(404);
  });

  it("refuses a body over the cap, whether declared or only streamed", async () => {
    const big = pngBytes(6 * MB);
    const declared = recordingFetch({
      "https://files.example.test/big.png": () =>
        new Response(big, { headers: { "Content-Length": String(big.byteLength) } }),
    });
    await expect(
      downloadFile("https://files.example.test/big.png", { hosts: HOSTS, fetch: declared.fetch }),
    ).rejects.toThrow("larger than 5 MB");
    // A stream of unknown length is cut off as soon as it passes the cap.
    let pulled = 0;
    const endless = recordingFetch({
      "https://files.example.test/big.png": () =>
        new Response(
          new ReadableStream<Uint8Array>({
            pull(controller) {
              pulled++;
              controller.enqueue(new Uint8Array(MB));
            },
          }),
        ),
    });
    await expect(
      downloadFile("https://files.example.test/big.png", { hosts: HOSTS, fetch: endless.fetch }),
    ).rejects.toThrow("larger than 5 MB");
    expect(pulled).toBeLessThan(10);
  });

  it("gives up on a host that never answers", async () => {
    const fetch = (() => new Promise<Response>(() => {})) as typeof globalThis.fetch;
    await expect(
      downloadFile("https://files.example.test/a.png", { hosts: HOSTS, fetch, timeoutMs: 20 }),
    ).rejects.toThrow("no answer in");
  });
});
