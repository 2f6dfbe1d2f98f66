import { runInDurableObject } from "cloudflare:test";

/**
 * Like a deploy for one object: its running instance is torn down at once, mid-work, and
 * its storage stays. Unlike abortAllDurableObjects(), objects of other test files running
 * at the same time are left alone.
 */
export async function restartDurableObject(stub: DurableObjectStub): Promise<void> {
  await runInDurableObject(stub, (_instance, state) => {
    state.abort("test: restart");
  }).catch(() => undefined);
}
