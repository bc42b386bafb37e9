import { SocError } from "../errors.js";
import type { Sql } from "./engine.js";

/** A schema change: the same statements for both engines, or each engine's own. */
export type Migration = string | Readonly<Record<Sql["engine"], string>>;

/**
 * Brings `store`'s tables to the newest of `migrations` (version n is `migrations[n - 1]`), each
 * applied once, in order, in one transaction that other processes starting at the same moment
 * wait on. A database that a newer release has migrated further is refused: this code would
 * misread it.
 */
export async function migrate(sql: Sql, store: string, migrations: readonly Migration[]): Promise<void> {
  await sql.exclusive(`soc-migrations-${store}`, async (tx) => {
    await tx.exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations (store TEXT NOT NULL, version INTEGER NOT NULL, applied_at TEXT NOT NULL, PRIMARY KEY (store, version))",
    );
    const row = await tx.get<{ version: number | null }>(
      "SELECT CAST(MAX(version) AS INTEGER) AS version FROM schema_migrations WHERE store = ?",
      [store],
    );
    const current = row?.version ?? 0;
    if (current > migrations.length)
      throw new SocError(
        "database_newer",
        `the ${store} tables are at schema version ${String(current)}, newer than this release knows (${String(migrations.length)}): run the release that migrated them, or a newer one`,
      );
    for (let version = current + 1; version <= migrations.length; version++) {
      const migration = migrations[version - 1] ?? "";
      await tx.exec(typeof migration === "string" ? migration : migration[sql.engine]);
      await tx.run("INSERT INTO schema_migrations (store, version, applied_at) VALUES (?, ?, ?)", [
        store,
        version,
        new Date().toISOString(),
      ]);
    }
  });
}
