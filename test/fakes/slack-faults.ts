/**
 * Failures a test scripts for the next calls of one method: a 429, an `ok: false` error,
 * a request that never gets an answer, or an answer lost on the way back.
 */

/** An HTTP 5xx from Slack's edge: `error` gives Slack's JSON `{ ok: false, error }`, else an HTML page. */
export interface Outage {
  status: number;
  error?: string;
  /** Slack carried the call out before failing ("some aspect of the operation succeeded"). */
  applied?: boolean;
}

/** The response of an outage. */
export function outageResponse(o: Outage): Response {
  if (o.error) {
    return new Response(JSON.stringify({ ok: false, error: o.error }), {
      status: o.status,
      headers: { "Content-Type": "application/json; charset=utf-8" },
    });
  }
  return new Response(`<html><body><h1>${o.status} Service Unavailable</h1></body></html>`, {
    status: o.status,
    headers: { "Content-Type": "text/html" },
  });
}

export class ScriptedFaults {
  private readonly rateLimits = new Map<string, { times: number; retryAfterSeconds: number }>();
  private readonly failures = new Map<string, string[]>();
  private readonly hangs = new Map<string, number>();
  private readonly losses = new Map<string, number>();
  private readonly outages = new Map<string, Outage[]>();

  rateLimitNext(method: string, times: number, retryAfterSeconds: number): void {
    this.rateLimits.set(method, { times, retryAfterSeconds });
  }

  failNext(method: string, error: string): void {
    this.failures.set(method, [...(this.failures.get(method) ?? []), error]);
  }

  hangNext(method: string, times: number): void {
    this.hangs.set(method, (this.hangs.get(method) ?? 0) + times);
  }

  loseResponseNext(method: string, times: number): void {
    this.losses.set(method, (this.losses.get(method) ?? 0) + times);
  }

  serverErrorNext(method: string, times: number, outage: Outage): void {
    const queued = this.outages.get(method) ?? [];
    for (let i = 0; i < times; i++) queued.push(outage);
    this.outages.set(method, queued);
  }

  serverError(method: string): Outage | undefined {
    return this.outages.get(method)?.shift();
  }

  /** Seconds of `Retry-After` when this call is scripted to get a 429. */
  rateLimit(method: string): number | undefined {
    const limit = this.rateLimits.get(method);
    if (!limit || limit.times <= 0) return undefined;
    limit.times--;
    return limit.retryAfterSeconds;
  }

  failure(method: string): string | undefined {
    return this.failures.get(method)?.shift();
  }

  hang(method: string): boolean {
    return take(this.hangs, method);
  }

  loseResponse(method: string): boolean {
    return take(this.losses, method);
  }
}

function take(counts: Map<string, number>, method: string): boolean {
  const left = counts.get(method) ?? 0;
  if (left <= 0) return false;
  counts.set(method, left - 1);
  return true;
}

/** A request that never gets an answer: rejects with the abort reason once the client gives up. */
export function untilAborted(signal: AbortSignal | undefined): Promise<never> {
  return new Promise<never>((_, reject) => {
    if (!signal) return;
    if (signal.aborted) return reject(signal.reason);
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
}
