import type { GatewayMessageCreateDispatchData } from "discord-api-types/v10";
import type { Question } from "../../src/chat/types.ts";
import { findConversationInKv } from "./answer-memory.ts";
import { messageCreateToQuestion } from "./parse-message.ts";

const RECENT_IDS = 500;

export interface ForwardContext {
  /** The bot's user id (the application id). */
  botUserId: string;
  /** Where answers are remembered (`findConversationInKv`). */
  kv: KVNamespace;
  threadParentOf?: (threadId: string) => Promise<string | undefined>;
  botRoleIn?: (guildId: string) => Promise<string | undefined>;
  submit(question: Question): Promise<unknown>;
  /** When the Gateway delivered the message (a retry from the outbox hands it on later). */
  receivedAt?: number;
}

/**
 * Hands each MESSAGE_CREATE that asks the bot something to its conversation, once. A
 * RESUME replays events; the conversation object dedupes by question id anyway, and
 * remembering the last few hundred ids here saves the KV reads and the RPC.
 */
export class MessageForwarder {
  private readonly recent = new Set<string>();

  /** Settles once the message is handed on or found not to be a question; rejects if handing on failed. */
  async forward(message: GatewayMessageCreateDispatchData, ctx: ForwardContext): Promise<void> {
    // The bot's own posts (every answer chunk) arrive here too.
    if (message.author.id === ctx.botUserId || this.recent.has(message.id)) return;
    this.remember(message.id);
    try {
      const question = await messageCreateToQuestion(message, {
        botUserId: ctx.botUserId,
        findConversation: (id) => findConversationInKv(ctx.kv, id),
        threadParentOf: ctx.threadParentOf,
        botRoleIn: ctx.botRoleIn,
        now: ctx.receivedAt !== undefined ? () => ctx.receivedAt as number : undefined,
      });
      if (question) await ctx.submit(question);
    } catch (err) {
      // Let a replay of this message try again.
      this.recent.delete(message.id);
      throw err;
    }
  }

  /** True for a message handed on (or found not to be a question) lately. */
  knows(id: string): boolean {
    return this.recent.has(id);
  }

  private remember(id: string): void {
    this.recent.add(id);
    const oldest = this.recent.values().next().value;
    if (this.recent.size > RECENT_IDS && oldest !== undefined) this.recent.delete(oldest);
  }
}
