import Database from "better-sqlite3";
import type { Param, Sql } from "./engine.js";

/**
 * SQLite through better-sqlite3: one connection, WAL with NORMAL sync (a killed process loses no
 * committed write, without an fsync per statement), each statement prepared once.
 */
export class SqliteSql implements Sql {
  readonly engine = "sqlite";
  readonly #db: Database.Database;
  readonly #statements = new Map<string, Database.Statement<Param[]>>();

  constructor(path: string) {
    this.#db = new Database(path);
    this.#db.pragma("journal_mode = WAL");
    this.#db.pragma("synchronous = NORMAL");
  }

  #prepared(sql: string): Database.Statement<Param[]> {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare<Param[]>(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  all<R>(sql: string, params: readonly Param[] = []): Promise<R[]> {
    return Promise.resolve(this.#prepared(sql).all(...params) as R[]);
  }

  get<R>(sql: string, params: readonly Param[] = []): Promise<R | undefined> {
    return Promise.resolve(this.#prepared(sql).get(...params) as R | undefined);
  }

  run(sql: string, params: readonly Param[] = []): Promise<number> {
    return Promise.resolve(this.#prepared(sql).run(...params).changes);
  }

  exec(sql: string): Promise<void> {
    this.#db.exec(sql);
    return Promise.resolve();
  }

  /**
   * One process holds the database: `BEGIN IMMEDIATE` takes the write lock against other
   * processes. Used only where nothing else runs on the connection meanwhile (schema migrations at
   * start), as statements issued beside it would join it.
   */
  async exclusive<T>(_lock: string, work: (tx: Sql) => Promise<T>): Promise<T> {
    this.#db.exec("BEGIN IMMEDIATE");
    try {
      const result = await work(this);
      this.#db.exec("COMMIT");
      return result;
    } catch (error) {
      this.#db.exec("ROLLBACK");
      throw error;
    }
  }

  close(): Promise<void> {
    this.#db.close();
    return Promise.resolve();
  }
}
