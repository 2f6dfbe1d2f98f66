/**
 * Holds the fake OpenRouter's answer mid-stream: the first `frames` SSE frames of the next
 * chat completion go through, the rest wait until the test calls `release()`. A test can
 * then act while the answer runs (press Stop) and let it finish, with no timing involved.
 * An abort while held ends the stream as a real aborted fetch does, and the fake records it.
 */
import type { FakeHost } from "../fakes/network.ts";
import type { FakeOpenRouter } from "../fakes/openrouter.ts";

export function holdStream(
  openrouter: FakeOpenRouter,
  frames: number,
): { host: FakeHost; release(): void } {
  let release = () => {};
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const host: FakeHost = {
    async handle(req) {
      const signal = req.signal;
      const res = await openrouter.handle(req);
      if (!res.headers.get("content-type")?.startsWith("text/event-stream") || !res.body)
        return res;
      const reader = res.body.getReader();
      const aborted = new Promise<void>((resolve) =>
        signal.addEventListener("abort", () => resolve(), { once: true }),
      );
      let sent = 0;
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          if (sent >= frames) await Promise.race([released, aborted]);
          if (signal.aborted) {
            await reader.cancel(signal.reason).catch(() => {});
            return controller.error(signal.reason);
          }
          const { done, value } = await reader.read();
          if (done) return controller.close();
          sent++;
          controller.enqueue(value);
        },
        cancel: (reason) => reader.cancel(reason),
      });
      return new Response(body, { status: res.status, headers: res.headers });
    },
  };
  return { host, release: () => release() };
}
