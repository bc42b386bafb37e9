import { z } from "zod";
import { ActionType, BlastRadius, Severity } from "./analysis.js";

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
