/**
 * The interactions the fake Discord knows, and when their webhook works. Discord applies a
 * deferral (type 5) only once the app's HTTP response has reached it: until then the token
 * is known but `@original` does not exist yet (404, 10008 Unknown Message, or 10015 Unknown
 * Webhook on some paths) and followups answer 10015. After 15 minutes the token is dead.
 * https://discord.com/developers/docs/interactions/receiving-and-responding
 */
import { DiscordError } from "./discord-wire.ts";

/** What Discord answers on `@original` before it has the deferral. */
export type PendingCode = 10008 | 10015;

interface Interaction {
  channelId: string;
  state: "pending" | "open" | "expired";
  originalId?: string;
  pendingCode: PendingCode;
  /** Epoch ms (fake clock) at which Discord registers the deferral by itself. */
  deferredAt?: number;
}

export class FakeInteractions {
  private readonly all = new Map<string, Interaction>();
  private readonly now: () => number;
  /** Posts the deferred "thinking…" message in the channel and returns its id. */
  private readonly postOriginal: (channelId: string) => string;

  // Fields assigned by hand, not parameter properties: bench/load runs these fakes in Node
  // with --experimental-strip-types, which takes erasable syntax only.
  constructor(now: () => number, postOriginal: (channelId: string) => string) {
    this.now = now;
    this.postOriginal = postOriginal;
  }

  /** Discord sent this interaction; its deferral is not registered yet (optionally: it will be at `deferredAt`). */
  pend(token: string, channelId: string, opts: { code?: PendingCode; deferredAt?: number }): void {
    this.all.set(token, {
      channelId,
      state: "pending",
      pendingCode: opts.code ?? 10008,
      deferredAt: opts.deferredAt,
    });
  }

  /** Discord has the deferral: `@original` exists; returns its id. */
  open(token: string, channelId: string): string {
    const known = this.all.get(token);
    const i: Interaction = known ?? { channelId, state: "pending", pendingCode: 10008 };
    i.channelId = channelId;
    i.state = "open";
    i.originalId = this.postOriginal(channelId);
    this.all.set(token, i);
    return i.originalId;
  }

  expire(token: string): void {
    const i = this.all.get(token);
    if (i) i.state = "expired";
  }

  /** The channel an interaction's messages land in, if the token is known (pending or open). */
  channelOf(token: string): string | undefined {
    const i = this.get(token);
    return i && i.state !== "expired" ? i.channelId : undefined;
  }

  isOpen(token: string): boolean {
    return this.get(token)?.state === "open";
  }

  /**
   * The interaction a webhook call with this token reaches: open, or the error Discord gives
   * (10015 for an unknown or dead token, the pending code on `@original` before the deferral).
   */
  reach(token: string, messageId: string | undefined): { channelId: string; originalId: string } {
    const i = this.get(token);
    if (!i || i.state === "expired") throw new DiscordError(404, 10015, "Unknown Webhook");
    if (i.state === "pending" || !i.originalId) {
      if (messageId === "@original" && i.pendingCode === 10008)
        throw new DiscordError(404, 10008, "Unknown Message");
      throw new DiscordError(404, 10015, "Unknown Webhook");
    }
    return { channelId: i.channelId, originalId: i.originalId };
  }

  private get(token: string): Interaction | undefined {
    const i = this.all.get(token);
    if (i?.state === "pending" && i.deferredAt !== undefined && this.now() >= i.deferredAt)
      this.open(token, i.channelId);
    return i;
  }
}
