import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Anomaly } from "../../contracts/anomaly.js";
import { falcoAlert } from "../../fleet/alerts.js";
import { clientComponentForTests } from "../../test/fakes.js";
import { Leases } from "../../runtime/sql/lease.js";
import { SqliteSql } from "../../runtime/sql/sqlite.js";
import { CaseRuns, MAX_TRIAGING } from "./runs.js";
import { caseLease, CaseStore } from "./store.js";

let opened = 0;
const anomaly = () =>
  Anomaly.parse({
    trace_id: (++opened).toString(16).padStart(32, "0"),
    event: falcoAlert({ rule: "Terminal shell in container", priority: "Notice", tags: [] }),
    received_at: new Date().toISOString(),
    score: null,
    model_version: "rules-baseline",
    threshold: "Warning",
  });

describe("CaseRuns: the cases one replica works on", () => {
  let dir: string;
  let store: CaseStore;
  let open: SqliteSql[];
  /** A replica on the test's database: its leases as `holder`, its runs recorded in `ran`. */
  const replica = async (
    holder: string,
    run: (caseId: string) => Promise<void> = () => Promise.resolve(),
  ) => {
    const sql = new SqliteSql(join(dir, "cases.db"));
    open.push(sql);
    const leases = await Leases.open(sql, holder, 60_000);
    const ran: string[] = [];
    const runs = new CaseRuns(store, leases, clientComponentForTests("coordinator").log, async (id) => {
      ran.push(id);
      await run(id);
    });
    return { leases, runs, ran };
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "soc-runs-"));
    open = [];
    store = await CaseStore.open(new SqliteSql(join(dir, "cases.db")));
  });
  afterEach(async () => {
    for (const sql of open) await sql.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("runs a case holding its lease, gives it up after, and leaves a case another replica holds", async () => {
    const a = await replica("coordinator/a", async (id) => {
      expect(await b.leases.holderOf(caseLease(id))).toBe("coordinator/a");
    });
    const b = await replica("coordinator/b");
    const first = (await store.open(anomaly())).case.id;
    await a.runs.advance(first);
    expect(a.ran).toEqual([first]);
    expect(await b.leases.holderOf(caseLease(first))).toBeNull();

    const second = (await store.open(anomaly())).case.id;
    expect(await b.leases.take(caseLease(second))).toBe(true);
    await a.runs.advance(second);
    expect(a.ran).toEqual([first]);
  });

  it("runs one case one run at a time in a process, in the order asked", async () => {
    const order: string[] = [];
    const a = await replica("coordinator/a", async (id) => {
      order.push(`${id} in`);
      await new Promise((resolve) => setTimeout(resolve, 20));
      order.push(`${id} out`);
    });
    const id = (await store.open(anomaly())).case.id;
    await Promise.all([a.runs.advance(id), a.runs.advance(id)]);
    expect(order).toEqual([`${id} in`, `${id} out`, `${id} in`, `${id} out`]);
  });

  it("gives a case whose run failed up for any replica to try again", async () => {
    const a = await replica("coordinator/a", () => Promise.reject(new Error("the database went away")));
    const id = (await store.open(anomaly())).case.id;
    await a.runs.advance(id);
    expect(await a.leases.holderOf(caseLease(id))).toBeNull();
    expect(await store.unattended(10, Date.now() + 60_001)).toEqual([id]);
  });

  it("takes over what nobody works on, as much as it has room for, and waits for room", async () => {
    const release: (() => void)[] = [];
    const a = await replica("coordinator/a", () => new Promise<void>((resolve) => release.push(resolve)));
    const ids: string[] = [];
    for (let i = 0; i < MAX_TRIAGING + 3; i++) ids.push((await store.open(anomaly())).case.id);
    await a.runs.takeOver();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(a.ran).toEqual(ids.slice(0, MAX_TRIAGING));
    expect(a.runs.hasRoom).toBe(false);
    let roomy = false;
    const room = a.runs.room().then(() => (roomy = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(roomy).toBe(false);
    release.shift()?.();
    await room;
    await store.update(ids[0] as string, { status: "closed" });
    await a.runs.takeOver();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(a.ran).toEqual(ids.slice(0, MAX_TRIAGING + 1));
    for (const done of release.splice(0)) done();
    const stopped = a.runs.stop();
    for (const done of release.splice(0)) done();
    await stopped;
    expect(a.runs.stopping).toBe(true);
  });
});
