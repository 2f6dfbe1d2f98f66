import { discordConfig, type Env, isOff } from "../../src/config.ts";
import type { DiscordGatewayObject } from "./gateway-object.ts";

/** The one Gateway connection lives in the object of this name. */
export const GATEWAY_OBJECT_NAME = "gateway";

/**
 * For the scheduled handler (every minute): makes sure the Gateway object is connected.
 * A no-op when Discord is off; an object still connected from before notices on its next alarm.
 */
export async function ensureGateway(env: Env): Promise<void> {
  if (isOff(discordConfig(env))) return;
  const ns = env.DISCORD_GATEWAY as unknown as DurableObjectNamespace<DiscordGatewayObject>;
  const status = await ns.get(ns.idFromName(GATEWAY_OBJECT_NAME)).ensureConnected();
  if (status.state === "stopped" || status.state === "waiting") {
    console.error(`discord gateway ${status.state}: ${status.detail}`);
  }
}
