import Database from "better-sqlite3";
import { z } from "zod";
import { KubeAnswer, KubeRequest, Verification } from "../../contracts/cluster.js";

/**
 * One action carried out for one case, from before its first request to its end: recorded before
 * anything is sent, so that a retry after a crash knows what was meant and what the object was.
 */
export const ActionRecord = z.object({
  key: z.string(),
  case_id: z.string(),
  action: z.string(),
  parameters: z.unknown(),
  mode: z.enum(["dry-run", "enforce"]),
  /** The state the undo restores, read before the first request. */
  before: z.unknown(),
  requests: z.array(KubeRequest),
  answers: z.array(KubeAnswer),
  verification: Verification.nullable(),
  state: z.enum(["recorded", "done", "refused", "undone"]),
  undo: z.object({ requests: z.array(KubeRequest), answers: z.array(KubeAnswer), by: z.string() }).nullable(),
});
export type ActionRecord = z.infer<typeof ActionRecord>;

const schema = `
CREATE TABLE IF NOT EXISTS actions (
  key TEXT PRIMARY KEY,
  case_id TEXT NOT NULL,
  record TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS actions_case ON actions (case_id);`;

/** The cluster-actions journal: every action's record, written before and after each change. */
export class ActionJournal {
  readonly #db: Database.Database;
  readonly #get: Database.Statement<[string], { record: string }>;
  readonly #byCase: Database.Statement<[string], { record: string }>;
  readonly #put: Database.Statement<[string, string, string, string]>;
  readonly #running = new Map<string, Promise<unknown>>();

  constructor(path: string) {
    this.#db = new Database(path);
    this.#db.pragma("journal_mode = WAL");
    // FULL: a record the process acted on must survive a power cut, not only a crash.
    this.#db.pragma("synchronous = FULL");
    this.#db.exec(schema);
    this.#get = this.#db.prepare("SELECT record FROM actions WHERE key = ?");
    this.#byCase = this.#db.prepare("SELECT record FROM actions WHERE case_id = ? ORDER BY updated_at");
    this.#put = this.#db.prepare(
      "INSERT INTO actions (key, case_id, record, updated_at) VALUES (?, ?, ?, ?) " +
        "ON CONFLICT (key) DO UPDATE SET record = excluded.record, updated_at = excluded.updated_at",
    );
  }

  get(key: string): ActionRecord | undefined {
    const row = this.#get.get(key);
    return row ? ActionRecord.parse(JSON.parse(row.record)) : undefined;
  }

  /** The case's actions carried out in enforce mode, oldest first: what an undo may lift. */
  enforced(caseId: string): ActionRecord[] {
    return this.#byCase
      .all(caseId)
      .map((row) => ActionRecord.parse(JSON.parse(row.record)))
      .filter((record) => record.mode === "enforce");
  }

  put(record: ActionRecord): ActionRecord {
    this.#put.run(record.key, record.case_id, JSON.stringify(record), new Date().toISOString());
    return record;
  }

  /**
   * Runs `work` for `key` once at a time: a call for a key already being carried out (a caller that
   * retried after losing its connection) waits for the first to end, then runs on its record.
   */
  async exclusive<T>(key: string, work: () => Promise<T>): Promise<T> {
    for (let running = this.#running.get(key); running; running = this.#running.get(key))
      await running.catch(() => undefined);
    const run = work();
    this.#running.set(key, run);
    try {
      return await run;
    } finally {
      this.#running.delete(key);
    }
  }

  close(): void {
    this.#db.close();
  }
}
