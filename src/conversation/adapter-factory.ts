import type { ChatAdapter } from "../chat/adapter.ts";
import type { Platform } from "../chat/types.ts";
import type { Env } from "../config.ts";

/** Builds the adapter that posts into `platform`'s threads. */
export type AdapterFactory = (platform: Platform, env: Env) => ChatAdapter;

let provided: AdapterFactory | undefined;

/**
 * The composition root (src/index.ts, the only file of src/ that knows the platforms)
 * provides the adapters when its module loads, so the conversation object stays
 * platform-neutral and lives in src/conversation/.
 */
export function provideAdapters(factory: AdapterFactory): void {
  provided = factory;
}

/** The adapter of `platform`, from the factory the composition root provided. */
export function adapterOf(platform: Platform, env: Env): ChatAdapter {
  if (!provided) throw new Error("no chat adapters: src/index.ts provides them when it loads");
  return provided(platform, env);
}
