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

/**
 * The conversation object's SQLite tables. Every method is synchronous: the object is
 * single-threaded and SQL calls do not yield, so check-then-insert is atomic.
 */
export class QuestionStore {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS questions (
      id TEXT PRIMARY KEY,
      seq INTEGER NOT NULL,
      payload TEXT NOT NULL,
      state TEXT NOT NULL,
      attempts INTEGER NOT NULL DEFAULT 0,
      checkpoint TEXT,
      updated_at INTEGER NOT NULL
    )`);
    // Added later; older objects get the columns on their next start.
    const columns = new Set(
      sql
        .exec<{ name: string }>("PRAGMA table_info(questions)")
        .toArray()
        .map((c) => c.name),
    );
    if (!columns.has("answer")) sql.exec("ALTER TABLE questions ADD COLUMN answer TEXT");
    if (!columns.has("posted")) sql.exec("ALTER TABLE questions ADD COLUMN posted TEXT");
    sql.exec("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)");
  }

  /** Messages Quarry posted in this conversation so far, any question (queued notes included). */
  posts(): number {
    const rows = this.sql
      .exec<{ value: number }>("SELECT value FROM meta WHERE key = 'posts'")
      .toArray();
    return rows[0]?.value ?? 0;
  }

  /** Counts one more message posted in this conversation. */
  countPost(): void {
    this.sql.exec(
      "INSERT INTO meta (key, value) VALUES ('posts', 1) ON CONFLICT(key) DO UPDATE SET value = value + 1",
    );
  }

  /** The questions before `seq` and what was answered, oldest first. */
  earlierAnswers(seq: number): EarlierAnswer[] {
    return this.sql
      .exec<RawRow>("SELECT * FROM questions WHERE seq < ? ORDER BY seq", seq)
      .toArray()
      .map((raw) => ({
        question: JSON.parse(raw.payload) as Question,
        answer: raw.answer ?? "",
        posted: raw.posted ? (JSON.parse(raw.posted) as string[]) : [],
      }));
  }

  has(id: string): boolean {
    return this.sql.exec("SELECT 1 FROM questions WHERE id = ?", id).toArray().length > 0;
  }

  /** True once any question of this thread was accepted: follow-ups are answered from then on. */
  hasEngaged(): boolean {
    return this.sql.exec("SELECT 1 FROM questions LIMIT 1").toArray().length > 0;
  }

  /** Inserts unless the id exists; returns false for a duplicate. */
  insert(question: Question, now: number): boolean {
    const next = this.sql
      .exec<{ n: number }>("SELECT COALESCE(MAX(seq), 0) + 1 AS n FROM questions")
      .one().n;
    const cursor = this.sql.exec(
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
    return this.sql
      .exec<RawRow>("SELECT * FROM questions WHERE state IN ('queued', 'running') ORDER BY seq")
      .toArray()
      .map(toRow);
  }

  get(id: string): QuestionRow | undefined {
    const rows = this.sql.exec<RawRow>("SELECT * FROM questions WHERE id = ?", id).toArray();
    return rows[0] ? toRow(rows[0]) : undefined;
  }

  /** How many questions wait before this one. */
  positionOf(id: string): number {
    const row = this.get(id);
    if (!row) return 0;
    return this.sql
      .exec<{ n: number }>(
        "SELECT COUNT(*) AS n FROM questions WHERE state IN ('queued','running') AND seq < ?",
        row.seq,
      )
      .one().n;
  }

  start(id: string, now: number): number {
    this.sql.exec(
      "UPDATE questions SET state = 'running', attempts = attempts + 1, updated_at = ? WHERE id = ?",
      now,
      id,
    );
    return this.get(id)?.attempts ?? 1;
  }

  saveCheckpoint(id: string, checkpoint: Checkpoint, now: number): void {
    this.sql.exec(
      "UPDATE questions SET checkpoint = ?, updated_at = ? WHERE id = ?",
      JSON.stringify(checkpoint),
      now,
      id,
    );
  }

  /**
   * Ends a question. What it answered (the model's text) and every message it posted are
   * kept past the checkpoint's pruning: later questions of the thread build history on them.
   */
  finish(id: string, state: Exclude<QuestionState, "queued" | "running">, now: number): void {
    const cp = this.get(id)?.checkpoint;
    const posted = [...(cp?.messages ?? []), ...(cp?.retired ?? [])].map((m) => m.id);
    this.sql.exec(
      "UPDATE questions SET state = ?, answer = ?, posted = ?, updated_at = ? WHERE id = ?",
      state,
      cp?.text ?? "",
      JSON.stringify([...new Set(posted)]),
      now,
      id,
    );
  }

  /** Keeps the table small: answered questions' checkpoints are not needed after a day. */
  prune(olderThan: number): void {
    this.sql.exec(
      "UPDATE questions SET checkpoint = NULL WHERE state NOT IN ('queued','running') AND updated_at < ?",
      olderThan,
    );
  }
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
