import { z } from "zod";
import type { Evidence, Questions } from "../contracts/analysis.js";
import { CaseId, type Case, type CaseStatus, type DecisionAction } from "../contracts/case.js";
import type { UndoneAction } from "../contracts/cluster.js";
import type { RuleProposal } from "../contracts/rules.js";
import type { DecisionFigures } from "../contracts/skills.js";
import type { Step } from "../contracts/step.js";

export interface FleetStatus {
  counts: Record<string, number>;
  oldest_waiting: Case | null;
  today: DecisionFigures;
  health: Record<string, "ready" | "down">;
  remediation: "dry-run" | "enforce";
}

/** What commands may ask of the fleet; the front end supplies it (over A2A to the coordinator). */
export interface CaseDesk {
  decide(
    caseId: string,
    action: DecisionAction,
    by: string,
    reason: string | null,
  ): Promise<{ case: Case; evidence: Evidence | null; questions: Questions | null }>;
  /** Restores what the actions carried out for a remediated case changed. */
  undo(caseId: string, by: string): Promise<{ case: Case; undone: UndoneAction[] }>;
  cases(status: CaseStatus | null, limit: number): Promise<Case[]>;
  trace(id: string): Promise<{ case: Case; steps: Step[] }>;
  status(): Promise<FleetStatus>;
  /** Drafts a rule change from a case (and confirms one the policy escalated), as `by`. */
  rule(caseId: string, by: string): Promise<{ proposal: RuleProposal | null; note: string }>;
  rules(limit: number): Promise<RuleProposal[]>;
}

/** Who runs a command. */
export interface Actor {
  name: string;
}

/** A reply every front end can render: a kind for the renderer and the data for `--json`. */
export type Reply =
  | { kind: "case"; title: string; case: Case; evidence: Evidence | null; questions?: Questions | null }
  | { kind: "cases"; title: string; cases: Case[] }
  | { kind: "trace"; case: Case; steps: Step[] }
  | ({ kind: "status" } & FleetStatus)
  | { kind: "proposal"; title: string; proposal: RuleProposal | null; note: string }
  | { kind: "proposals"; title: string; proposals: RuleProposal[] }
  | { kind: "help"; commands: { name: string; usage: string; summary: string }[] };

/**
 * One subcommand: its name, usage, the schema of its arguments (positional words and `--flags`),
 * and what it does. It knows nothing of the transport.
 */
export interface Command<A extends z.ZodType = z.ZodType> {
  name: string;
  usage: string;
  summary: string;
  args: A;
  /**
   * Who may run it, as front ends enforce it: `decide` changes a case (approvers only, through the
   * decision gate), `read` shows cases and their evidence (Mattermost: in the configured channel,
   * or to approvers; SOC_BOT_READERS), `anyone` shows nothing of a case.
   */
  access: "decide" | "read" | "anyone";
  /** The `--flags` it takes (besides `--json`); anything else that starts with `--` is a word. */
  flags: readonly string[];
  /** How many words it takes after its name; more is a usage error. */
  arity: number;
  /** Maps the words after the command name to the raw arguments `args` validates. */
  read(words: string[], flags: Record<string, string | true>): unknown;
  run(args: z.output<A>, context: { desk: CaseDesk; actor: Actor }): Promise<Reply>;
}

/** The arguments of a command that takes one case id and nothing else. */
export const oneCase = {
  flags: [],
  arity: 1,
  args: z.object({ case: CaseId }),
  read: ([id]: string[]) => ({ case: id?.toUpperCase() }),
} as const;

export function command<A extends z.ZodType>(definition: Command<A>): Command {
  return definition;
}
