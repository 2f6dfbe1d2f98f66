import { QuarryError } from "../errors.ts";

/** KV calls normally take milliseconds; one that hangs must not stall an answer's queue. */
export const KV_TIMEOUT_MS = 15_000;

const wrapped = new WeakMap<KVNamespace, KVNamespace>();

/**
 * The same namespace, with a deadline on every call: past it the call rejects with a
 * retryable `kv_timeout` (KV's API takes no AbortSignal, so the call itself is abandoned).
 */
export function timedKv(kv: KVNamespace, timeoutMs = KV_TIMEOUT_MS): KVNamespace {
  const known = wrapped.get(kv);
  if (known) return known;
  const proxy = new Proxy(kv, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) =>
        withTimeout(Promise.resolve(value.apply(target, args)), timeoutMs, `KV ${String(prop)}`);
    },
  });
  wrapped.set(kv, proxy);
  return proxy;
}

/** `work`, or a retryable `QuarryError` once `ms` pass first. */
export function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new QuarryError("kv_timeout", `${what} took longer than ${ms} ms`, { retryable: true }),
        ),
      ms,
    );
  });
  return Promise.race([work, deadline]).finally(() => {
    if (timer !== undefined) clearTimeout(timer);
  });
}
