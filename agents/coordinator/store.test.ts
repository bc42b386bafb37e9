import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Anomaly } from "../../contracts/anomaly.js";
import { Case, type Decision } from "../../contracts/case.js";
import { Step } from "../../contracts/step.js";
import { CaseStore, type NewStep } from "./store.js";

let dir: string;
let store: CaseStore;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "soc-store-"));
  store = new CaseStore(join(dir, "cases.db"));
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(new Date("2026-11-24T09:00:00.000Z"));
});

afterEach(() => {
  vi.useRealTimers();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

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

function awaiting(): string {
  const { case: opened } = store.open(anomaly());
  store.update(opened.id, { status: "awaiting_human" });
  return opened.id;
}

describe("open", () => {
  it("opens a case from the anomaly's structured fields", () => {
    const input = anomaly({ uuid: "86602a24-31f6-4251-a759-1a8381a4e8be" });
    const { case: opened, duplicate } = store.open(input);
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

  it("keeps the whole anomaly for later", () => {
    const input = anomaly({ uuid: "f7065626-3a35-48fa-87c5-fc876ca5ca4a" });
    const { case: opened } = store.open(input);
    expect(store.anomaly(opened.id)).toEqual(input);
  });

  it("returns the existing case for the same trace_id", () => {
    const first = store.open(anomaly({ traceId: "a".repeat(32) }));
    const again = store.open(anomaly({ traceId: "a".repeat(32), rule: "Another rule" }));
    expect(again.duplicate).toBe(true);
    expect(again.case).toEqual(first.case);
    expect(store.list(null, 10)).toHaveLength(1);
  });

  it("returns the existing case for the same falcosidekick uuid under a new trace_id", () => {
    const uuid = "46dffdd8-a0c3-4cb0-9ebb-9734dac81791";
    const original = anomaly({ uuid });
    const retried = anomaly({ uuid });
    expect(retried.trace_id).not.toBe(original.trace_id);
    const first = store.open(original);
    const again = store.open(retried);
    expect(again.duplicate).toBe(true);
    expect(again.case.id).toBe(first.case.id);
    expect(store.list(null, 10)).toHaveLength(1);
  });

  it("tells events without a uuid apart by what Falco said: a replay is the same case, another event a new one", () => {
    const first = anomaly();
    const a = store.open(first);
    const replayed = store.open({ ...first, trace_id: "f".repeat(32) });
    const b = store.open(anomaly({ rule: "Terminal shell in container" }));
    expect(replayed).toMatchObject({ duplicate: true, case: { id: a.case.id } });
    expect(a.duplicate || b.duplicate).toBe(false);
    expect(a.case.id).not.toBe(b.case.id);
    expect(store.list(null, 10)).toHaveLength(2);
  });

  it("keeps cases across a reopen of the file", () => {
    const { case: opened } = store.open(anomaly({ traceId: "b".repeat(32) }));
    store.close();
    store = new CaseStore(join(dir, "cases.db"));
    expect(store.get(opened.id)).toEqual(opened);
    expect(store.open(anomaly({ traceId: "b".repeat(32) })).duplicate).toBe(true);
  });
});

describe("get and anomaly", () => {
  it("finds a case by id or by trace_id", () => {
    const { case: opened } = store.open(anomaly({ traceId: "c".repeat(32) }));
    expect(store.get(opened.id)?.id).toBe(opened.id);
    expect(store.get("c".repeat(32))?.id).toBe(opened.id);
    expect(store.get("C-22222")).toBeUndefined();
  });

  it("throws for the anomaly of an unknown case", () => {
    expect(() => store.anomaly("C-22222")).toThrow("no case C-22222");
  });
});

describe("update and list", () => {
  it("updates the given fields and the update time", () => {
    const { case: opened } = store.open(anomaly());
    later();
    const updated = store.update(opened.id, {
      status: "closed",
      technique: "T1555",
      severity: "medium",
      confidence: 0.85,
      outcome: "auto_reject",
      reasons: ["confidence below threshold", "no technique"],
      resolution: "rejected",
    });
    expect(updated).toMatchObject({
      status: "closed",
      technique: "T1555",
      severity: "medium",
      confidence: 0.85,
      outcome: "auto_reject",
      reasons: ["confidence below threshold", "no technique"],
      resolution: "rejected",
      created_at: "2026-11-24T09:00:00.000Z",
      updated_at: "2026-11-24T09:00:01.000Z",
    });
  });

  it("lists newest first, filtered by status and limited", () => {
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      ids.push(store.open(anomaly()).case.id);
      later();
    }
    const [first, second, third, fourth] = ids;
    store.update(second ?? "", { status: "awaiting_human" });
    store.update(fourth ?? "", { status: "awaiting_human" });
    store.update(third ?? "", { status: "closed" });
    expect(store.list(null, 10).map((c) => c.id)).toEqual([fourth, third, second, first]);
    expect(store.list(null, 2).map((c) => c.id)).toEqual([fourth, third]);
    expect(store.list("awaiting_human", 10).map((c) => c.id)).toEqual([fourth, second]);
    expect(store.list("closed", 10).map((c) => c.id)).toEqual([third]);
    expect(store.list("executing", 10)).toEqual([]);
  });

  it("breaks ties of the same creation time by insertion order", () => {
    const a = store.open(anomaly()).case.id;
    const b = store.open(anomaly()).case.id;
    expect(store.list(null, 10).map((c) => c.id)).toEqual([b, a]);
  });
});

describe("decide", () => {
  it("records a decision on a case awaiting one", () => {
    const id = awaiting();
    later();
    const made = decision("dismiss", "bob");
    expect(store.decide(id, made)).toBe(true);
    expect(store.get(id)).toMatchObject({ decision: made, updated_at: made.at, status: "awaiting_human" });
  });

  it("is compare-and-set: a second decision does not overwrite the first", () => {
    const id = awaiting();
    expect(store.decide(id, decision("approve", "alice"))).toBe(true);
    expect(store.decide(id, decision("dismiss", "mallory"))).toBe(false);
    expect(store.get(id)?.decision?.by).toBe("alice");
    expect(store.get(id)?.decision?.action).toBe("approve");
  });

  it("refuses a case that is not awaiting a human", () => {
    const { case: opened } = store.open(anomaly());
    for (const status of ["open", "reviewing", "executing", "closed"] as const) {
      store.update(opened.id, { status });
      expect(store.decide(opened.id, decision()), status).toBe(false);
    }
    expect(store.get(opened.id)?.decision).toBeNull();
  });

  it("refuses an unknown case", () => {
    expect(store.decide("C-22222", decision())).toBe(false);
  });
});

describe("steps", () => {
  it("appends steps with increasing seq and reads them back", () => {
    const { case: opened } = store.open(anomaly({ traceId: "d".repeat(32) }));
    const first = store.addStep(opened.id, "d".repeat(32), "detect", step("evidence"));
    const second = store.addStep(
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
    expect(store.steps(opened.id).map((s) => s.summary)).toEqual(["evidence", "analysis"]);
  });

  it("records a step with the same key once, keeping the first", () => {
    const { case: opened } = store.open(anomaly());
    const first = store.addStep(opened.id, opened.trace_id, "detect", step("first run"));
    const again = store.addStep(opened.id, opened.trace_id, "detect", step("re-run after restart"));
    expect(again).toEqual(first);
    expect(store.steps(opened.id)).toHaveLength(1);
    const next = store.addStep(opened.id, opened.trace_id, "analyst", step("next"));
    expect(next.seq).toBe(2);
  });

  it("numbers steps per case", () => {
    const a = store.open(anomaly()).case;
    const b = store.open(anomaly()).case;
    store.addStep(a.id, a.trace_id, "one", step("a1"));
    store.addStep(a.id, a.trace_id, "two", step("a2"));
    expect(store.addStep(b.id, b.trace_id, "one", step("b1")).seq).toBe(1);
    expect(store.steps(b.id).map((s) => s.summary)).toEqual(["b1"]);
  });

  it("finds a step by key and keeps null input, output and an error code", () => {
    const { case: opened } = store.open(anomaly());
    store.addStep(opened.id, opened.trace_id, "review#failed", {
      ...step("reviewer failed"),
      input: undefined,
      output: null,
      error: "agent_timeout",
    });
    expect(store.step(opened.id, "review#failed")).toMatchObject({
      input: null,
      output: null,
      error: "agent_timeout",
    });
    expect(store.step(opened.id, "missing")).toBeUndefined();
  });

  it("has no steps for a case without any", () => {
    expect(store.steps("C-22222")).toEqual([]);
  });
});

describe("unfinished, counts and oldestWaiting", () => {
  it("lists every case not closed, oldest first", () => {
    const a = store.open(anomaly()).case.id;
    later();
    const b = store.open(anomaly()).case.id;
    later();
    const c = store.open(anomaly()).case.id;
    later();
    const d = store.open(anomaly()).case.id;
    store.update(b, { status: "closed" });
    store.update(c, { status: "awaiting_human" });
    store.update(d, { status: "executing" });
    expect(store.unfinished().map((x) => x.id)).toEqual([a, c, d]);
  });

  it("counts cases by status", () => {
    expect(store.counts()).toEqual({});
    const a = store.open(anomaly()).case.id;
    store.open(anomaly());
    const c = store.open(anomaly()).case.id;
    store.update(a, { status: "closed" });
    store.update(c, { status: "awaiting_human" });
    expect(store.counts()).toEqual({ open: 1, closed: 1, awaiting_human: 1 });
  });

  it("gives the oldest case still awaiting a decision", () => {
    expect(store.oldestWaiting()).toBeNull();
    const first = awaiting();
    later();
    const second = awaiting();
    later();
    awaiting();
    expect(store.oldestWaiting()?.id).toBe(first);
    expect(store.decide(first, decision())).toBe(true);
    expect(store.oldestWaiting()?.id).toBe(second);
    store.update(second, { status: "closed" });
    expect(store.oldestWaiting()?.id).not.toBe(second);
  });
});

describe("today's decisions", () => {
  const decided = (action: Decision["action"], confidence: number, at: string) => {
    const { case: opened } = store.open(anomaly());
    store.update(opened.id, { status: "awaiting_human", confidence });
    expect(
      store.decide(opened.id, { action, by: "alice", reason: action === "dismiss" ? "benign" : null, at }),
    ).toBe(true);
  };

  it("counts today's approvals and dismissals, the dismiss and override rates, and the median wait", () => {
    decided("approve", 0.9, "2026-11-24T09:00:10.000Z"); // with the analyst's lean, waited 10 s
    decided("approve", 0.3, "2026-11-24T09:00:30.000Z"); // an override, 30 s
    decided("dismiss", 0.8, "2026-11-24T09:01:00.000Z"); // an override, 60 s
    decided("dismiss", 0.2, "2026-11-24T09:02:00.000Z"); // with the lean, 120 s
    decided("approve", 0.9, "2026-11-23T23:59:59.000Z"); // yesterday: not counted
    expect(store.todaysDecisions(new Date("2026-11-24T12:00:00.000Z"))).toEqual({
      approved: 2,
      dismissed: 2,
      dismiss_rate: 0.5,
      override_rate: 0.5,
      median_wait_s: 45,
    });
  });

  it("has no rates on a day without decisions", () => {
    expect(store.todaysDecisions(new Date("2026-11-24T12:00:00.000Z"))).toEqual({
      approved: 0,
      dismissed: 0,
      dismiss_rate: null,
      override_rate: null,
      median_wait_s: null,
    });
  });
});
