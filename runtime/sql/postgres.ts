import pg from "pg";
import type { Param, Sql } from "./engine.js";

/** `?` placeholders as PostgreSQL's `$1, $2, …`, converted once per statement text. */
const numbered = new Map<string, string>();
function placeholders(sql: string): string {
  let converted = numbered.get(sql);
  if (converted === undefined) {
    let n = 0;
    converted = sql.replace(/\?/g, () => `$${String(++n)}`);
    numbered.set(sql, converted);
  }
  return converted;
}

// BIGINT (BIGSERIAL numbers, millisecond times, counts) as a JS number, as SQLite gives it: the
// fleet's values stay far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, Number);

type Queryable = Pick<pg.Pool | pg.PoolClient, "query">;

/** The statements of one connection or of the pool. */
class Statements {
  constructor(protected readonly db: Queryable) {}

  async all<R>(sql: string, params: readonly Param[] = []): Promise<R[]> {
    return (await this.db.query(placeholders(sql), params as Param[])).rows as R[];
  }

  async get<R>(sql: string, params: readonly Param[] = []): Promise<R | undefined> {
    return (await this.all<R>(sql, params))[0];
  }

  async run(sql: string, params: readonly Param[] = []): Promise<number> {
    return (await this.db.query(placeholders(sql), params as Param[])).rowCount ?? 0;
  }

  async exec(sql: string): Promise<void> {
    await this.db.query(sql);
  }
}

/**
 * PostgreSQL through node-postgres: a pool of connections to `url` (`postgres://…`, its options
 * such as `sslmode` as libpq reads them).
 */
export class PostgresSql extends Statements implements Sql {
  readonly engine = "postgres";
  readonly #pool: pg.Pool;

  constructor(url: string, max = 10) {
    const pool = new pg.Pool({ connectionString: url, max });
    super(pool);
    this.#pool = pool;
    // An idle connection the server dropped is replaced at the next query; not a crash.
    pool.on("error", () => undefined);
  }

  /** A transaction on one connection, under an advisory lock named `lock` held to its end. */
  async exclusive<T>(lock: string, work: (tx: Sql) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    const tx = new Transaction(client);
    try {
      await client.query("BEGIN");
      await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [lock]);
      const result = await work(tx);
      await client.query("COMMIT");
      return result;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  close(): Promise<void> {
    return this.#pool.end();
  }
}

class Transaction extends Statements implements Sql {
  readonly engine = "postgres";

  exclusive<T>(_lock: string, work: (tx: Sql) => Promise<T>): Promise<T> {
    return work(this);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
