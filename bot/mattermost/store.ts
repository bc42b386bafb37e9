import { randomBytes } from "node:crypto";
import { uniqueViolation, type Sql } from "../../runtime/sql/engine.js";
import { migrate } from "../../runtime/sql/migrate.js";

/**
 * The bot's tables, one migration per release that changed them (runtime/sql/migrate.ts). The first
 * creates what earlier releases made without a version, if missing; PostgreSQL numbers rows with
 * BIGSERIAL where SQLite has AUTOINCREMENT, and millisecond times are BIGINT on both.
 */
const migrations = [
  {
    sqlite: botTables("INTEGER PRIMARY KEY AUTOINCREMENT"),
    postgres: botTables("BIGSERIAL PRIMARY KEY"),
  },
  // Who acted, by Mattermost user id as well as by the name they had then.
  "ALTER TABLE audit ADD COLUMN user_id TEXT",
  // One escalation per case, whichever replica the coordinator asks, however often.
  "CREATE UNIQUE INDEX IF NOT EXISTS outbox_one_escalation ON outbox (case_id) WHERE kind = 'escalation'",
  // When a delivery was last tried, by whichever replica: one taking over waits for it to end.
  "ALTER TABLE outbox ADD COLUMN last_attempt_at BIGINT",
];

function botTables(serial: string): string {
  return `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (
  seq ${serial},
  case_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  body TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  attempted_at BIGINT,
  delivered_at BIGINT,
  post_id TEXT,
  error TEXT
);
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox (delivered_at, seq);
CREATE TABLE IF NOT EXISTS posts (
  case_id TEXT PRIMARY KEY,
  post_id TEXT NOT NULL,
  root_id TEXT NOT NULL,
  group_key TEXT NOT NULL,
  escalated_at BIGINT NOT NULL,
  message TEXT NOT NULL,
  attachment TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS posts_group ON posts (group_key, escalated_at);
CREATE TABLE IF NOT EXISTS claims (
  case_id TEXT PRIMARY KEY,
  action TEXT NOT NULL,
  by TEXT NOT NULL,
  at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS audit (
  id ${serial},
  at TEXT NOT NULL,
  "user" TEXT NOT NULL,
  case_id TEXT,
  action TEXT NOT NULL,
  digest TEXT,
  via TEXT NOT NULL,
  outcome TEXT NOT NULL,
  detail TEXT
);`;
}

export interface OutboxItem {
  seq: number;
  case_id: string;
  kind: string;
  body: string;
  created_at: number;
  /** When it was first tried, and last. */
  attempted_at: number | null;
  last_attempt_at: number | null;
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
 * The bot's own durable state, on SQLite (one file, the default) or PostgreSQL: the outbox of what
 * must reach Mattermost, in order; where each case's post is; claims that let a decision apply once;
 * and the audit of every decision and refusal.
 */
export class BotStore {
  private constructor(
    private readonly sql: Sql,
    /** Marks this database's posts, so a delivery can be recognised after a crash. */
    readonly instance: string,
  ) {}

  /** The store on `sql`, its tables migrated to this release's. */
  static async open(sql: Sql): Promise<BotStore> {
    await migrate(sql, "bot", migrations);
    await sql.run("INSERT INTO meta (key, value) VALUES ('instance', ?) ON CONFLICT DO NOTHING", [
      randomBytes(8).toString("hex"),
    ]);
    const row = await sql.get<{ value: string }>("SELECT value FROM meta WHERE key = 'instance'");
    return new BotStore(sql, row?.value ?? "");
  }

  /** A value kept across restarts, made once by `make`. */
  async setting(key: string, make: () => string): Promise<string> {
    await this.sql.run("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT DO NOTHING", [key, make()]);
    const row = await this.sql.get<{ value: string }>("SELECT value FROM meta WHERE key = ?", [key]);
    return row?.value ?? "";
  }

  async enqueue(caseId: string, kind: string, body: unknown): Promise<number> {
    const row = await this.sql.get<{ seq: number }>(
      "INSERT INTO outbox (case_id, kind, body, created_at) VALUES (?, ?, ?, ?) RETURNING seq",
      [caseId, kind, JSON.stringify(body), Date.now()],
    );
    return row?.seq ?? 0;
  }

  /**
   * Queues a case's escalation and what follows it in its thread, all or nothing, unless the case's
   * escalation is already queued (the coordinator asks again after a crash or a lost answer, maybe of
   * another replica); whether they were queued now.
   */
  async enqueueEscalation(
    caseId: string,
    items: readonly { kind: string; body: unknown }[],
  ): Promise<boolean> {
    const now = Date.now();
    try {
      const queued = await this.sql.run(
        `INSERT INTO outbox (case_id, kind, body, created_at)
           SELECT column1, column2, column3, column4 FROM (VALUES ${items.map(() => "(?, ?, ?, CAST(? AS BIGINT))").join(", ")}) AS queued
           WHERE NOT EXISTS (SELECT 1 FROM outbox WHERE case_id = ? AND kind = 'escalation')`,
        [...items.flatMap((i) => [caseId, i.kind, JSON.stringify(i.body), now]), caseId],
      );
      return queued > 0;
    } catch (error) {
      // Another replica queued it between the check and the insert.
      if (uniqueViolation(error)) return false;
      throw error;
    }
  }

  /**
   * The next item to deliver: escalations and post updates first, in order; thread replies after
   * them, in order. An escalation never waits behind another case's replies, and a reply always
   * follows its case's escalation, which was queued before it.
   */
  async nextPending(): Promise<OutboxItem | undefined> {
    const row = await this.sql.get<OutboxItem>(
      "SELECT seq, case_id, kind, body, created_at, attempted_at, last_attempt_at FROM outbox WHERE delivered_at IS NULL ORDER BY kind = 'reply', seq LIMIT 1",
    );
    return row;
  }

  async pendingCount(): Promise<number> {
    const row = await this.sql.get<{ n: number }>(
      "SELECT CAST(COUNT(*) AS INTEGER) AS n FROM outbox WHERE delivered_at IS NULL",
    );
    return row?.n ?? 0;
  }

  async markAttempted(seq: number): Promise<void> {
    const now = Date.now();
    await this.sql.run(
      "UPDATE outbox SET attempted_at = coalesce(attempted_at, ?), last_attempt_at = ? WHERE seq = ?",
      [now, now, seq],
    );
  }

  async markDelivered(seq: number, postId: string | null, error: string | null = null): Promise<void> {
    await this.sql.run("UPDATE outbox SET delivered_at = ?, post_id = ?, error = ? WHERE seq = ?", [
      Date.now(),
      postId,
      error,
      seq,
    ]);
  }

  async savePost(record: PostRecord): Promise<void> {
    await this.sql.run(
      `INSERT INTO posts (case_id, post_id, root_id, group_key, escalated_at, message, attachment)
         VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (case_id) DO UPDATE SET post_id = excluded.post_id, root_id = excluded.root_id,
           group_key = excluded.group_key, escalated_at = excluded.escalated_at, message = excluded.message,
           attachment = excluded.attachment`,
      [
        record.case_id,
        record.post_id,
        record.root_id,
        record.group_key,
        record.escalated_at,
        record.message,
        record.attachment,
      ],
    );
  }

  async post(caseId: string): Promise<PostRecord | undefined> {
    const row = await this.sql.get<PostRecord>("SELECT * FROM posts WHERE case_id = ?", [caseId]);
    return row;
  }

  /** The thread a new escalation of this group joins, if one was opened within the window. */
  async groupThread(groupKey: string, since: number): Promise<string | undefined> {
    const row = await this.sql.get<{ root_id: string }>(
      "SELECT root_id FROM posts WHERE group_key = ? AND escalated_at >= ? ORDER BY escalated_at DESC LIMIT 1",
      [groupKey, since],
    );
    return row?.root_id;
  }

  /** Claims a case for a final decision; false when someone already holds it. */
  async claim(
    caseId: string,
    action: string,
    by: string,
  ): Promise<{ ok: true } | { ok: false; action: string; by: string }> {
    const inserted = await this.sql.run(
      "INSERT INTO claims (case_id, action, by, at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
      [caseId, action, by, Date.now()],
    );
    if (inserted === 1) return { ok: true };
    const holder = await this.sql.get<{ action: string; by: string }>(
      "SELECT action, by FROM claims WHERE case_id = ?",
      [caseId],
    );
    return { ok: false, action: holder?.action ?? "unknown", by: holder?.by ?? "unknown" };
  }

  /** Gives a claim back when the decision could not be applied, so it can be tried again. */
  async release(caseId: string): Promise<void> {
    await this.sql.run("DELETE FROM claims WHERE case_id = ?", [caseId]);
  }

  async audit(entry: AuditEntry): Promise<void> {
    await this.sql.run(
      `INSERT INTO audit (at, "user", user_id, case_id, action, digest, via, outcome, detail)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        new Date().toISOString(),
        entry.user,
        entry.user_id,
        entry.case_id,
        entry.action,
        entry.digest,
        entry.via,
        entry.outcome,
        entry.detail,
      ],
    );
  }

  async auditTrail(caseId?: string): Promise<(AuditEntry & { at: string })[]> {
    const columns = `at, "user", user_id, case_id, action, digest, via, outcome, detail`;
    return caseId
      ? this.sql.all(`SELECT ${columns} FROM audit WHERE case_id = ? ORDER BY id`, [caseId])
      : this.sql.all(`SELECT ${columns} FROM audit ORDER BY id`);
  }

  close(): Promise<void> {
    return this.sql.close();
  }
}
