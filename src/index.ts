// Composition root (being built): wires adapters into the core.
import { DurableObject } from "cloudflare:workers";
export class ConversationObject extends DurableObject {}
export { DiscordGatewayObject } from "../adapters/discord/gateway-object.ts";
export class ChannelLedgerObject extends DurableObject {}
export default {
  async fetch() {
    return new Response("starting", { status: 503 });
  },
} satisfies ExportedHandler;
