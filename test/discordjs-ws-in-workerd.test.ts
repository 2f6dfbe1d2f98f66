/**
 * Issue 3 asks for `@discordjs/ws` where it runs in workerd. This test is the proof that it
 * does not: loaded in workerd (this pool runs with nodejs_compat), it fails before it
 * could open a socket. The README records the same check through wrangler's own bundle.
 * If a later release connects, this test fails, and the Gateway object should move to it.
 */
import { expect, it } from "vitest";

interface DiscordJsWs {
  WebSocketManager: new (options: {
    token: string;
    intents: number;
    rest: unknown;
  }) => { connect(): Promise<void> };
}

it("@discordjs/ws fails in workerd before it connects, so the Gateway object has its own client", async () => {
  const rest = { get: async () => ({ url: "wss://gateway.discord.test", shards: 1 }) };
  // Named through a variable: its types would bring Node's into this project's type check.
  const pkg = "@discordjs/ws";
  const attempt = async () => {
    const { WebSocketManager } = (await import(/* @vite-ignore */ pkg)) as DiscordJsWs;
    const manager = new WebSocketManager({ token: "test-token", intents: 0, rest });
    await manager.connect();
  };
  await expect(attempt()).rejects.toThrow(TypeError);
});
