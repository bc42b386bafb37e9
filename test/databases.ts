import { join } from "node:path";
import { PostgresServer } from "../fleet/postgres.js";
import type { Sql } from "../runtime/sql/engine.js";
import { PostgresSql } from "../runtime/sql/postgres.js";
import { SqliteSql } from "../runtime/sql/sqlite.js";

/** The engines a store's contract suite runs on. */
export const sqlEngines = ["sqlite", "postgres"] as const;

/** One PostgreSQL server per test file (vitest loads this module once per file), started when first asked. */
let postgres: Promise<PostgresServer> | undefined;
let databases = 0;

/**
 * A new, empty database of `engine` for one test: a SQLite file in `dir`, or a database of its own
 * on the file's PostgreSQL server. Returns how to open a connection to it (several may be open).
 */
export async function freshDatabase(engine: (typeof sqlEngines)[number], dir: string): Promise<() => Sql> {
  if (engine === "sqlite") {
    const path = join(dir, "test.db");
    return () => new SqliteSql(path);
  }
  postgres ??= PostgresServer.start();
  const url = (await postgres).createDatabase(`test_${String(++databases)}`);
  return () => new PostgresSql(url, 4);
}

/** Stops the file's PostgreSQL server, if a test started it (for afterAll). */
export async function stopPostgres(): Promise<void> {
  (await postgres)?.stop();
}
