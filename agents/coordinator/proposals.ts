import { RuleProposal, type ProposalState } from "../../contracts/rules.js";
import type { Sql } from "../../runtime/sql/engine.js";
import { migrate } from "../../runtime/sql/migrate.js";

const migrations = [
  `CREATE TABLE IF NOT EXISTS rule_proposals (
  id TEXT PRIMARY KEY,
  case_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  state TEXT NOT NULL,
  pr_number INTEGER,
  proposal TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS rule_proposals_case ON rule_proposals (case_id);
CREATE INDEX IF NOT EXISTS rule_proposals_state ON rule_proposals (state);`,
];

/** Where a proposal can no longer move once a human has merged or closed its pull request. */
const settled: readonly ProposalState[] = ["merged", "closed"];

/**
 * The rule changes drafted from cases, beside the cases (same database, their own migrations): one
 * per draft, the same draft drafted again is the same proposal, kept up to date with its pull request.
 */
export class Proposals {
  private constructor(private readonly sql: Sql) {}

  static async open(sql: Sql): Promise<Proposals> {
    await migrate(sql, "rule_proposals", migrations);
    return new Proposals(sql);
  }

  /**
   * Records a proposal, or what became of a draft drafted before. A pull request a human merged or
   * closed stays so: drafting the same change again does not reopen it. Nor does it take back a
   * human's confirmation: a change confirmed and carried out (kept or opened) that the policy
   * escalates again, drafted the same, stays as it is.
   */
  async save(proposal: RuleProposal): Promise<RuleProposal> {
    const now = new Date().toISOString();
    await this.sql.run(
      `INSERT INTO rule_proposals (id, case_id, kind, state, pr_number, proposal, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET case_id = excluded.case_id, state = excluded.state,
         pr_number = excluded.pr_number, proposal = excluded.proposal, updated_at = excluded.updated_at
       WHERE rule_proposals.state NOT IN (${settled.map(() => "?").join(", ")})
         AND NOT (excluded.state = 'escalated' AND rule_proposals.state IN ('kept', 'open'))`,
      [
        proposal.id,
        proposal.case_id,
        proposal.kind,
        proposal.state,
        proposal.pull_request?.number ?? null,
        JSON.stringify(proposal),
        proposal.created_at,
        now,
        ...settled,
      ],
    );
    return (await this.get(proposal.id)) ?? proposal;
  }

  async get(id: string): Promise<RuleProposal | null> {
    const row = await this.sql.get<{ proposal: string; state: ProposalState }>(
      "SELECT proposal, state FROM rule_proposals WHERE id = ?",
      [id],
    );
    return row ? toProposal(row) : null;
  }

  /** Newest first. */
  async list(limit: number): Promise<RuleProposal[]> {
    const rows = await this.sql.all<{ proposal: string; state: ProposalState }>(
      "SELECT proposal, state FROM rule_proposals ORDER BY created_at DESC, id LIMIT ?",
      [limit],
    );
    return rows.map(toProposal);
  }

  /** The proposals drafted for a case (asked for or set off by its decision). */
  async forCase(caseId: string): Promise<RuleProposal[]> {
    const rows = await this.sql.all<{ proposal: string; state: ProposalState }>(
      "SELECT proposal, state FROM rule_proposals WHERE case_id = ? ORDER BY created_at",
      [caseId],
    );
    return rows.map(toProposal);
  }

  /** The pull requests still open, by number. */
  async open(): Promise<number[]> {
    const rows = await this.sql.all<{ pr_number: number }>(
      "SELECT pr_number FROM rule_proposals WHERE state = 'open' AND pr_number IS NOT NULL",
    );
    return rows.map((r) => r.pr_number);
  }

  /** A human merged or closed a proposal's pull request. */
  async settle(prNumber: number, state: "merged" | "closed"): Promise<void> {
    await this.sql.run(
      "UPDATE rule_proposals SET state = ?, updated_at = ? WHERE pr_number = ? AND state = 'open'",
      [state, new Date().toISOString(), prNumber],
    );
  }

  /** How many proposals are in each state, by kind; and what the merged exceptions spare a day. */
  async figures(): Promise<{ states: { kind: string; state: string; n: number }[]; sparedPerDay: number }> {
    const states = await this.sql.all<{ kind: string; state: string; n: number }>(
      "SELECT kind, state, CAST(COUNT(*) AS INTEGER) AS n FROM rule_proposals GROUP BY kind, state",
    );
    const merged = await this.sql.all<{ proposal: string; state: ProposalState }>(
      "SELECT proposal, state FROM rule_proposals WHERE state = 'merged' AND kind = 'exception'",
    );
    const sparedPerDay = merged.map(toProposal).reduce((sum, p) => sum + p.replay.per_day, 0);
    return { states, sparedPerDay };
  }
}

/** The stored proposal, with the state the table keeps (a pull request settled since it was drafted). */
function toProposal(row: { proposal: string; state: ProposalState }): RuleProposal {
  return { ...RuleProposal.parse(JSON.parse(row.proposal)), state: row.state };
}
