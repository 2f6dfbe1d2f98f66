import { DurableObject } from "cloudflare:workers";
export class ConversationObject extends DurableObject {}
export class DiscordGatewayObject extends DurableObject {}
export default {
  async fetch(req: Request) {
    const r = await fetch("https://slack.test/api/auth.test");
    return new Response(await r.text());
  },
} satisfies ExportedHandler;
