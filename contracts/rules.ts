import { z } from "zod";
import { CaseId } from "./case.js";
import { FalcoEvent } from "./falco.js";

/**
 * What describes a workload's shape, most telling first: what ran (its image), where, which
 * program, under which parent, and on what. Drafts from analysts' decisions are drawn
 * from these, and a rule's recorded events carry these alone to the rules agent.
 */
export const shapeFields = [
  "container.image.repository",
  "k8s.ns.name",
  "proc.name",
  "proc.pname",
  "proc.exepath",
  "fd.name",
  "proc.cmdline",
] as const;

/** An event's fields of `shapeFields`: all that a rule change reads of it. */
export function shapeOf(fields: FalcoEvent["output_fields"]): FalcoEvent["output_fields"] {
  const shape: FalcoEvent["output_fields"] = {};
  for (const field of shapeFields) {
    const value = fields[field];
    if (value !== undefined) shape[field] = value;
  }
  return shape;
}

/**
 * One recorded event of a Falco rule, as rule changes are replayed on it: the case it opened, when
 * Falco saw it, what its output said (`output_fields`, attacker-controlled like every Falco field),
 * and what analysts made of the case.
 */
export const RecordedEvent = z.object({
  case_id: CaseId,
  time: z.string(),
  fields: FalcoEvent.shape.output_fields,
  decision: z.enum(["dismissed", "approved", "open"]),
});
export type RecordedEvent = z.infer<typeof RecordedEvent>;

/** What a drafted rule change is: an exception appended to a rule, or a new (narrower, louder) rule. */
export const RuleChangeKind = z.enum(["exception", "rule"]);
export type RuleChangeKind = z.infer<typeof RuleChangeKind>;

/** What set a draft off: analysts dismissing, analysts approving, or someone asking (`/soc rule`). */
export const DraftTrigger = z.enum(["dismissed", "approved", "asked"]);
export type DraftTrigger = z.infer<typeof DraftTrigger>;

/**
 * A draft replayed on the rule's recorded events, as the policy gate (data.soc.rules) reads it:
 * for an exception, the cases it was drafted from (`dismissed`) and how many it spares, and any
 * approved or open case it would hide; for a new rule, the approved cases it was drafted from and
 * how many it matches.
 */
export const ReplayReport = z.object({
  events: z.number().int().min(0),
  dismissed: z.number().int().min(0),
  spared_dismissed: z.number().int().min(0),
  spared_approved: z.array(CaseId),
  spared_open: z.array(CaseId),
  approved: z.number().int().min(0),
  matched_approved: z.number().int().min(0),
  /** Every recorded case the draft holds for (an exception spares, a rule matches). */
  hits: z.array(CaseId),
  /** Those events per day over the days recorded. */
  per_day: z.number().min(0),
  /** Events whose record lacks a field the draft reads, and those fields. */
  unreplayable: z.number().int().min(0),
  missing_fields: z.array(z.string()),
});
export type ReplayReport = z.infer<typeof ReplayReport>;

/** The policy gate's answer (data.soc.rules.decision). */
export const RuleGate = z.object({
  outcome: z.enum(["pull_request", "escalate", "reject"]),
  reasons: z.array(z.string()),
  policy_version: z.string(),
});
export type RuleGate = z.infer<typeof RuleGate>;

/** What the policy gate is asked about a validated, replayed draft. */
export const RuleGateInput = z.object({
  kind: RuleChangeKind,
  rule: z.object({ name: z.string(), priority: z.string() }),
  validation: z.object({ ok: z.boolean(), messages: z.array(z.string()) }),
  replay: ReplayReport,
});
export type RuleGateInput = z.infer<typeof RuleGateInput>;

/**
 * Where a proposal is: `rejected` by the gate; `escalated`, waiting for an approver to confirm it
 * (`/soc rule <case>`); `kept` in the case (no rules repository configured); `open` as a pull
 * request, then `merged` or `closed` by a human; `failed` to reach the forge (asking again retries).
 */
export const ProposalState = z.enum(["rejected", "escalated", "kept", "open", "merged", "closed", "failed"]);
export type ProposalState = z.infer<typeof ProposalState>;

export const PullRequest = z.object({
  number: z.number().int().positive(),
  url: z.string(),
  branch: z.string(),
});
export type PullRequest = z.infer<typeof PullRequest>;

/** A drafted rule change, checked, replayed and gated, and where it went. */
export const RuleProposal = z.object({
  /** The draft's name (an exception's, or the new rule's digest): the same draft, the same id. */
  id: z.string().regex(/^soc_(dismissed|raised)_[0-9a-f]{8}$/),
  kind: RuleChangeKind,
  trigger: DraftTrigger,
  /** The Falco rule it changes (an exception) or narrows (a new rule), with its priority. */
  rule: z.object({ name: z.string(), priority: z.string() }),
  /** The exception's or the new rule's name. */
  name: z.string(),
  /** The rules-file items, as they are appended to the custom rules file. */
  yaml: z.string(),
  /** The case it was asked for, and every case it was drafted from. */
  case_id: CaseId,
  cases: z.array(CaseId),
  validation: z.object({ ok: z.boolean(), messages: z.array(z.string()) }),
  replay: ReplayReport,
  gate: RuleGate,
  state: ProposalState,
  /** The language model that worded a new rule's description; null: the template's words. */
  described_by: z.string().nullable().default(null),
  /** Who confirmed an escalated proposal. */
  confirmed_by: z.string().nullable(),
  pull_request: PullRequest.nullable(),
  /** Why it could not reach the forge (state failed). */
  error: z.string().nullable(),
  created_at: z.string(),
});
export type RuleProposal = z.infer<typeof RuleProposal>;
