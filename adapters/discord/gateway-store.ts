import { emptyLedger, type IdentifyLedger } from "./gateway-identify-budget.ts";
import type { GatewaySession } from "./gateway-protocol.ts";

/** Why the Gateway object stays disconnected. */
export interface StopRecord {
  reason: string;
  code?: number;
  /** Set for the identify budget: try again after this time. Unset: wait for a new token or intents. */
  retryAt?: number;
  /** `fingerprintOf` the token and intents it stopped with (never the token itself). */
  fingerprint: string;
}

const SESSION = "session";
const LEDGER = "identify-ledger";
const STOPPED = "stopped";
const FINGERPRINT = "fingerprint";

/**
 * What the Gateway object keeps in its storage so a new instance (after an eviction or a
 * deploy) can RESUME: the session, the identify count, and why it stopped, if it did.
 * Writes are not awaited: the object's output gate holds its replies until they land.
 */
export class GatewayStore {
  private stop?: StopRecord;

  constructor(private readonly storage: DurableObjectStorage) {}

  /** Session and identify count for this bot; a session another token or intents opened is dropped. */
  async load(
    fingerprint: string,
  ): Promise<{ session: GatewaySession | null; ledger?: IdentifyLedger }> {
    const stored = await this.storage.get<unknown>([FINGERPRINT, SESSION, LEDGER]);
    const ledger = stored.get(LEDGER) as IdentifyLedger | undefined;
    if (stored.get(FINGERPRINT) === fingerprint) {
      return { session: (stored.get(SESSION) as GatewaySession | undefined) ?? null, ledger };
    }
    await this.storage.delete(SESSION);
    await this.storage.put(FINGERPRINT, fingerprint);
    return { session: null, ledger };
  }

  /** What `status()` shows when no protocol is in memory. */
  async peek(): Promise<{ session?: GatewaySession; ledger: IdentifyLedger }> {
    const stored = await this.storage.get<unknown>([SESSION, LEDGER]);
    const session = stored.get(SESSION) as GatewaySession | undefined;
    return { session, ledger: (stored.get(LEDGER) as IdentifyLedger | undefined) ?? emptyLedger() };
  }

  saveSession(session: GatewaySession | null): void {
    void (session ? this.storage.put(SESSION, session) : this.storage.delete(SESSION));
  }

  saveLedger(ledger: IdentifyLedger): void {
    void this.storage.put(LEDGER, ledger);
  }

  async stopped(): Promise<StopRecord | undefined> {
    this.stop ??= await this.storage.get<StopRecord>(STOPPED);
    return this.stop;
  }

  /** Records the stop at once (in memory) so a racing `ensureConnected` already sees it. */
  saveStop(record: StopRecord): void {
    this.stop = record;
    void this.storage.put(STOPPED, record);
    void this.storage.deleteAlarm();
  }

  async clearStop(): Promise<void> {
    this.stop = undefined;
    await this.storage.delete(STOPPED);
  }

  /** Forgets session and stop, and cancels the alarm (`disconnect`). */
  async forget(): Promise<void> {
    this.stop = undefined;
    await this.storage.delete([SESSION, STOPPED]);
    await this.storage.deleteAlarm();
  }

  /** Makes sure the alarm fires no later than `at`. */
  async wakeBy(at: number): Promise<void> {
    const current = await this.storage.getAlarm();
    if (current === null || current < Date.now() || current > at) await this.storage.setAlarm(at);
  }
}

/** SHA-256 of intents and token: tells whether a stop or session belongs to the current bot. */
export async function fingerprintOf(token: string, intents: number): Promise<string> {
  const bytes = new TextEncoder().encode(`${intents}:${token}`);
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
