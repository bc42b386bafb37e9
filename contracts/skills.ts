import { z } from "zod";
import { Analysis, Evidence, ProposedAction, Questions, RelatedEvent, Severity } from "./analysis.js";
import { Anomaly, TraceId, WhyForwarded } from "./anomaly.js";
import { Case, CaseId, CaseStatus, DecisionAction } from "./case.js";
import { AppliedAction, UndoneAction } from "./cluster.js";
import { FalcoEvent } from "./falco.js";
import { Explanation, PolicyDecision, PolicyInput } from "./policy.js";
import { DraftTrigger, RecordedEvent, RuleProposal } from "./rules.js";
import { Step } from "./step.js";

/**
 * Every A2A skill in the fleet: which agent serves it, who may call it, and its input and output.
 * Servers implement these; clients call them; neither imports the other.
 */
export interface SkillContract<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  agent: AgentName;
  id: string;
  description: string;
  callers: readonly Identity[];
  input: I;
  output: O;
  /**
   * asks: the agent asks its language model for this skill; waits: a skill it calls may. Either
   * way its callers wait the model's budget too.
   */
  model?: "asks" | "waits";
  /** A request body larger than the 100 kB every skill takes (the agent then takes it for all its skills). */
  maxInputBytes?: number;
}

export const agentNames = [
  "prefilter",
  "coordinator",
  "detect",
  "analyst",
  "reviewer",
  "remediate",
  "notify",
  "rules",
] as const;
export type AgentName = (typeof agentNames)[number];
export const mcpServerNames = ["policy-engine", "cluster-actions"] as const;
export type McpServerName = (typeof mcpServerNames)[number];
/** Every certificate identity (CN) in the fleet; `operator` is the terminal client. */
export type Identity = AgentName | McpServerName | "operator";
/**
 * Who may send Falco events to the prefilter's ingest over mTLS: Falco's own `http_output` and
 * falcosidekick, each with a certificate of the fleet's CA in its name.
 */
export const ingestCallers = ["falco", "falcosidekick"] as const;

function skill<I extends z.ZodType, O extends z.ZodType>(c: SkillContract<I, O>): SkillContract<I, O> {
  return c;
}

const CaseRef = z.object({ case_id: CaseId });

/**
 * Human decisions since midnight UTC. An override is a decision against the analyst's lean:
 * approving at confidence below 0.5, or dismissing at 0.5 and above.
 */
export const DecisionFigures = z.object({
  approved: z.number().int(),
  dismissed: z.number().int(),
  dismiss_rate: z.number().nullable(),
  override_rate: z.number().nullable(),
  median_wait_s: z.number().nullable(),
});
export type DecisionFigures = z.infer<typeof DecisionFigures>;
const Ack = z.object({ ok: z.literal(true) });
/** A rule change drafted for a case, or why none was. */
const Drafted = z.object({ proposal: RuleProposal.nullable(), note: z.string() });

export const skills = {
  ingest: skill({
    agent: "prefilter",
    id: "ingest",
    description: "Validate one Falco event and forward it to the fleet when it is worth a case.",
    callers: ["operator"],
    input: z.object({ event: z.unknown() }),
    output: z.object({ trace_id: TraceId.nullable(), forwarded: z.boolean(), case_id: CaseId.nullable() }),
  }),
  recentEvents: skill({
    agent: "prefilter",
    id: "recent_events",
    description: "Recent events of the same pod and of the same image.",
    callers: ["detect"],
    input: z.object({
      namespace: z.string().nullable(),
      pod: z.string().nullable(),
      image: z.string().nullable(),
      exclude_trace_id: z.string(),
    }),
    output: z.object({ same_pod: z.array(RelatedEvent), same_image: z.array(RelatedEvent) }),
  }),
  openCase: skill({
    agent: "coordinator",
    id: "open_case",
    description: "Open a case for an anomaly and start its triage.",
    callers: ["prefilter"],
    input: Anomaly,
    output: z.object({ case_id: CaseId, trace_id: TraceId, duplicate: z.boolean() }),
  }),
  undo: skill({
    agent: "coordinator",
    id: "undo",
    description:
      "Undo what was carried out for a remediated case: each action's recorded previous state is restored.",
    callers: ["notify", "operator"],
    input: z.object({ case_id: CaseId, by: z.string().min(1) }),
    output: z.object({ case: Case, undone: z.array(UndoneAction) }),
  }),
  restore: skill({
    agent: "remediate",
    id: "restore",
    description: "Restore what the actions carried out for a case changed, through cluster-actions.",
    callers: ["coordinator"],
    input: z.object({ case_id: CaseId, by: z.string().min(1) }),
    output: z.object({ undone: z.array(UndoneAction) }),
  }),
  decide: skill({
    agent: "coordinator",
    id: "decide",
    description: "Apply a human decision (approve, dismiss, investigate) to a case awaiting one.",
    callers: ["notify", "operator"],
    // An investigation asks the analyst's model for the next questions.
    model: "waits",
    input: z.object({
      case_id: CaseId,
      action: DecisionAction,
      by: z.string().min(1),
      reason: z.string().nullable(),
    }),
    output: z.object({
      case: Case,
      evidence: Evidence.nullable(),
      /** For investigate, with a language model: what to ask next. */
      questions: Questions.nullable().default(null),
    }),
  }),
  listCases: skill({
    agent: "coordinator",
    id: "list_cases",
    description: "Cases, newest first, optionally of one status.",
    callers: ["notify", "operator"],
    input: z.object({ status: CaseStatus.nullable(), limit: z.number().int().positive().max(1000) }),
    output: z.object({ cases: z.array(Case) }),
  }),
  trace: skill({
    agent: "coordinator",
    id: "trace",
    description: "A case and its whole reasoning chain, by case id or trace_id.",
    callers: ["notify", "operator"],
    input: z.object({ id: z.string().min(1) }),
    output: z.object({ case: Case, steps: z.array(Step) }),
  }),
  status: skill({
    agent: "coordinator",
    id: "status",
    description:
      "Case counts by status, the oldest case awaiting a decision, today's human decisions and the fleet's health.",
    callers: ["notify", "operator"],
    input: z.object({}),
    output: z.object({
      counts: z.record(z.string(), z.number()),
      oldest_waiting: Case.nullable(),
      today: DecisionFigures,
      health: z.record(z.string(), z.enum(["ready", "down"])),
      /** The remediation mode in force: dry-run (validated, stored nowhere) or enforce. */
      remediation: z.enum(["dry-run", "enforce"]),
    }),
  }),
  proposeRule: skill({
    agent: "coordinator",
    id: "propose_rule",
    description:
      "Draft a Falco rule change from a case on demand (an exception from its dismissal, a rule from its approval), checked, replayed and gated; an approver asking confirms a proposal the policy escalated.",
    callers: ["notify", "operator"],
    model: "waits",
    input: z.object({ case_id: CaseId, by: z.string().min(1) }),
    output: Drafted,
  }),
  listProposals: skill({
    agent: "coordinator",
    id: "list_proposals",
    description: "Rule changes drafted from cases, newest first, with their state and pull request.",
    callers: ["notify", "operator"],
    input: z.object({ limit: z.number().int().positive().max(1000) }),
    output: z.object({ proposals: z.array(RuleProposal) }),
  }),
  draftRule: skill({
    agent: "rules",
    id: "draft_rule",
    description:
      "Draft a Falco rule change from analysts' decisions on one rule's cases, validate it with the Falco project's tooling, replay it on the recorded events, put it to the policy and open the pull request it allows.",
    callers: ["coordinator"],
    // With a language model, a new rule's description is in its words.
    model: "asks",
    // The rule's recorded events: up to 5 000 of them, each its workload's fields.
    maxInputBytes: 16_000_000,
    input: z.object({
      case_id: CaseId,
      trigger: DraftTrigger,
      event: FalcoEvent,
      /** What the analyst found, for a new rule's priority and tags; null when it did not answer. */
      finding: z.object({ severity: Severity, technique: z.string().nullable() }).nullable(),
      /** The rule's recorded events, with what analysts made of each (the fields of `shapeFields`). */
      history: z.array(RecordedEvent).max(5_000),
      /** The approver confirming a proposal the policy escalated. */
      confirmed_by: z.string().nullable(),
    }),
    output: Drafted,
  }),
  pullRequests: skill({
    agent: "rules",
    id: "pull_requests",
    description: "Where the rule changes' pull requests are: open, merged or closed.",
    callers: ["coordinator"],
    input: z.object({ numbers: z.array(z.number().int().positive()).max(1000) }),
    output: z.object({
      pull_requests: z.array(
        z.object({ number: z.number().int(), state: z.enum(["open", "merged", "closed"]) }),
      ),
    }),
  }),
  gatherEvidence: skill({
    agent: "detect",
    id: "gather_evidence",
    description: "Evidence for an event: recent related events of the same pod and image.",
    callers: ["coordinator"],
    input: z.object({
      event: FalcoEvent,
      trace_id: TraceId,
      forwarded: WhyForwarded.nullable().default(null),
    }),
    output: Evidence,
  }),
  classify: skill({
    agent: "analyst",
    id: "classify",
    description: "MITRE ATT&CK classification, severity, confidence and a proposed response.",
    callers: ["coordinator"],
    input: z.object({ event: FalcoEvent, evidence: Evidence }),
    output: Analysis,
    model: "asks",
  }),
  nextQuestions: skill({
    agent: "analyst",
    id: "next_questions",
    description:
      "With a language model: the questions to answer next about a case, and the evidence that would settle them.",
    callers: ["coordinator"],
    input: z.object({ event: FalcoEvent, evidence: Evidence, analysis: Analysis }),
    output: z.object({ questions: Questions.nullable() }),
    model: "asks",
  }),
  review: skill({
    agent: "reviewer",
    id: "review",
    description: "Build the policy input for a proposed action and ask the policy engine for a verdict.",
    callers: ["coordinator"],
    input: z.object({ case_id: CaseId, analysis: Analysis }),
    output: z.object({
      input: PolicyInput,
      decision: PolicyDecision,
      /** Present when the reviewer has a language model. */
      explanation: Explanation.nullable().default(null),
    }),
    model: "asks",
  }),
  execute: skill({
    agent: "remediate",
    id: "execute",
    description: "Carry out an allowed response action through the cluster-actions server.",
    callers: ["coordinator"],
    input: z.object({
      case_id: CaseId,
      action: ProposedAction,
      allowed_by: z.string(),
      /** The human who approved it; null when the policy allowed it alone. */
      approved_by: z.string().nullable().default(null),
      idempotency_key: z.string(),
    }),
    output: AppliedAction.extend({ result: z.string() }),
  }),
  escalate: skill({
    agent: "notify",
    id: "escalate",
    description: "Show an escalated case to the humans who decide it.",
    callers: ["coordinator"],
    input: z.object({ case: Case, analysis: Analysis, steps: z.array(Step) }),
    output: Ack,
  }),
  caseUpdate: skill({
    agent: "notify",
    id: "case_update",
    description: "Tell the humans how a case they saw has moved on.",
    callers: ["coordinator"],
    input: z.object({
      case: Case,
      note: z.string(),
      /** A rule change drafted from the case: shown with its pull request. */
      proposal: RuleProposal.nullable().default(null),
    }),
    output: Ack,
  }),
} as const;

export type Skills = typeof skills;
export type SkillName = keyof Skills;
export type SkillInput<S extends SkillContract> = z.input<S["input"]>;
export type SkillOutput<S extends SkillContract> = z.output<S["output"]>;
export { CaseRef };
