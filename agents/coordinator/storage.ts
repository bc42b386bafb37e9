import { join } from "node:path";
import type { BaseCheckpointSaver } from "@langchain/langgraph";
import type { FleetConfig } from "../../contracts/config.js";
import { leaseHolder, Leases } from "../../runtime/sql/lease.js";
import { openSql } from "../../runtime/sql/open.js";
import { Proposals } from "./proposals.js";
import { CaseStore } from "./store.js";

/**
 * What the coordinator keeps: the cases and their chains, each case graph's checkpoints, and which
 * replica is working on which case.
 */
export interface Storage {
  store: CaseStore;
  /** The rule changes drafted from cases. */
  proposals: Proposals;
  checkpointer: BaseCheckpointSaver;
  leases: Leases;
  close(): Promise<void>;
}

/**
 * The coordinator's storage: SQLite files in the data directory (one replica), or PostgreSQL when
 * `databaseUrl` is set (shared by replicas, each holding its cases' leases as `replica`), with
 * LangGraph's PostgreSQL checkpointer.
 */
export async function openStorage({
  databaseUrl,
  dataDir,
  replica,
  leaseMs,
}: Pick<FleetConfig, "databaseUrl" | "dataDir" | "replica" | "leaseMs">): Promise<Storage> {
  const sql = await openSql(databaseUrl, join(dataDir, "cases.db"));
  const store = await CaseStore.open(sql);
  const proposals = await Proposals.open(sql);
  const leases = await Leases.open(sql, leaseHolder("coordinator", { databaseUrl, replica }), leaseMs);
  if (databaseUrl) {
    const { PostgresSaver } = await import("@langchain/langgraph-checkpoint-postgres");
    const checkpointer = PostgresSaver.fromConnString(databaseUrl);
    // Its own migrations, one replica at a time when several start together.
    await sql.exclusive("soc-migrations-checkpoints", () => checkpointer.setup());
    return {
      store,
      proposals,
      checkpointer,
      leases,
      close: async () => {
        await Promise.all([store.close(), checkpointer.end()]);
      },
    };
  }
  const { default: Database } = await import("better-sqlite3");
  const { SqliteSaver } = await import("@langchain/langgraph-checkpoint-sqlite");
  const checkpoints = new Database(join(dataDir, "checkpoints.db"));
  // WAL with NORMAL sync survives a killed process (the failure the fleet must ride out) without an fsync per step.
  checkpoints.pragma("journal_mode = WAL");
  checkpoints.pragma("synchronous = NORMAL");
  return {
    store,
    proposals,
    checkpointer: new SqliteSaver(checkpoints),
    leases,
    close: async () => {
      await store.close();
      checkpoints.close();
    },
  };
}
