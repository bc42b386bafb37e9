import { z } from "zod";
import { ActionType, BlastRadius, Severity } from "./analysis.js";
import { Priority } from "./falco.js";

export const outcomes = ["auto_execute", "auto_reject", "escalate"] as const;
export const Outcome = z.enum(outcomes);
export type Outcome = z.infer<typeof Outcome>;

/** What the reviewer asks the policy engine: structured fields only, never free text from Falco. */
export const PolicyInput = z.object({
  action: z.object({
    type: ActionType,
    target: z.object({
      kind: z.string(),
      namespace: z.string().nullable(),
      name: z.string().nullable(),
      labels: z.record(z.string(), z.string()),
      image: z.string().nullable(),
    }),
  }),
  blast_radius: BlastRadius,
  confidence: z.number().min(0).max(1),
  technique: z.string().nullable(),
  severity: Severity,
  asset_tags: z.array(z.string()),
});
export type PolicyInput = z.infer<typeof PolicyInput>;

/** `data.soc.verdict.decision`. */
export const PolicyDecision = z.object({
  outcome: Outcome,
  reasons: z.array(z.string()),
  policy_version: z.string(),
});
export type PolicyDecision = z.infer<typeof PolicyDecision>;

/** The reviewer's model's plain-language account of a verdict it cannot change. */
export const Explanation = z.object({
  model: z.string(),
  text: z.string().nullable(),
  /** Why there is none: the model failed, timed out, or never matched the schema. */
  fallback: z.string().nullable(),
});
export type Explanation = z.infer<typeof Explanation>;

/** Someone approving an action, with the roles the authenticated front end asserts for them. */
export const Approver = z.object({ id: z.string().min(1), roles: z.array(z.string()) });
export type Approver = z.infer<typeof Approver>;

/** What `data.soc.approvals.decision` is asked: the verdict's input plus who approves. */
export const ApprovalInput = PolicyInput.extend({ approvers: z.array(Approver) });
export type ApprovalInput = z.infer<typeof ApprovalInput>;

/** Whether the approvals so far suffice: a second, distinct approver above an action's blast-radius limit. */
export const ApprovalDecision = z.object({
  approved: z.boolean(),
  required_approvers: z.number().int().min(1),
  approved_by: z.array(z.string()),
  reasons: z.array(z.string()),
  policy_version: z.string(),
});
export type ApprovalDecision = z.infer<typeof ApprovalDecision>;

/**
 * What is forwarded whatever its score (`data.soc.threshold.forward_floor`): alerts at
 * `min_priority` or above whose rule carries one of `maturities`, alerts of `rules`, alerts carrying
 * one of `tactics` (Falco's mitre_* tags).
 */
export const ForwardFloor = z.object({
  min_priority: Priority,
  maturities: z.array(z.string()),
  rules: z.array(z.string()),
  tactics: z.array(z.string()),
});
export type ForwardFloor = z.infer<typeof ForwardFloor>;

/** Where the prefilter's threshold comes from: a live override, the bundle, or nowhere. */
export const forwardingSources = [
  "threshold_override",
  "budget_override",
  "threshold",
  "budget",
  "none",
  "unavailable",
] as const;

/**
 * `get_threshold`'s answer (`data.soc.threshold.forwarding`): an explicit score threshold, or a
 * budget (the share of events to forward, which the prefilter calibrates on its model's training
 * window), never both; where it came from; and the floor. Null throughout when the policy cannot say.
 */
export const Forwarding = z.object({
  threshold: z.number().min(0).max(1).nullable(),
  budget: z.number().gt(0).max(1).nullable(),
  source: z.enum(forwardingSources),
  floor: ForwardFloor.nullable(),
});
export type Forwarding = z.infer<typeof Forwarding>;
