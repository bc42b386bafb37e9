import Database from "better-sqlite3";
import type { Anomaly } from "../../contracts/anomaly.js";
import type { Case, CaseStatus, Decision } from "../../contracts/case.js";
import { eventIdOf, workloadOf } from "../../contracts/falco.js";
import type { Approver } from "../../contracts/policy.js";
import type { DecisionFigures } from "../../contracts/skills.js";
import { Tokens, type Step } from "../../contracts/step.js";
import { newCaseId } from "./case-id.js";

const schema = `
CREATE TABLE IF NOT EXISTS cases (
  id TEXT PRIMARY KEY,
  trace_id TEXT NOT NULL UNIQUE,
  event_id TEXT UNIQUE,
  status TEXT NOT NULL,
  rule TEXT NOT NULL,
  priority TEXT NOT NULL,
  namespace TEXT, pod TEXT, image TEXT,
  technique TEXT, severity TEXT, confidence REAL,
  outcome TEXT, reasons TEXT NOT NULL DEFAULT '[]',
  decision TEXT, resolution TEXT,
  anomaly TEXT NOT NULL,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS cases_status ON cases (status, created_at);
CREATE TABLE IF NOT EXISTS steps (
  case_id TEXT NOT NULL REFERENCES cases(id),
  seq INTEGER NOT NULL,
  key TEXT NOT NULL,
  trace_id TEXT NOT NULL,
  agent TEXT NOT NULL, skill TEXT NOT NULL, summary TEXT NOT NULL,
  input TEXT, output TEXT,
  mcp_calls TEXT NOT NULL, tokens TEXT NOT NULL,
  duration_ms REAL NOT NULL, error TEXT, at TEXT NOT NULL,
  PRIMARY KEY (case_id, seq),
  UNIQUE (case_id, key)
);
CREATE TABLE IF NOT EXISTS approvals (
  case_id TEXT NOT NULL REFERENCES cases(id),
  approver TEXT NOT NULL,
  roles TEXT NOT NULL,
  at TEXT NOT NULL,
  PRIMARY KEY (case_id, approver)
);`;

interface CaseRow {
  id: string;
  trace_id: string;
  status: CaseStatus;
  rule: string;
  priority: string;
  namespace: string | null;
  pod: string | null;
  image: string | null;
  technique: string | null;
  severity: string | null;
  confidence: number | null;
  outcome: string | null;
  reasons: string;
  decision: string | null;
  resolution: Case["resolution"];
  anomaly: string;
  created_at: string;
  updated_at: string;
}

interface StepRow {
  case_id: string;
  seq: number;
  key: string;
  trace_id: string;
  agent: string;
  skill: string;
  summary: string;
  input: string | null;
  output: string | null;
  mcp_calls: string;
  tokens: string;
  duration_ms: number;
  error: string | null;
  at: string;
}

export type NewStep = Omit<Step, "case_id" | "seq" | "trace_id" | "at">;

/** The case store: every case and every step of its reasoning chain, in one SQLite file. */
export class CaseStore {
  readonly #db: Database.Database;
  readonly #statements = new Map<string, Database.Statement>();

  constructor(path: string) {
    this.#db = new Database(path);
    this.#db.pragma("journal_mode = WAL");
    this.#db.pragma("synchronous = NORMAL");
    this.#db.exec(schema);
  }

  /** Prepared once per SQL text: preparing on every call was a hot spot. */
  #sql<P extends unknown[], R = unknown>(sql: string): Database.Statement<P, R> {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement as unknown as Database.Statement<P, R>;
  }

  close(): void {
    this.#db.close();
  }

  /**
   * Opens a case for an anomaly; an event seen before (its uuid, or without one the digest of what
   * Falco said) returns its existing case, however long ago and whatever the pre-filter remembers:
   * a replayed event never opens a second case nor runs a second action.
   */
  open(anomaly: Anomaly): { case: Case; duplicate: boolean } {
    const existing = this.#sql<[string, string | null], CaseRow>(
      "SELECT * FROM cases WHERE trace_id = ? OR event_id = ?",
    ).get(anomaly.trace_id, eventIdOf(anomaly.event));
    if (existing) return { case: toCase(existing), duplicate: true };
    const now = new Date().toISOString();
    const workload = workloadOf(anomaly.event);
    for (;;) {
      const id = newCaseId();
      const inserted = this.#sql(
        `INSERT OR IGNORE INTO cases (id, trace_id, event_id, status, rule, priority, namespace, pod, image, anomaly, created_at, updated_at)
           VALUES (?, ?, ?, 'open', ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        id,
        anomaly.trace_id,
        eventIdOf(anomaly.event),
        anomaly.event.rule,
        anomaly.event.priority,
        workload.namespace,
        workload.pod,
        workload.image,
        JSON.stringify(anomaly),
        now,
        now,
      );
      if (inserted.changes === 1) return { case: this.get(id) as Case, duplicate: false };
    }
  }

  get(id: string): Case | undefined {
    const row = this.#sql<[string, string], CaseRow>("SELECT * FROM cases WHERE id = ? OR trace_id = ?").get(
      id,
      id,
    );
    return row ? toCase(row) : undefined;
  }

  anomaly(id: string): Anomaly {
    const row = this.#sql<[string], { anomaly: string }>("SELECT anomaly FROM cases WHERE id = ?").get(id);
    if (!row) throw new Error(`no case ${id}`);
    return JSON.parse(row.anomaly) as Anomaly;
  }

  list(status: CaseStatus | null, limit: number): Case[] {
    const rows = status
      ? this.#sql<[string, number], CaseRow>(
          "SELECT * FROM cases WHERE status = ? ORDER BY created_at DESC, rowid DESC LIMIT ?",
        ).all(status, limit)
      : this.#sql<[number], CaseRow>("SELECT * FROM cases ORDER BY created_at DESC, rowid DESC LIMIT ?").all(
          limit,
        );
    return rows.map(toCase);
  }

  /** Cases whose graph has not finished: to resume after a restart. */
  unfinished(): Case[] {
    return this.#sql<[], CaseRow>("SELECT * FROM cases WHERE status != 'closed' ORDER BY created_at")
      .all()
      .map(toCase);
  }

  counts(): Record<string, number> {
    const rows = this.#sql<[], { status: string; n: number }>(
      "SELECT status, COUNT(*) AS n FROM cases GROUP BY status",
    ).all();
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  }

  oldestWaiting(): Case | null {
    const row = this.#sql<[], CaseRow>(
      "SELECT * FROM cases WHERE status = 'awaiting_human' AND decision IS NULL ORDER BY created_at LIMIT 1",
    ).get();
    return row ? toCase(row) : null;
  }

  /** Today's (UTC) human decisions: counts, rates and the median wait from case to decision. */
  todaysDecisions(now = new Date()): DecisionFigures {
    const midnight = `${now.toISOString().slice(0, 10)}T00:00:00.000Z`;
    const rows = this.#sql<[string], { decision: string; confidence: number | null; created_at: string }>(
      "SELECT decision, confidence, created_at FROM cases WHERE decision IS NOT NULL AND json_extract(decision, '$.at') >= ?",
    ).all(midnight);
    const final = rows
      .map((r) => ({ ...r, decision: JSON.parse(r.decision) as Decision }))
      .filter((r) => r.decision.action !== "investigate");
    const approved = final.filter((r) => r.decision.action === "approve").length;
    const dismissed = final.length - approved;
    const overrides = final.filter((r) =>
      r.decision.action === "approve" ? (r.confidence ?? 0) < 0.5 : (r.confidence ?? 0) >= 0.5,
    ).length;
    const waits = final
      .map((r) => (Date.parse(r.decision.at) - Date.parse(r.created_at)) / 1000)
      .sort((a, b) => a - b);
    const middle = waits.length / 2;
    const median =
      waits.length === 0
        ? null
        : waits.length % 2
          ? (waits[Math.floor(middle)] ?? 0)
          : ((waits[middle - 1] ?? 0) + (waits[middle] ?? 0)) / 2;
    const rate = (n: number) => (final.length ? n / final.length : null);
    return {
      approved,
      dismissed,
      dismiss_rate: rate(dismissed),
      override_rate: rate(overrides),
      median_wait_s: median,
    };
  }

  update(
    id: string,
    fields: Partial<
      Pick<Case, "status" | "technique" | "severity" | "confidence" | "outcome" | "reasons" | "resolution">
    >,
  ): Case {
    const columns = Object.entries(fields).map(
      ([k, v]) => [k, k === "reasons" ? JSON.stringify(v) : v] as const,
    );
    const sets = [...columns.map(([k]) => `${k} = ?`), "updated_at = ?"].join(", ");
    this.#sql(`UPDATE cases SET ${sets} WHERE id = ?`).run(
      ...columns.map(([, v]) => v),
      new Date().toISOString(),
      id,
    );
    return this.get(id) as Case;
  }

  /** Records a human decision at most once: only on a case awaiting one, compare-and-set. */
  decide(id: string, decision: Decision): boolean {
    const result = this.#sql(
      "UPDATE cases SET decision = ?, updated_at = ? WHERE id = ? AND status = 'awaiting_human' AND decision IS NULL",
    ).run(JSON.stringify(decision), decision.at, id);
    return result.changes === 1;
  }

  /** Keeps one approver's approval of a case whose action needs more than one. */
  addApproval(caseId: string, approver: Approver): void {
    this.#sql("INSERT OR REPLACE INTO approvals (case_id, approver, roles, at) VALUES (?, ?, ?, ?)").run(
      caseId,
      approver.id,
      JSON.stringify(approver.roles),
      new Date().toISOString(),
    );
  }

  /** The approvals kept for a case, first first. */
  approvals(caseId: string): Approver[] {
    return this.#sql<[string], { approver: string; roles: string }>(
      "SELECT approver, roles FROM approvals WHERE case_id = ? ORDER BY at, approver",
    )
      .all(caseId)
      .map((r) => ({ id: r.approver, roles: JSON.parse(r.roles) as string[] }));
  }

  /** A step already recorded under this key, so a re-run node does not repeat its work. */
  step(caseId: string, key: string): Step | undefined {
    const row = this.#sql<[string, string], StepRow>("SELECT * FROM steps WHERE case_id = ? AND key = ?").get(
      caseId,
      key,
    );
    return row ? toStep(row) : undefined;
  }

  /** Appends a step; a step with the same key is recorded once. */
  addStep(caseId: string, traceId: string, key: string, step: NewStep): Step {
    this.#sql(
      `INSERT OR IGNORE INTO steps (case_id, seq, key, trace_id, agent, skill, summary, input, output, mcp_calls, tokens, duration_ms, error, at)
         VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM steps WHERE case_id = ?), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      caseId,
      caseId,
      key,
      traceId,
      step.agent,
      step.skill,
      step.summary,
      JSON.stringify(step.input ?? null),
      JSON.stringify(step.output ?? null),
      JSON.stringify(step.mcp_calls),
      JSON.stringify(step.tokens),
      step.duration_ms,
      step.error,
      new Date().toISOString(),
    );
    return this.step(caseId, key) as Step;
  }

  steps(caseId: string): Step[] {
    return this.#sql<[string], StepRow>("SELECT * FROM steps WHERE case_id = ? ORDER BY seq")
      .all(caseId)
      .map(toStep);
  }
}

function toCase(row: CaseRow): Case {
  return {
    id: row.id,
    trace_id: row.trace_id,
    status: row.status,
    rule: row.rule,
    priority: row.priority,
    namespace: row.namespace,
    pod: row.pod,
    image: row.image,
    technique: row.technique,
    severity: row.severity,
    confidence: row.confidence,
    outcome: row.outcome,
    reasons: JSON.parse(row.reasons) as string[],
    decision: row.decision ? (JSON.parse(row.decision) as Decision) : null,
    resolution: row.resolution,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

function toStep(row: StepRow): Step {
  return {
    case_id: row.case_id,
    seq: row.seq,
    trace_id: row.trace_id,
    agent: row.agent,
    skill: row.skill,
    summary: row.summary,
    input: row.input ? (JSON.parse(row.input) as unknown) : null,
    output: row.output ? (JSON.parse(row.output) as unknown) : null,
    mcp_calls: JSON.parse(row.mcp_calls) as Step["mcp_calls"],
    // Steps recorded before costs were counted read as costing 0.
    tokens: Tokens.parse(JSON.parse(row.tokens)),
    duration_ms: row.duration_ms,
    error: row.error,
    at: row.at,
  };
}
