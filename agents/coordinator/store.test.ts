import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it, onTestFinished, vi } from "vitest";
import { Anomaly } from "../../contracts/anomaly.js";
import { Case, type Decision } from "../../contracts/case.js";
import { Step } from "../../contracts/step.js";
import type { Sql } from "../../runtime/sql/engine.js";
import { freshDatabase, sqlEngines, stopPostgres } from "../../test/databases.js";
import { Leases } from "../../runtime/sql/lease.js";
import { caseLease, CaseStore, type NewStep } from "./store.js";

let dir: string;
let store: CaseStore;
/** A new connection to the test's database. */
let connect: () => Sql;

afterAll(stopPostgres);

let traces = 0;
function anomaly(options: { uuid?: string; traceId?: string; rule?: string } = {}): Anomaly {
  traces += 1;
  return Anomaly.parse({
    trace_id: options.traceId ?? traces.toString(16).padStart(32, "0"),
    event: {
      ...(options.uuid ? { uuid: options.uuid } : {}),
      // Each anomaly a distinct event: Falco's time of it, to the nanosecond.
      time: `2026-11-24T09:00:00.${String(traces).padStart(9, "0")}Z`,
      rule: options.rule ?? "Read sensitive file untrusted",
      priority: "Warning",
      tags: ["T1555", "maturity_stable"],
      hostname: "worker-a1",
      output: "Warning Sensitive file opened",
      output_fields: {
        "k8s.ns.name": "shop",
        "k8s.pod.name": "storefront-7d9c8b6f5-x2x9q",
        "container.image.repository": "ghcr.io/acme/storefront",
        "proc.cmdline": "cat /etc/shadow",
      },
    },
    received_at: "2026-11-24T09:00:00.200Z",
    score: null,
    model_version: "rules-baseline",
    threshold: "Warning",
  });
}

/** Advances the fake clock, so created_at orders the cases opened before and after. */
function later(ms = 1_000): void {
  vi.setSystemTime(Date.now() + ms);
}

function decision(action: Decision["action"] = "approve", by = "alice"): Decision {
  return {
    action,
    by,
    reason: action === "dismiss" ? "benign cron job" : null,
    at: new Date().toISOString(),
  };
}

function step(summary: string, extra: Partial<NewStep> = {}): NewStep {
  return {
    agent: "detect",
    skill: "gather_evidence",
    summary,
    input: { asked: summary },
    output: { found: 2 },
    mcp_calls: [{ server: "policy-engine", tool: "evaluate_action", latency_ms: 12.5, error: null }],
    tokens: { in: 10, out: 20, cost: 0 },
    duration_ms: 42.5,
    error: null,
    ...extra,
  };
}

async function awaiting(): Promise<string> {
  const { case: opened } = await store.open(anomaly());
  await store.update(opened.id, { status: "awaiting_human" });
  return opened.id;
}

/** The same contract on both engines: what the coordinator relies on, whichever it runs on. */
describe.each(sqlEngines)("the case store on %s", (engine) => {
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "soc-store-"));
    connect = await freshDatabase(engine, dir);
    store = await CaseStore.open(connect());
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2026-11-24T09:00:00.000Z"));
  });

  afterEach(async () => {
    vi.useRealTimers();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe("open", () => {
    it("opens a case from the anomaly's structured fields", async () => {
      const input = anomaly({ uuid: "86602a24-31f6-4251-a759-1a8381a4e8be" });
      const { case: opened, duplicate } = await store.open(input);
      expect(duplicate).toBe(false);
      expect(Case.safeParse(opened).success).toBe(true);
      expect(opened).toMatchObject({
        trace_id: input.trace_id,
        status: "open",
        rule: "Read sensitive file untrusted",
        priority: "Warning",
        namespace: "shop",
        pod: "storefront-7d9c8b6f5-x2x9q",
        image: "ghcr.io/acme/storefront",
        technique: null,
        severity: null,
        confidence: null,
        outcome: null,
        reasons: [],
        decision: null,
        resolution: null,
        created_at: "2026-11-24T09:00:00.000Z",
        updated_at: "2026-11-24T09:00:00.000Z",
      });
    });

    it("keeps the whole anomaly for later", async () => {
      const input = anomaly({ uuid: "f7065626-3a35-48fa-87c5-fc876ca5ca4a" });
      const { case: opened } = await store.open(input);
      expect(await store.anomaly(opened.id)).toEqual(input);
    });

    it("returns the existing case for the same trace_id", async () => {
      const first = await store.open(anomaly({ traceId: "a".repeat(32) }));
      const again = await store.open(anomaly({ traceId: "a".repeat(32), rule: "Another rule" }));
      expect(again.duplicate).toBe(true);
      expect(again.case).toEqual(first.case);
      expect(await store.list(null, 10)).toHaveLength(1);
    });

    it("returns the existing case for the same falcosidekick uuid under a new trace_id", async () => {
      const uuid = "46dffdd8-a0c3-4cb0-9ebb-9734dac81791";
      const original = anomaly({ uuid });
      const retried = anomaly({ uuid });
      expect(retried.trace_id).not.toBe(original.trace_id);
      const first = await store.open(original);
      const again = await store.open(retried);
      expect(again.duplicate).toBe(true);
      expect(again.case.id).toBe(first.case.id);
      expect(await store.list(null, 10)).toHaveLength(1);
    });

    it("tells events without a uuid apart by what Falco said: a replay is the same case, another event a new one", async () => {
      const first = anomaly();
      const a = await store.open(first);
      const replayed = await store.open({ ...first, trace_id: "f".repeat(32) });
      const b = await store.open(anomaly({ rule: "Terminal shell in container" }));
      expect(replayed).toMatchObject({ duplicate: true, case: { id: a.case.id } });
      expect(a.duplicate || b.duplicate).toBe(false);
      expect(a.case.id).not.toBe(b.case.id);
      expect(await store.list(null, 10)).toHaveLength(2);
    });

    it("keeps cases across a reopen of the database", async () => {
      const { case: opened } = await store.open(anomaly({ traceId: "b".repeat(32) }));
      await store.close();
      store = await CaseStore.open(connect());
      expect(await store.get(opened.id)).toEqual(opened);
      expect((await store.open(anomaly({ traceId: "b".repeat(32) }))).duplicate).toBe(true);
    });
  });

  describe("get and anomaly", () => {
    it("finds a case by id or by trace_id", async () => {
      const { case: opened } = await store.open(anomaly({ traceId: "c".repeat(32) }));
      expect((await store.get(opened.id))?.id).toBe(opened.id);
      expect((await store.get("c".repeat(32)))?.id).toBe(opened.id);
      expect(await store.get("C-22222")).toBeUndefined();
    });

    it("throws for the anomaly of an unknown case", async () => {
      await expect(store.anomaly("C-22222")).rejects.toThrow("no case C-22222");
    });
  });

  describe("update and list", () => {
    it("updates the given fields and the update time", async () => {
      const { case: opened } = await store.open(anomaly());
      later();
      const fields = {
        status: "closed",
        technique: "T1555",
        severity: "medium",
        confidence: 0.85,
        outcome: "auto_reject",
        reasons: ["confidence below threshold", "no technique"],
        resolution: "rejected",
      } as const;
      const updated = await store.update(opened.id, { ...fields, reasons: [...fields.reasons] });
      expect(updated).toMatchObject({
        ...fields,
        created_at: "2026-11-24T09:00:00.000Z",
        updated_at: "2026-11-24T09:00:01.000Z",
      });
    });

    it("lists newest first, filtered by status and limited", async () => {
      const ids: string[] = [];
      for (let i = 0; i < 4; i++) {
        ids.push((await store.open(anomaly())).case.id);
        later();
      }
      const [first, second, third, fourth] = ids;
      await store.update(second ?? "", { status: "awaiting_human" });
      await store.update(fourth ?? "", { status: "awaiting_human" });
      await store.update(third ?? "", { status: "closed" });
      expect((await store.list(null, 10)).map((c) => c.id)).toEqual([fourth, third, second, first]);
      expect((await store.list(null, 2)).map((c) => c.id)).toEqual([fourth, third]);
      expect((await store.list("awaiting_human", 10)).map((c) => c.id)).toEqual([fourth, second]);
      expect((await store.list("closed", 10)).map((c) => c.id)).toEqual([third]);
      expect(await store.list("executing", 10)).toEqual([]);
    });

    it("breaks ties of the same creation time by insertion order", async () => {
      const a = (await store.open(anomaly())).case.id;
      const b = (await store.open(anomaly())).case.id;
      expect((await store.list(null, 10)).map((c) => c.id)).toEqual([b, a]);
    });
  });

  describe("decide", () => {
    it("records a decision on a case awaiting one", async () => {
      const id = await awaiting();
      later();
      const made = decision("dismiss", "bob");
      expect(await store.decide(id, made)).toBe(true);
      expect(await store.get(id)).toMatchObject({
        decision: made,
        updated_at: made.at,
        status: "awaiting_human",
      });
    });

    it("is compare-and-set: a second decision does not overwrite the first", async () => {
      const id = await awaiting();
      expect(await store.decide(id, decision("approve", "alice"))).toBe(true);
      expect(await store.decide(id, decision("dismiss", "mallory"))).toBe(false);
      expect((await store.get(id))?.decision?.by).toBe("alice");
      expect((await store.get(id))?.decision?.action).toBe("approve");
    });

    it("refuses a case that is not awaiting a human", async () => {
      const { case: opened } = await store.open(anomaly());
      for (const status of ["open", "reviewing", "executing", "closed"] as const) {
        await store.update(opened.id, { status });
        expect(await store.decide(opened.id, decision()), status).toBe(false);
      }
      expect((await store.get(opened.id))?.decision).toBeNull();
    });

    it("refuses an unknown case", async () => {
      expect(await store.decide("C-22222", decision())).toBe(false);
    });
  });

  describe("steps", () => {
    it("appends steps with increasing seq and reads them back", async () => {
      const { case: opened } = await store.open(anomaly({ traceId: "d".repeat(32) }));
      const { step: first } = await store.addStep(opened.id, "d".repeat(32), "detect", step("evidence"));
      const { step: second } = await store.addStep(
        opened.id,
        "d".repeat(32),
        "analyst",
        step("analysis", { agent: "analyst" }),
      );
      expect(first.seq).toBe(1);
      expect(second.seq).toBe(2);
      expect(Step.safeParse(first).success).toBe(true);
      expect(first).toEqual({
        case_id: opened.id,
        seq: 1,
        trace_id: "d".repeat(32),
        agent: "detect",
        skill: "gather_evidence",
        summary: "evidence",
        input: { asked: "evidence" },
        output: { found: 2 },
        mcp_calls: [{ server: "policy-engine", tool: "evaluate_action", latency_ms: 12.5, error: null }],
        tokens: { in: 10, out: 20, cost: 0 },
        duration_ms: 42.5,
        error: null,
        at: "2026-11-24T09:00:00.000Z",
      });
      expect((await store.steps(opened.id)).map((s) => s.summary)).toEqual(["evidence", "analysis"]);
    });

    it("records a step with the same key once, keeping the first", async () => {
      const { case: opened } = await store.open(anomaly());
      const { step: first } = await store.addStep(opened.id, opened.trace_id, "detect", step("first run"));
      const again = await store.addStep(opened.id, opened.trace_id, "detect", step("re-run after restart"));
      expect(again).toEqual({ step: first, added: false });
      expect(await store.steps(opened.id)).toHaveLength(1);
      const { step: next } = await store.addStep(opened.id, opened.trace_id, "analyst", step("next"));
      expect(next.seq).toBe(2);
    });

    it("numbers steps per case", async () => {
      const a = (await store.open(anomaly())).case;
      const b = (await store.open(anomaly())).case;
      await store.addStep(a.id, a.trace_id, "one", step("a1"));
      await store.addStep(a.id, a.trace_id, "two", step("a2"));
      expect(await store.addStep(b.id, b.trace_id, "one", step("b1"))).toMatchObject({
        step: { seq: 1 },
        added: true,
      });
      expect((await store.steps(b.id)).map((s) => s.summary)).toEqual(["b1"]);
    });

    it("finds a step by key and keeps null input, output and an error code", async () => {
      const { case: opened } = await store.open(anomaly());
      await store.addStep(opened.id, opened.trace_id, "review#failed", {
        ...step("reviewer failed"),
        input: undefined,
        output: null,
        error: "agent_timeout",
      });
      expect(await store.step(opened.id, "review#failed")).toMatchObject({
        input: null,
        output: null,
        error: "agent_timeout",
      });
      expect(await store.step(opened.id, "missing")).toBeUndefined();
    });

    it("has no steps for a case without any", async () => {
      expect(await store.steps("C-22222")).toEqual([]);
    });
  });

  it("gives a rule's recorded events, oldest first, with what became of each case", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await store.open(anomaly())).case.id);
      later();
    }
    const other = (await store.open(anomaly({ rule: "Terminal shell in container" }))).case.id;
    const [dismissed, approved, remediated, waiting, rejected] = ids as [
      string,
      string,
      string,
      string,
      string,
    ];
    for (const id of [dismissed, approved, waiting]) await store.update(id, { status: "awaiting_human" });
    expect(await store.decide(dismissed, decision("dismiss"))).toBe(true);
    expect(await store.decide(approved, decision("approve"))).toBe(true);
    await store.update(remediated, { status: "closed", resolution: "remediated" });
    await store.update(rejected, { status: "closed", resolution: "rejected" });
    const events = await store.recordedEvents("Read sensitive file untrusted", 10);
    expect(events.map((e) => [e.case_id, e.decision])).toEqual([
      [dismissed, "dismissed"],
      [approved, "approved"],
      [remediated, "approved"],
      [waiting, "open"],
      [rejected, "open"],
    ]);
    expect(events[0]?.fields).toMatchObject({ "proc.cmdline": "cat /etc/shadow" });
    expect(events[0]?.time).toMatch(/^2026-11-24T09:00:00\./);
    expect((await store.recordedEvents("Read sensitive file untrusted", 2)).map((e) => e.case_id)).toEqual([
      waiting,
      rejected,
    ]);
    expect((await store.recordedEvents("Terminal shell in container", 10)).map((e) => e.case_id)).toEqual([
      other,
    ]);
  });

  describe("unattended, counts and oldestWaiting", () => {
    it("lists the cases with work to do that no replica holds, oldest first", async () => {
      const sql = connect();
      onTestFinished(() => sql.close());
      const leases = await Leases.open(sql, "coordinator/a", 10_000);
      const ids: string[] = [];
      for (let i = 0; i < 7; i++) {
        ids.push((await store.open(anomaly())).case.id);
        later();
      }
      const [opened, closed, waiting, decided, running, abandoned, held] = ids as [
        string,
        string,
        string,
        string,
        string,
        string,
        string,
      ];
      await store.update(closed, { status: "closed" });
      await store.update(waiting, { status: "awaiting_human" });
      await store.update(decided, { status: "awaiting_human" });
      expect(await store.decide(decided, decision())).toBe(true);
      await store.update(running, { status: "reviewing" });
      await leases.take(caseLease(running));
      await store.update(abandoned, { status: "executing" });
      await leases.take(caseLease(abandoned));
      await leases.drop(caseLease(abandoned), 0);
      await leases.take(caseLease(held));
      later(1);
      expect(await store.unattended(10)).toEqual([opened, decided, abandoned]);
      expect(await store.unattended(2)).toEqual([opened, decided]);
      // Its holder gone quiet for a lease's time: the running case is anyone's.
      later(10_000);
      expect(await store.unattended(10)).toEqual([opened, decided, running, abandoned, held]);
    });

    it("counts cases by status", async () => {
      expect(await store.counts()).toEqual({});
      const a = (await store.open(anomaly())).case.id;
      await store.open(anomaly());
      const c = (await store.open(anomaly())).case.id;
      await store.update(a, { status: "closed" });
      await store.update(c, { status: "awaiting_human" });
      expect(await store.counts()).toEqual({ open: 1, closed: 1, awaiting_human: 1 });
    });

    it("gives the oldest case still awaiting a decision", async () => {
      expect(await store.oldestWaiting()).toBeNull();
      const first = await awaiting();
      later();
      const second = await awaiting();
      later();
      await awaiting();
      expect((await store.oldestWaiting())?.id).toBe(first);
      expect(await store.decide(first, decision())).toBe(true);
      expect((await store.oldestWaiting())?.id).toBe(second);
      await store.update(second, { status: "closed" });
      expect((await store.oldestWaiting())?.id).not.toBe(second);
    });

    it("gives the oldest case not yet at a verdict, open or reviewing", async () => {
      expect(await store.oldestUntriaged()).toBeNull();
      const first = (await store.open(anomaly())).case.id;
      later();
      const second = (await store.open(anomaly())).case.id;
      await store.update(second, { status: "reviewing" });
      expect((await store.oldestUntriaged())?.id).toBe(first);
      await store.update(first, { status: "awaiting_human" });
      expect((await store.oldestUntriaged())?.id).toBe(second);
      await store.update(second, { status: "closed" });
      expect(await store.oldestUntriaged()).toBeNull();
    });
  });

  describe("today's decisions", () => {
    const decided = async (action: Decision["action"], confidence: number, at: string) => {
      const { case: opened } = await store.open(anomaly());
      await store.update(opened.id, { status: "awaiting_human", confidence });
      expect(
        await store.decide(opened.id, {
          action,
          by: "alice",
          reason: action === "dismiss" ? "benign" : null,
          at,
        }),
      ).toBe(true);
    };

    it("counts today's approvals and dismissals, the dismiss and override rates, and the median wait", async () => {
      await decided("approve", 0.9, "2026-11-24T09:00:10.000Z"); // with the analyst's lean, waited 10 s
      await decided("approve", 0.3, "2026-11-24T09:00:30.000Z"); // an override, 30 s
      await decided("dismiss", 0.8, "2026-11-24T09:01:00.000Z"); // an override, 60 s
      await decided("dismiss", 0.2, "2026-11-24T09:02:00.000Z"); // with the lean, 120 s
      await decided("approve", 0.9, "2026-11-23T23:59:59.000Z"); // yesterday: not counted
      expect(await store.todaysDecisions(new Date("2026-11-24T12:00:00.000Z"))).toEqual({
        approved: 2,
        dismissed: 2,
        dismiss_rate: 0.5,
        override_rate: 0.5,
        median_wait_s: 45,
      });
    });

    it("has no rates on a day without decisions", async () => {
      expect(await store.todaysDecisions(new Date("2026-11-24T12:00:00.000Z"))).toEqual({
        approved: 0,
        dismissed: 0,
        dismiss_rate: null,
        override_rate: null,
        median_wait_s: null,
      });
    });
  });

  describe("schema and concurrent writers", () => {
    it("migrates once, and refuses a database a newer release has migrated", async () => {
      const sql = connect();
      try {
        const versions = await sql.all<{ version: number }>(
          "SELECT version FROM schema_migrations WHERE store = 'cases'",
        );
        expect(versions.map((v) => v.version)).toEqual([1, 2]);
        await sql.run(
          "INSERT INTO schema_migrations (store, version, applied_at) VALUES ('cases', 99, 'later')",
        );
      } finally {
        await sql.close();
      }
      const newer = connect();
      await expect(CaseStore.open(newer)).rejects.toThrow(
        "the cases tables are at schema version 99, newer than this release knows (2)",
      );
      await newer.close();
    });

    it("opens one case for one event however many writers open it at once", async () => {
      const others = [await CaseStore.open(connect()), await CaseStore.open(connect())];
      try {
        const event = anomaly({ uuid: "0d4b8f3e-5c2a-4e71-9a6b-7f1e2d3c4b5a" });
        const opened = await Promise.all(
          [store, ...others].map((s, i) => s.open({ ...event, trace_id: String(i + 1).repeat(32) })),
        );
        expect(new Set(opened.map((o) => o.case.id)).size).toBe(1);
        expect(opened.filter((o) => !o.duplicate)).toHaveLength(1);
      } finally {
        await Promise.all(others.map((o) => o.close()));
      }
    });

    it("numbers the steps of writers appending to one case at once, none lost", async () => {
      const others = [await CaseStore.open(connect()), await CaseStore.open(connect())];
      try {
        const { case: opened } = await store.open(anomaly());
        const writers = [store, ...others];
        await Promise.all(
          Array.from({ length: 30 }, (_, i) =>
            (writers[i % writers.length] as CaseStore).addStep(
              opened.id,
              opened.trace_id,
              `k${String(i)}`,
              step(`s${String(i)}`),
            ),
          ),
        );
        const steps = await store.steps(opened.id);
        expect(steps.map((s) => s.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
        expect(new Set(steps.map((s) => s.summary)).size).toBe(30);
      } finally {
        await Promise.all(others.map((o) => o.close()));
      }
    });
  });
});
