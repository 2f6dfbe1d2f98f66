/**
 * The webhook sender, in a process of its own: it fires a batch of signed requests at once
 * and times each answer. Apart from the fakes, so a busy fake (100 answers streaming into
 * it) cannot delay the moment an ack is seen. Talks to send.ts over the IPC channel.
 */
import type { SignedRequest } from "./scenario.ts";

export interface FireRequest {
  key: string;
  url: string;
  init: SignedRequest;
}

export interface FireResult {
  key: string;
  sentAt: number;
  ackMs?: number;
  status: number;
  body: string;
}

process.on("message", (batch: FireRequest[]) => {
  for (const r of batch) {
    const sentAt = Date.now();
    const started = performance.now();
    fetch(r.url, r.init)
      .then(async (res) => {
        const body = await res.text();
        const result: FireResult = {
          key: r.key,
          sentAt,
          ackMs: performance.now() - started,
          status: res.status,
          body,
        };
        process.send?.(result);
      })
      .catch(() =>
        process.send?.({ key: r.key, sentAt, status: 0, body: "" } satisfies FireResult),
      );
  }
});
process.on("disconnect", () => process.exit(0));
