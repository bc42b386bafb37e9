import type { Anomaly } from "../../contracts/anomaly.js";
import type { Case, CaseStatus, Decision } from "../../contracts/case.js";
import { eventIdOf, workloadOf } from "../../contracts/falco.js";
import type { Approver } from "../../contracts/policy.js";
import type { RecordedEvent } from "../../contracts/rules.js";
import type { DecisionFigures } from "../../contracts/skills.js";
import { Tokens, type Step } from "../../contracts/step.js";
import { uniqueViolation, type Param, type Sql } from "../../runtime/sql/engine.js";
import { migrate } from "../../runtime/sql/migrate.js";
import { newCaseId } from "./case-id.js";

/** The lease (runtime/sql/lease.ts) a replica holds while it works on case `id`. */
export const caseLease = (id: string) => `case/${id}`;

/**
 * The case store's tables, one migration per release that changed them (runtime/sql/migrate.ts).
 * The first creates what earlier releases made without a version, if missing. PostgreSQL has no
 * implicit rowid: its cases table declares one, so that both engines order ties as inserted.
 */
const migrations = [
  {
    sqlite: casesTable(""),
    postgres: casesTable("rowid BIGSERIAL,"),
  },
  // A rule's recorded events, for replaying rule changes on them.
  "CREATE INDEX IF NOT EXISTS cases_rule ON cases (rule, created_at)",
];

function casesTable(rowid: string): string {
  return `
CREATE TABLE IF NOT EXISTS cases (
  ${rowid}
  id TEXT PRIMARY KEY,
  trace_id TEXT NOT NULL UNIQUE,
  event_id TEXT UNIQUE,
  status TEXT NOT NULL,
  rule TEXT NOT NULL,
  priority TEXT NOT NULL,
  namespace TEXT, pod TEXT, image TEXT,
  technique TEXT, severity TEXT, confidence DOUBLE PRECISION,
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
  duration_ms DOUBLE PRECISION NOT NULL, error TEXT, at TEXT NOT NULL,
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
}

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

/**
 * The case store: every case, every step of its reasoning chain and the approvals kept for it, on
 * SQLite (one file, the default) or PostgreSQL (shared by replicas). Every write is one statement
 * that a concurrent writer on another connection cannot make half-true.
 */
export class CaseStore {
  private constructor(private readonly sql: Sql) {}

  /** The store on `sql`, its tables migrated to this release's. */
  static async open(sql: Sql): Promise<CaseStore> {
    await migrate(sql, "cases", migrations);
    return new CaseStore(sql);
  }

  close(): Promise<void> {
    return this.sql.close();
  }

  /**
   * Opens a case for an anomaly; an event seen before (its uuid, or without one the digest of what
   * Falco said) returns its existing case, however long ago and whatever the pre-filter remembers:
   * a replayed event never opens a second case nor runs a second action.
   */
  async open(anomaly: Anomaly): Promise<{ case: Case; duplicate: boolean }> {
    const eventId = eventIdOf(anomaly.event);
    const now = new Date().toISOString();
    const workload = workloadOf(anomaly.event);
    for (;;) {
      const existing = await this.sql.get<CaseRow>("SELECT * FROM cases WHERE trace_id = ? OR event_id = ?", [
        anomaly.trace_id,
        eventId,
      ]);
      if (existing) return { case: toCase(existing), duplicate: true };
      const id = newCaseId();
      const inserted = await this.sql.run(
        `INSERT INTO cases (id, trace_id, event_id, status, rule, priority, namespace, pod, image, anomaly, created_at, updated_at)
           VALUES (?, ?, ?, 'open', ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
        [
          id,
          anomaly.trace_id,
          eventId,
          anomaly.event.rule,
          anomaly.event.priority,
          workload.namespace,
          workload.pod,
          workload.image,
          JSON.stringify(anomaly),
          now,
          now,
        ],
      );
      // Not inserted: the id was taken (another try), or another writer opened this event (found above).
      if (inserted === 1) return { case: (await this.get(id)) as Case, duplicate: false };
    }
  }

  async get(id: string): Promise<Case | undefined> {
    const row = await this.sql.get<CaseRow>("SELECT * FROM cases WHERE id = ? OR trace_id = ?", [id, id]);
    return row ? toCase(row) : undefined;
  }

  async anomaly(id: string): Promise<Anomaly> {
    const row = await this.sql.get<{ anomaly: string }>("SELECT anomaly FROM cases WHERE id = ?", [id]);
    if (!row) throw new Error(`no case ${id}`);
    return JSON.parse(row.anomaly) as Anomaly;
  }

  async list(status: CaseStatus | null, limit: number): Promise<Case[]> {
    const rows = status
      ? await this.sql.all<CaseRow>(
          "SELECT * FROM cases WHERE status = ? ORDER BY created_at DESC, rowid DESC LIMIT ?",
          [status, limit],
        )
      : await this.sql.all<CaseRow>("SELECT * FROM cases ORDER BY created_at DESC, rowid DESC LIMIT ?", [
          limit,
        ]);
    return rows.map(toCase);
  }

  /**
   * Cases with work to do that no replica is doing, oldest first, at most `limit`: opened but not
   * started, decided but not moved on, or held by a lease that expired (its holder died or gave it
   * up unfinished). A case waiting for a human holds no lease and is not listed until decided.
   * The statuses named, not "not closed": the index on status then spares the closed cases, most of
   * the table, from being read every few seconds by every replica.
   */
  async unattended(limit: number, now = Date.now()): Promise<string[]> {
    const rows = await this.sql.all<{ id: string }>(
      `SELECT c.id FROM cases c LEFT JOIN leases l ON l.name = 'case/' || c.id
         WHERE c.status IN ('open', 'reviewing', 'executing', 'awaiting_human')
           AND (l.expires_at < ? OR (l.name IS NULL AND (c.status = 'open' OR c.decision IS NOT NULL)))
         ORDER BY c.created_at LIMIT ?`,
      [now, limit],
    );
    return rows.map((r) => r.id);
  }

  /**
   * The events `rule` fired on, oldest first, the most recent `limit` of them, with what became of each case: a
   * human's dismissal is `dismissed`; an approval, or an action the policy carried out, `approved`;
   * anything else (waiting, rejected by the policy, failed) `open`. Rule changes are replayed on them.
   */
  async recordedEvents(rule: string, limit: number): Promise<RecordedEvent[]> {
    const rows = await this.sql.all<{
      id: string;
      anomaly: string;
      decision: string | null;
      resolution: string | null;
    }>(
      "SELECT id, anomaly, decision, resolution FROM cases WHERE rule = ? ORDER BY created_at DESC LIMIT ?",
      [rule, limit],
    );
    return rows.reverse().map((row) => {
      const { event } = JSON.parse(row.anomaly) as Anomaly;
      const action = row.decision ? (JSON.parse(row.decision) as Decision).action : null;
      const decision =
        action === "dismiss"
          ? "dismissed"
          : action === "approve" || row.resolution === "remediated"
            ? "approved"
            : "open";
      return { case_id: row.id, time: event.time, fields: event.output_fields, decision };
    });
  }

  async counts(): Promise<Record<string, number>> {
    const rows = await this.sql.all<{ status: string; n: number }>(
      "SELECT status, CAST(COUNT(*) AS INTEGER) AS n FROM cases GROUP BY status",
    );
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  }

  async oldestWaiting(): Promise<Case | null> {
    const row = await this.sql.get<CaseRow>(
      "SELECT * FROM cases WHERE status = 'awaiting_human' AND decision IS NULL ORDER BY created_at LIMIT 1",
    );
    return row ? toCase(row) : null;
  }

  /** The oldest case not yet at a verdict (open or reviewing): how far behind triage is. */
  async oldestUntriaged(): Promise<Case | null> {
    const row = await this.sql.get<CaseRow>(
      "SELECT * FROM cases WHERE status IN ('open', 'reviewing') ORDER BY created_at LIMIT 1",
    );
    return row ? toCase(row) : null;
  }

  /** Today's (UTC) human decisions: counts, rates and the median wait from case to decision. */
  async todaysDecisions(now = new Date()): Promise<DecisionFigures> {
    const midnight = `${now.toISOString().slice(0, 10)}T00:00:00.000Z`;
    // A case changed since midnight may have been decided today (a decision changes the case).
    const rows = await this.sql.all<{ decision: string; confidence: number | null; created_at: string }>(
      "SELECT decision, confidence, created_at FROM cases WHERE decision IS NOT NULL AND updated_at >= ?",
      [midnight],
    );
    const final = rows
      .map((r) => ({ ...r, decision: JSON.parse(r.decision) as Decision }))
      .filter((r) => r.decision.at >= midnight && r.decision.action !== "investigate");
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

  async update(
    id: string,
    fields: Partial<
      Pick<Case, "status" | "technique" | "severity" | "confidence" | "outcome" | "reasons" | "resolution">
    >,
  ): Promise<Case> {
    const columns = Object.entries(fields).map(
      ([k, v]) => [k, k === "reasons" ? JSON.stringify(v) : (v as Param)] as const,
    );
    const sets = [...columns.map(([k]) => `${k} = ?`), "updated_at = ?"].join(", ");
    const row = await this.sql.get<CaseRow>(`UPDATE cases SET ${sets} WHERE id = ? RETURNING *`, [
      ...columns.map(([, v]) => v),
      new Date().toISOString(),
      id,
    ]);
    if (!row) throw new Error(`no case ${id}`);
    return toCase(row);
  }

  /** Records a human decision at most once: only on a case awaiting one, compare-and-set. */
  async decide(id: string, decision: Decision): Promise<boolean> {
    const changed = await this.sql.run(
      "UPDATE cases SET decision = ?, updated_at = ? WHERE id = ? AND status = 'awaiting_human' AND decision IS NULL",
      [JSON.stringify(decision), decision.at, id],
    );
    return changed === 1;
  }

  /** Keeps one approver's approval of a case whose action needs more than one. */
  async addApproval(caseId: string, approver: Approver): Promise<void> {
    await this.sql.run(
      `INSERT INTO approvals (case_id, approver, roles, at) VALUES (?, ?, ?, ?)
         ON CONFLICT (case_id, approver) DO UPDATE SET roles = excluded.roles, at = excluded.at`,
      [caseId, approver.id, JSON.stringify(approver.roles), new Date().toISOString()],
    );
  }

  /** The approvals kept for a case, first first. */
  async approvals(caseId: string): Promise<Approver[]> {
    const rows = await this.sql.all<{ approver: string; roles: string }>(
      "SELECT approver, roles FROM approvals WHERE case_id = ? ORDER BY at, approver",
      [caseId],
    );
    return rows.map((r) => ({ id: r.approver, roles: JSON.parse(r.roles) as string[] }));
  }

  /** A step already recorded under this key, so a re-run node does not repeat its work. */
  async step(caseId: string, key: string): Promise<Step | undefined> {
    const row = await this.sql.get<StepRow>("SELECT * FROM steps WHERE case_id = ? AND key = ?", [
      caseId,
      key,
    ]);
    return row ? toStep(row) : undefined;
  }

  /**
   * Appends a step as the case's next; a step with the same key is recorded once: the step kept,
   * and whether it is this one (`added`). Two writers appending to one case at once take the same
   * number: the one that loses tries the next.
   */
  async addStep(
    caseId: string,
    traceId: string,
    key: string,
    step: NewStep,
  ): Promise<{ step: Step; added: boolean }> {
    for (let attempt = 1; ; attempt++) {
      try {
        const added = await this.sql.get<StepRow>(
          `INSERT INTO steps (case_id, seq, key, trace_id, agent, skill, summary, input, output, mcp_calls, tokens, duration_ms, error, at)
             VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM steps WHERE case_id = ?), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (case_id, key) DO NOTHING RETURNING *`,
          [
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
          ],
        );
        if (added) return { step: toStep(added), added: true };
        return { step: (await this.step(caseId, key)) as Step, added: false };
      } catch (error) {
        if (!uniqueViolation(error) || attempt >= 10) throw error;
      }
    }
  }

  async steps(caseId: string): Promise<Step[]> {
    return (await this.sql.all<StepRow>("SELECT * FROM steps WHERE case_id = ? ORDER BY seq", [caseId])).map(
      toStep,
    );
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
