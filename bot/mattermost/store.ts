import { randomBytes } from "node:crypto";
import Database from "better-sqlite3";

const schema = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  case_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  body TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  attempted_at INTEGER,
  delivered_at INTEGER,
  post_id TEXT,
  error TEXT
);
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox (delivered_at, seq);
CREATE TABLE IF NOT EXISTS posts (
  case_id TEXT PRIMARY KEY,
  post_id TEXT NOT NULL,
  root_id TEXT NOT NULL,
  group_key TEXT NOT NULL,
  escalated_at INTEGER NOT NULL,
  message TEXT NOT NULL,
  attachment TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS posts_group ON posts (group_key, escalated_at);
CREATE TABLE IF NOT EXISTS claims (
  case_id TEXT PRIMARY KEY,
  action TEXT NOT NULL,
  by TEXT NOT NULL,
  at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at TEXT NOT NULL,
  user TEXT NOT NULL,
  user_id TEXT,
  case_id TEXT,
  action TEXT NOT NULL,
  digest TEXT,
  via TEXT NOT NULL,
  outcome TEXT NOT NULL,
  detail TEXT
);`;

export interface OutboxItem {
  seq: number;
  case_id: string;
  kind: string;
  body: string;
  created_at: number;
  attempted_at: number | null;
}

export interface PostRecord {
  case_id: string;
  post_id: string;
  root_id: string;
  group_key: string;
  escalated_at: number;
  message: string;
  attachment: string;
}

export interface AuditEntry {
  /** The username when it happened, for people to read. */
  user: string;
  /** The Mattermost user id the request named, once looked up: who it was. */
  user_id: string | null;
  case_id: string | null;
  action: string;
  digest: string | null;
  via: "button" | "dialog" | "command";
  outcome: "applied" | "pending" | "refused" | "failed";
  detail: string | null;
}

/**
 * The bot's own durable state (SQLite): the outbox of what must reach Mattermost, in order; where
 * each case's post is; claims that let a decision apply once; and the audit of every decision and
 * refusal.
 */
export class BotStore {
  readonly #db: Database.Database;
  /** Marks this database's posts, so a delivery can be recognised after a crash. */
  readonly instance: string;

  constructor(path: string) {
    this.#db = new Database(path);
    this.#db.pragma("journal_mode = WAL");
    this.#db.pragma("synchronous = NORMAL");
    this.#db.exec(schema);
    // Audits written before user ids were kept get the column, empty for their rows.
    const columns = this.#db.prepare("SELECT name FROM pragma_table_info('audit')").all() as {
      name: string;
    }[];
    if (!columns.some((c) => c.name === "user_id"))
      this.#db.exec("ALTER TABLE audit ADD COLUMN user_id TEXT");
    this.#db
      .prepare("INSERT OR IGNORE INTO meta (key, value) VALUES ('instance', ?)")
      .run(randomBytes(8).toString("hex"));
    this.instance = (
      this.#db.prepare("SELECT value FROM meta WHERE key = 'instance'").get() as { value: string }
    ).value;
  }

  /** A value kept across restarts, made once by `make`. */
  setting(key: string, make: () => string): string {
    this.#db.prepare("INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)").run(key, make());
    return (this.#db.prepare("SELECT value FROM meta WHERE key = ?").get(key) as { value: string }).value;
  }

  enqueue(caseId: string, kind: string, body: unknown): number {
    return Number(
      this.#db
        .prepare("INSERT INTO outbox (case_id, kind, body, created_at) VALUES (?, ?, ?, ?)")
        .run(caseId, kind, JSON.stringify(body), Date.now()).lastInsertRowid,
    );
  }

  /** Whether a case's escalation is already in the outbox (the coordinator may ask twice after a crash). */
  hasEscalation(caseId: string): boolean {
    return (
      this.#db
        .prepare("SELECT 1 FROM outbox WHERE case_id = ? AND kind = 'escalation' LIMIT 1")
        .get(caseId) !== undefined
    );
  }

  /**
   * The next item to deliver: escalations and post updates first, in order; thread replies after
   * them, in order. An escalation never waits behind another case's replies, and a reply always
   * follows its case's escalation, which was queued before it.
   */
  nextPending(): OutboxItem | undefined {
    return this.#db
      .prepare(
        "SELECT seq, case_id, kind, body, created_at, attempted_at FROM outbox WHERE delivered_at IS NULL ORDER BY kind = 'reply', seq LIMIT 1",
      )
      .get() as OutboxItem | undefined;
  }

  pendingCount(): number {
    return (
      this.#db.prepare("SELECT count(*) AS n FROM outbox WHERE delivered_at IS NULL").get() as { n: number }
    ).n;
  }

  markAttempted(seq: number): void {
    this.#db
      .prepare("UPDATE outbox SET attempted_at = coalesce(attempted_at, ?) WHERE seq = ?")
      .run(Date.now(), seq);
  }

  markDelivered(seq: number, postId: string | null, error: string | null = null): void {
    this.#db
      .prepare("UPDATE outbox SET delivered_at = ?, post_id = ?, error = ? WHERE seq = ?")
      .run(Date.now(), postId, error, seq);
  }

  savePost(record: PostRecord): void {
    this.#db
      .prepare(
        `INSERT OR REPLACE INTO posts (case_id, post_id, root_id, group_key, escalated_at, message, attachment)
         VALUES (@case_id, @post_id, @root_id, @group_key, @escalated_at, @message, @attachment)`,
      )
      .run(record);
  }

  post(caseId: string): PostRecord | undefined {
    return this.#db.prepare("SELECT * FROM posts WHERE case_id = ?").get(caseId) as PostRecord | undefined;
  }

  /** The thread a new escalation of this group joins, if one was opened within the window. */
  groupThread(groupKey: string, since: number): string | undefined {
    const row = this.#db
      .prepare(
        "SELECT root_id FROM posts WHERE group_key = ? AND escalated_at >= ? ORDER BY escalated_at DESC LIMIT 1",
      )
      .get(groupKey, since) as { root_id: string } | undefined;
    return row?.root_id;
  }

  /** Claims a case for a final decision; false when someone already holds it. */
  claim(
    caseId: string,
    action: string,
    by: string,
  ): { ok: true } | { ok: false; action: string; by: string } {
    const inserted = this.#db
      .prepare("INSERT OR IGNORE INTO claims (case_id, action, by, at) VALUES (?, ?, ?, ?)")
      .run(caseId, action, by, Date.now()).changes;
    if (inserted === 1) return { ok: true };
    const holder = this.#db.prepare("SELECT action, by FROM claims WHERE case_id = ?").get(caseId) as {
      action: string;
      by: string;
    };
    return { ok: false, ...holder };
  }

  /** Gives a claim back when the decision could not be applied, so it can be tried again. */
  release(caseId: string): void {
    this.#db.prepare("DELETE FROM claims WHERE case_id = ?").run(caseId);
  }

  audit(entry: AuditEntry): void {
    this.#db
      .prepare(
        `INSERT INTO audit (at, user, user_id, case_id, action, digest, via, outcome, detail)
         VALUES (?, @user, @user_id, @case_id, @action, @digest, @via, @outcome, @detail)`,
      )
      .run(new Date().toISOString(), entry);
  }

  auditTrail(caseId?: string): (AuditEntry & { at: string })[] {
    const sql = `SELECT at, user, user_id, case_id, action, digest, via, outcome, detail FROM audit ${caseId ? "WHERE case_id = ?" : ""} ORDER BY id`;
    const statement = this.#db.prepare(sql);
    return (caseId ? statement.all(caseId) : statement.all()) as (AuditEntry & { at: string })[];
  }

  close(): void {
    this.#db.close();
  }
}
