import { env } from "cloudflare:workers";
import type { ThreadRef } from "../../src/chat/types.ts";
import { conversationName } from "../../src/conversation/submit.ts";
import { eventually } from "../fakes/network.ts";

/** Waits until the thread's conversation holds `expected` questions and none is queued or running. */
export async function settled(thread: ThreadRef, expected = 1) {
  const ns = env.CONVERSATIONS;
  const stub = ns.get(ns.idFromName(conversationName(thread)));
  return eventually(async () => {
    const rows = await stub.describe();
    const done = rows.every((r) => r.state !== "queued" && r.state !== "running");
    return rows.length >= expected && done ? rows : undefined;
  }, 20_000);
}
