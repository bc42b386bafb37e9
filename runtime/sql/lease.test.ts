import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { freshDatabase, sqlEngines, stopPostgres } from "../../test/databases.js";
import type { Sql } from "./engine.js";
import { Leases } from "./lease.js";

afterAll(stopPostgres);

/** The same contract on both engines: what replicas rely on to share work. */
describe.each(sqlEngines)("leases on %s", (engine) => {
  let dir: string;
  let connect: () => Sql;
  const open: Sql[] = [];
  /** A replica's leases, on a connection of its own. */
  const replica = async (holder: string, ttlMs = 1_000) => {
    const sql = connect();
    open.push(sql);
    return Leases.open(sql, holder, ttlMs);
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "soc-leases-"));
    connect = await freshDatabase(engine, dir);
  });
  afterEach(async () => {
    vi.useRealTimers();
    for (const sql of open.splice(0)) await sql.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("gives a lease to one holder at a time, and again to the same holder", async () => {
    const [a, b] = [await replica("a"), await replica("b")];
    const taken = await Promise.all([a.take("case/C-22222"), b.take("case/C-22222")]);
    expect(taken.filter(Boolean)).toHaveLength(1);
    const [holder, other] = taken[0] ? [a, b] : [b, a];
    expect(holder.holds("case/C-22222")).toBe(true);
    expect(other.holds("case/C-22222")).toBe(false);
    expect(await holder.take("case/C-22222")).toBe(true);
    expect(await other.holderOf("case/C-22222")).toBe(holder.holder);
    await holder.release("case/C-22222");
    expect(await other.holderOf("case/C-22222")).toBeNull();
    expect(await other.take("case/C-22222")).toBe(true);
  });

  it("lets another holder take a lease that was not renewed in time, and the first one then knows it lost it", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const [a, b] = [await replica("a"), await replica("b")];
    expect(await a.take("bot/outbox")).toBe(true);
    vi.setSystemTime(Date.now() + 600);
    await a.renew();
    vi.setSystemTime(Date.now() + 600);
    // Renewed at 600 ms for another second: still a's at 1 200 ms.
    expect(await b.take("bot/outbox")).toBe(false);
    expect(a.holds("bot/outbox")).toBe(true);
    vi.setSystemTime(Date.now() + 1_000);
    expect(a.holds("bot/outbox")).toBe(false);
    expect(await b.take("bot/outbox")).toBe(true);
    await a.renew();
    expect(a.holds("bot/outbox")).toBe(false);
    expect(await a.take("bot/outbox")).toBe(false);
  });

  it("renews only what its holder still has, in one statement for all of them", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const [a, b] = [await replica("a"), await replica("b")];
    for (const name of ["case/1", "case/2", "case/3"]) expect(await a.take(name)).toBe(true);
    vi.setSystemTime(Date.now() + 1_500);
    expect(await b.take("case/2")).toBe(true);
    await a.renew();
    expect(["case/1", "case/2", "case/3"].map((n) => a.holds(n))).toEqual([true, false, true]);
    expect(await b.take("case/1")).toBe(false);
  });

  it("hands a lease given up unfinished to anyone once its retry time is past", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const [a, b] = [await replica("a"), await replica("b")];
    expect(await a.take("case/C-22222")).toBe(true);
    await a.drop("case/C-22222", 300);
    expect(a.holds("case/C-22222")).toBe(false);
    expect(await b.holderOf("case/C-22222")).toBeNull();
    expect(await b.take("case/C-22222")).toBe(false);
    vi.setSystemTime(Date.now() + 301);
    expect(await b.take("case/C-22222")).toBe(true);
  });

  it("expires at once what its holder held before a restart", async () => {
    const a = await replica("a", 60_000);
    expect(await a.take("case/C-22222")).toBe(true);
    const b = await replica("b", 60_000);
    expect(await b.take("case/C-22222")).toBe(false);
    await replica("a", 60_000);
    expect(await b.take("case/C-22222")).toBe(true);
  });

  it("runs work under a lease, one holder at a time, waiting for it", async () => {
    const [a, b] = [await replica("a"), await replica("b")];
    const inside: string[] = [];
    const work = (who: string) => async () => {
      inside.push(`${who} in`);
      await new Promise((resolve) => setTimeout(resolve, 50));
      inside.push(`${who} out`);
    };
    await Promise.all([a.during("bot/setup", work("a"), 10), b.during("bot/setup", work("b"), 10)]);
    expect(inside).toHaveLength(4);
    expect(inside[0]?.slice(0, 1)).toBe(inside[1]?.slice(0, 1));
    expect(inside[2]?.slice(0, 1)).toBe(inside[3]?.slice(0, 1));
    expect(await a.holderOf("bot/setup")).toBeNull();
  });
});
