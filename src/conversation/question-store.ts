import type { Question, SentMessage } from "../chat/types.ts";
import type { WriterState } from "../delivery/reply-writer.ts";

/** Where a question is in its life. `running` after a restart means it was interrupted. */
export type QuestionState =
  | "queued"
  | "running"
  | "answered"
  | "failed"
  | "interrupted"
  | "cancelled";

/**
 * What the answer job saves as it goes, so a restarted object can finish or explain: what
 * the thread shows (messages, their text, streaming progress) and the answer itself.
 */
export interface Checkpoint extends WriterState {
  /** The answer's markdown so far. */
  text: string;
  /** Epoch ms the model was first called (the job started). */
  startedAt?: number;
  /**
   * Set once the answer is complete: what the thread must end up showing, the line its
   * status message ends with (where the answer streamed natively below one) and outcome.
   * If posting it fails (the platform is down), the heartbeat delivers it later.
   */
  final?: {
    text: string;
    header: string;
    outcome: "answered" | "failed" | "interrupted" | "cancelled";
  };
  /** Messages of this question the answer no longer edits (a queued note it left behind). */
  retired?: SentMessage[];
  /** The conversation's post count when the queued note was posted (see `QuestionStore.posts`). */
  notedAt?: number;
}

/** An earlier question of the conversation and what Quarry answered, for history. */
export interface EarlierAnswer {
  question: Question;
  /** The model's text (no status lines, notes or footer); "" when nothing was written. */
  answer: string;
  /** Every message Quarry posted for it: these are replaced by `answer` in history. */
  posted: string[];
}

export interface QuestionRow {
  id: string;
  seq: number;
  question: Question;
  state: QuestionState;
  attempts: number;
  checkpoint?: Checkpoint;
}

interface RawRow extends Record<string, SqlStorageValue> {
  id: string;
  seq: number;
  payload: string;
  state: string;
  attempts: number;
  checkpoint: string | null;
  answer: string | null;
  posted: string | null;
}

/** Finished questions are kept this long (answers for history, ids for dedupe), then deleted. */
export const RETENTION_MS = 30 * 86_400_000;
/** A finished question's checkpoint is only needed to redeliver or resume: a day is plenty. */
export const CHECKPOINT_RETENTION_MS = 86_400_000;

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS questions (
    id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    checkpoint TEXT,
    updated_at INTEGER NOT NULL,
    answer TEXT,
    posted TEXT
  )`,
  "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)",
];

/**
 * The conversation object's SQLite tables. Every method is synchronous: the object is
 * single-threaded and SQL calls do not yield, so check-then-insert is atomic. The tables
 * are created by the first question the conversation takes: a conversation that only ever
 * saw messages it ignored (replies in a thread Quarry never answered) writes no storage.
 */
export class QuestionStore {
  private created = false;

  constructor(private readonly sql: SqlStorage) {}

  /** The tables, when this conversation ever took a question. */
  private get db(): SqlStorage | undefined {
    if (!this.created) {
      const tables = this.sql
        .exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'questions'")
        .toArray();
      if (!tables.length) return undefined;
      this.created = true;
      this.migrate();
    }
    return this.sql;
  }

  /** The tables, created if need be: only for a question taken. */
  private get writable(): SqlStorage {
    if (!this.db) {
      for (const statement of SCHEMA) this.sql.exec(statement);
      this.created = true;
    }
    return this.sql;
  }

  /** Objects made before a column existed get it on their next start. */
  private migrate(): void {
    const columns = new Set(
      this.sql
        .exec<{ name: string }>("PRAGMA table_info(questions)")
        .toArray()
        .map((c) => c.name),
    );
    if (!columns.has("answer")) this.sql.exec("ALTER TABLE questions ADD COLUMN answer TEXT");
    if (!columns.has("posted")) this.sql.exec("ALTER TABLE questions ADD COLUMN posted TEXT");
    this.sql.exec(SCHEMA[1] as string);
  }

  /** Messages Quarry posted in this conversation so far, any question (queued notes included). */
  posts(): number {
    const rows = this.db
      ?.exec<{ value: number }>("SELECT value FROM meta WHERE key = 'posts'")
      .toArray();
    return rows?.[0]?.value ?? 0;
  }

  /** Counts one more message posted in this conversation. */
  countPost(): void {
    this.writable.exec(
      "INSERT INTO meta (key, value) VALUES ('posts', 1) ON CONFLICT(key) DO UPDATE SET value = value + 1",
    );
  }

  /** The questions before `seq` and what was answered, oldest first. */
  earlierAnswers(seq: number): EarlierAnswer[] {
    return (
      this.db?.exec<RawRow>("SELECT * FROM questions WHERE seq < ? ORDER BY seq", seq).toArray() ??
      []
    ).map((raw) => ({
      question: JSON.parse(raw.payload) as Question,
      answer: raw.answer ?? "",
      posted: raw.posted ? (JSON.parse(raw.posted) as string[]) : [],
    }));
  }

  has(id: string): boolean {
    return (this.db?.exec("SELECT 1 FROM questions WHERE id = ?", id).toArray().length ?? 0) > 0;
  }

  /** True once any question of this thread was accepted: follow-ups are answered from then on. */
  hasEngaged(): boolean {
    return (this.db?.exec("SELECT 1 FROM questions LIMIT 1").toArray().length ?? 0) > 0;
  }

  /** Inserts unless the id exists; returns false for a duplicate. */
  insert(question: Question, now: number): boolean {
    const db = this.writable;
    const next = db
      .exec<{ n: number }>("SELECT COALESCE(MAX(seq), 0) + 1 AS n FROM questions")
      .one().n;
    const cursor = db.exec(
      "INSERT INTO questions (id, seq, payload, state, updated_at) VALUES (?, ?, ?, 'queued', ?) ON CONFLICT(id) DO NOTHING",
      question.id,
      next,
      JSON.stringify(question),
      now,
    );
    return cursor.rowsWritten > 0;
  }

  /** Questions still to answer (queued or interrupted mid-run), oldest first. */
  pending(): QuestionRow[] {
    return (
      this.db
        ?.exec<RawRow>("SELECT * FROM questions WHERE state IN ('queued', 'running') ORDER BY seq")
        .toArray()
        .map(toRow) ?? []
    );
  }

  get(id: string): QuestionRow | undefined {
    const rows = this.db?.exec<RawRow>("SELECT * FROM questions WHERE id = ?", id).toArray();
    return rows?.[0] ? toRow(rows[0]) : undefined;
  }

  /** Every question of the conversation and its state, oldest first (diagnostics, tests). */
  describe(): { id: string; state: string; attempts: number }[] {
    return (
      this.db
        ?.exec<{ id: string; state: string; attempts: number }>(
          "SELECT id, state, attempts FROM questions ORDER BY seq",
        )
        .toArray() ?? []
    );
  }

  /** How many questions wait before this one. */
  positionOf(id: string): number {
    const row = this.get(id);
    if (!row) return 0;
    return this.writable
      .exec<{ n: number }>(
        "SELECT COUNT(*) AS n FROM questions WHERE state IN ('queued','running') AND seq < ?",
        row.seq,
      )
      .one().n;
  }

  start(id: string, now: number): number {
    this.writable.exec(
      "UPDATE questions SET state = 'running', attempts = attempts + 1, updated_at = ? WHERE id = ?",
      now,
      id,
    );
    return this.get(id)?.attempts ?? 1;
  }

  saveCheckpoint(id: string, checkpoint: Checkpoint, now: number): void {
    this.writable.exec(
      "UPDATE questions SET checkpoint = ?, updated_at = ? WHERE id = ?",
      JSON.stringify(checkpoint),
      now,
      id,
    );
  }

  /**
   * Ends a question. What it answered (the model's text) and every message it posted are
   * kept past the checkpoint's pruning: later questions of the thread build history on them.
   * Its delivery details (a Discord interaction token among them) are dropped: nothing
   * posts for a finished question again.
   */
  finish(id: string, state: Exclude<QuestionState, "queued" | "running">, now: number): void {
    const row = this.get(id);
    const cp = row?.checkpoint;
    const posted = [...(cp?.messages ?? []), ...(cp?.retired ?? [])].map((m) => m.id);
    this.writable.exec(
      "UPDATE questions SET state = ?, answer = ?, posted = ?, payload = ?, updated_at = ? WHERE id = ?",
      state,
      cp?.text ?? "",
      JSON.stringify([...new Set(posted)]),
      JSON.stringify(row ? withoutSecrets(row.question) : {}),
      now,
      id,
    );
  }

  /**
   * Keeps storage bounded: finished questions lose their checkpoint after a day and are
   * deleted after `RETENTION_MS`. Returns when the next of them expires (for the cleanup
   * alarm), or undefined when no finished question is left.
   */
  prune(now: number): number | undefined {
    const db = this.db;
    if (!db) return undefined;
    db.exec(
      "UPDATE questions SET checkpoint = NULL WHERE state NOT IN ('queued','running') AND updated_at < ? AND checkpoint IS NOT NULL",
      now - CHECKPOINT_RETENTION_MS,
    );
    db.exec(
      "DELETE FROM questions WHERE state NOT IN ('queued','running') AND updated_at < ?",
      now - RETENTION_MS,
    );
    const next = db
      .exec<{ at: number | null }>(
        "SELECT MIN(updated_at) AS at FROM questions WHERE state NOT IN ('queued','running')",
      )
      .one().at;
    if (next === null) return undefined;
    const checkpointsLeft = db
      .exec<{ at: number | null }>(
        "SELECT MIN(updated_at) AS at FROM questions WHERE state NOT IN ('queued','running') AND checkpoint IS NOT NULL",
      )
      .one().at;
    return Math.min(
      next + RETENTION_MS,
      checkpointsLeft === null
        ? Number.POSITIVE_INFINITY
        : checkpointsLeft + CHECKPOINT_RETENTION_MS,
    );
  }

  /** True when the conversation holds no question any more. */
  empty(): boolean {
    return !this.hasEngaged();
  }

  /** After the object's storage was deleted: the tables are gone. */
  forget(): void {
    this.created = false;
  }
}

/**
 * The question without its delivery details: only posting needed them (a Discord
 * interaction token among them), and nothing posts for a finished question again.
 */
function withoutSecrets(q: Question): Question {
  const { delivery: _delivery, ...kept } = q;
  return kept;
}

function toRow(raw: RawRow): QuestionRow {
  return {
    id: raw.id,
    seq: raw.seq,
    question: JSON.parse(raw.payload) as Question,
    state: raw.state as QuestionState,
    attempts: raw.attempts,
    checkpoint: raw.checkpoint ? (JSON.parse(raw.checkpoint) as Checkpoint) : undefined,
  };
}
