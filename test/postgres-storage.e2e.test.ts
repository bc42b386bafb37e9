import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Case } from "../contracts/case.js";
import type { Step } from "../contracts/step.js";
import { alerts } from "../fleet/alerts.js";
import { LocalFleet } from "../fleet/local.js";
import { PostgresServer } from "../fleet/postgres.js";
import { PostgresSql } from "../runtime/sql/postgres.js";

type TraceReply = { ok: true; case: Case; steps: Step[] };

describe("the coordinator on PostgreSQL (SOC_DATABASE_URL): cases and graph checkpoints in the database", () => {
  let postgres: PostgresServer;
  let url: string;
  let fleet: LocalFleet;
  beforeAll(async () => {
    postgres = await PostgresServer.start();
    url = postgres.createDatabase("soc");
    fleet = await LocalFleet.start({ env: { SOC_PREFILTER: "priority", SOC_DATABASE_URL: url } });
  });
  afterAll(async () => {
    await fleet.stop();
    postgres.stop();
  });

  const settled = (id: string, status: Case["status"]) =>
    fleet.waitFor(
      async () => {
        const reply = (await fleet.soc(["trace", id])).json as TraceReply | undefined;
        return reply?.case?.status === status ? reply : undefined;
      },
      30_000,
      `case ${id} to be ${status}`,
    );

  it("keeps a waiting case through a kill -9 of the coordinator, and carries it on once approved", async () => {
    const { body } = await fleet.post(alerts.escalate());
    const id = body.case_id as string;
    await settled(id, "awaiting_human");
    const before = fleet.pid("coordinator");
    fleet.signal("coordinator", "SIGKILL");
    await fleet.waitFor(
      async () => fleet.pid("coordinator") !== before && (await fleet.soc(["trace", id])).code === 0,
      30_000,
      "the coordinator to come back",
    );
    expect((await fleet.soc(["approve", id])).code).toBe(0);
    const done = await settled(id, "closed");
    expect(done.case.resolution).toBe("remediated");
    expect(done.steps.filter((s) => s.skill === "execute")).toHaveLength(1);

    // Where it was kept: the database, not a file of the data directory.
    expect(existsSync(join(fleet.home, "data", "cases.db"))).toBe(false);
    expect(existsSync(join(fleet.home, "data", "checkpoints.db"))).toBe(false);
    const sql = new PostgresSql(url, 1);
    try {
      const row = await sql.get<{ status: string; steps: number }>(
        "SELECT status, CAST((SELECT COUNT(*) FROM steps WHERE case_id = cases.id) AS INTEGER) AS steps FROM cases WHERE id = ?",
        [id],
      );
      expect(row).toEqual({ status: "closed", steps: done.steps.length });
      const checkpoints = await sql.get<{ n: number }>(
        "SELECT CAST(COUNT(*) AS INTEGER) AS n FROM checkpoints WHERE thread_id = ?",
        [id],
      );
      expect(checkpoints?.n).toBeGreaterThan(0);
    } finally {
      await sql.close();
    }
  });
});
