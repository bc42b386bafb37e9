import type { Sql } from "./engine.js";
import { SqliteSql } from "./sqlite.js";

/**
 * The database at `url` (`postgres://…`), or with none the SQLite file at `sqlitePath`. PostgreSQL's
 * client is loaded only by the processes that use it.
 */
export async function openSql(url: string | null, sqlitePath: string): Promise<Sql> {
  if (!url) return new SqliteSql(sqlitePath);
  const { PostgresSql } = await import("./postgres.js");
  return new PostgresSql(url);
}
