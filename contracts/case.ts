import { z } from "zod";

export const caseStatuses = ["open", "reviewing", "awaiting_human", "executing", "closed"] as const;
export const CaseStatus = z.enum(caseStatuses);
export type CaseStatus = z.infer<typeof CaseStatus>;

/** Short, human-typable: C- and five characters without 0/O or 1/I. */
export const CaseId = z.string().regex(/^C-[2-9A-HJ-NP-Z]{5}$/, "case ids look like C-7K2F9");
export type CaseId = z.infer<typeof CaseId>;

export const decisionActions = ["approve", "dismiss", "investigate"] as const;
export const DecisionAction = z.enum(decisionActions);
export type DecisionAction = z.infer<typeof DecisionAction>;

/** A human decision on an escalated case. */
export const Decision = z.object({
  action: DecisionAction,
  by: z.string().min(1).max(128),
  reason: z.string().max(2000).nullable(),
  at: z.string(),
});
export type Decision = z.infer<typeof Decision>;

/** How a case ended. */
export const Resolution = z.enum(["remediated", "rejected", "dismissed", "failed"]);

/** One case as the store and every front end see it. */
export const Case = z.object({
  id: CaseId,
  trace_id: z.string(),
  status: CaseStatus,
  rule: z.string(),
  priority: z.string(),
  namespace: z.string().nullable(),
  pod: z.string().nullable(),
  image: z.string().nullable(),
  technique: z.string().nullable(),
  severity: z.string().nullable(),
  confidence: z.number().nullable(),
  outcome: z.string().nullable(),
  reasons: z.array(z.string()),
  decision: Decision.nullable(),
  resolution: Resolution.nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type Case = z.infer<typeof Case>;
