/**
 * The Gateway object's durable outbox. A MESSAGE_CREATE that may ask the bot something is
 * written here in the same storage batch as the `seq` that acknowledges it (writes with no
 * `await` between them commit together), so once Discord will no longer replay an event,
 * the event is on disk. It leaves the outbox only when its conversation object accepted it
 * (or it turned out not to be a question); a failed hand-off stays, and the alarm tries it
 * again with backoff. The outbox is bounded: past `MAX_ENTRIES` the oldest entries are
 * dropped, and so is an entry that failed `MAX_ATTEMPTS` times, each with a log line.
 * https://developers.cloudflare.com/durable-objects/api/storage-api/#automatic-write-coalescing
 */
import type { GatewayMessageCreateDispatchData } from "discord-api-types/v10";

type MessageCreate = GatewayMessageCreateDispatchData;

export interface OutboxEntry {
  message: MessageCreate;
  /** Epoch ms the Gateway delivered it: the question's `receivedAt`, however late it is handed on. */
  receivedAt: number;
  /** Failed hand-offs so far. */
  attempts: number;
  /** Epoch ms from which the alarm may try it again. */
  nextAt: number;
}

/** Hands one message on to its conversation; rejects if that failed. */
export type Deliver = (message: MessageCreate, receivedAt: number) => Promise<void>;

const PREFIX = "outbox:";
export const OUTBOX_LIMITS = {
  maxEntries: 200,
  /** 1 s doubling to 5 min: ten attempts span about 15 minutes. */
  maxAttempts: 10,
  firstRetryMs: 1_000,
  maxRetryMs: 5 * 60_000,
} as const;

/** Keys sort by message id (snowflakes, zero-padded): `list` returns the oldest first. */
const keyOf = (id: string) => `${PREFIX}${id.padStart(20, "0")}`;

export class GatewayOutbox {
  /** Messages being handed on right now, so the alarm and a replay do not race the first try. */
  private readonly busy = new Set<string>();

  constructor(
    private readonly storage: DurableObjectStorage,
    /** Makes sure the object's alarm fires no later than this. */
    private readonly wakeBy: (at: number) => Promise<void>,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Puts the message in the outbox. Not awaited, on purpose: called in the same turn as the
   * `seq` is saved, it lands in the same atomic write.
   */
  hold(message: MessageCreate, receivedAt: number): OutboxEntry {
    const entry: OutboxEntry = { message, receivedAt, attempts: 0, nextAt: receivedAt };
    void this.storage.put(keyOf(message.id), entry);
    return entry;
  }

  /** True while the message is being handed on. */
  isBusy(id: string): boolean {
    return this.busy.has(id);
  }

  /** Hands the entry on; removes it once delivered, else books its next try (or drops it). */
  async attempt(entry: OutboxEntry, deliver: Deliver): Promise<void> {
    const id = entry.message.id;
    if (this.busy.has(id)) return;
    this.busy.add(id);
    try {
      await deliver(entry.message, entry.receivedAt);
      await this.storage.delete(keyOf(id));
    } catch (err) {
      await this.failed(entry, err);
    } finally {
      this.busy.delete(id);
    }
  }

  /** From the alarm: trims the outbox to its bound, then tries every entry that is due, oldest first. */
  async retryDue(deliver: Deliver): Promise<void> {
    const stored = await this.storage.list<OutboxEntry>({ prefix: PREFIX });
    const entries = [...stored.entries()];
    const excess = entries.length - OUTBOX_LIMITS.maxEntries;
    for (const [key, entry] of entries.slice(0, Math.max(0, excess))) {
      console.error(
        `discord gateway: outbox full, dropped message ${entry.message.id} after ${entry.attempts} failed hand-offs`,
      );
      await this.storage.delete(key);
    }
    let next: number | undefined;
    for (const [, entry] of entries.slice(Math.max(0, excess))) {
      if (entry.nextAt <= this.now()) await this.attempt(entry, deliver);
      else next = Math.min(next ?? entry.nextAt, entry.nextAt);
    }
    if (next !== undefined) await this.wakeBy(next);
  }

  private async failed(entry: OutboxEntry, err: unknown): Promise<void> {
    const attempts = entry.attempts + 1;
    const id = entry.message.id;
    if (attempts >= OUTBOX_LIMITS.maxAttempts) {
      console.error(
        `discord gateway: dropped message ${id} after ${attempts} failed hand-offs: ${String(err)}`,
      );
      await this.storage.delete(keyOf(id));
      return;
    }
    const delay = Math.min(
      OUTBOX_LIMITS.maxRetryMs,
      OUTBOX_LIMITS.firstRetryMs * 2 ** (attempts - 1),
    );
    const nextAt = this.now() + delay;
    console.error(
      `discord gateway: could not hand message ${id} on (attempt ${attempts}), retrying in ${delay / 1000} s: ${String(err)}`,
    );
    await this.storage.put(keyOf(id), { ...entry, attempts, nextAt });
    await this.wakeBy(nextAt);
  }
}
