// Placeholder until the Gateway object is built (owned by the Gateway work).
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../../src/config.ts";
export class DiscordGatewayObject extends DurableObject<Env> {}
