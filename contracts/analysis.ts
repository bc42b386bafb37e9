import { z } from "zod";
import { WhyForwarded } from "./anomaly.js";
import { AssetContext } from "./cluster.js";

export const Severity = z.enum(["low", "medium", "high", "critical"]);
export type Severity = z.infer<typeof Severity>;

/** What a response action would touch. */
export const BlastRadius = z.object({
  pods: z.number().int().nonnegative(),
  nodes: z.number().int().nonnegative(),
  namespaces: z.number().int().nonnegative(),
});
export type BlastRadius = z.infer<typeof BlastRadius>;

export const actionTypes = [
  "isolate_pod",
  "label_pod",
  "terminate_pod",
  "scale_to_zero",
  "cordon_node",
  "none",
] as const;
export const ActionType = z.enum(actionTypes);
export type ActionType = z.infer<typeof ActionType>;

export const Target = z.object({
  kind: z.enum(["Pod", "Deployment", "StatefulSet", "Node", "None"]),
  namespace: z.string().nullable(),
  name: z.string().nullable(),
  labels: z.record(z.string(), z.string()).default({}),
  image: z.string().nullable(),
});
export type Target = z.infer<typeof Target>;

export const ProposedAction = z.object({
  type: ActionType,
  target: Target,
  blast_radius: BlastRadius,
  description: z.string(),
});
export type ProposedAction = z.infer<typeof ProposedAction>;

export const Technique = z.object({ id: z.string(), name: z.string() });

/**
 * What the analyst's language model wrote of a case: words for the humans, never a decision. The
 * classification, confidence and proposed action beside it are computed from the evidence; the
 * policy reads those, never this.
 */
export const Narrative = z.object({
  model: z.string(),
  /** What happened, in an analyst's words, citing the evidence; null when the model gave nothing usable. */
  text: z.string().nullable(),
  hypothesis: z.string().nullable(),
  /** A response the model would rather take, from the registry's actions: a suggestion for the human. */
  alternative_action: ActionType.nullable(),
  /** What it stated that the rule's tags, the ATT&CK catalogue and the evidence do not support. */
  unsupported: z.array(z.string()),
  repairs: z.number().int().nonnegative(),
  /** Why there is no narrative: the model failed, timed out, or never matched the schema. */
  fallback: z.string().nullable(),
});
export type Narrative = z.infer<typeof Narrative>;

/** What the analyst's model would ask next of a case, and what evidence would settle each question. */
export const Questions = z.object({
  model: z.string(),
  questions: z.array(z.object({ question: z.string(), evidence: z.string() })).max(5),
  /** Why there are none: the model failed, timed out, or never matched the schema. */
  fallback: z.string().nullable(),
});
export type Questions = z.infer<typeof Questions>;

/** The analyst's classification of a case. */
export const Analysis = z.object({
  tactic: z.string().nullable(),
  technique: Technique.nullable(),
  severity: Severity,
  confidence: z.number().min(0).max(1),
  action: ProposedAction,
  /**
   * What the live cluster says of the target, as the policy's asset tags: its asset class
   * (`soc.fleet/asset-class`), or that it could not be verified (`target-not-found`,
   * `image-mismatch`, `cluster-unreachable`).
   */
  asset_tags: z.array(z.string()),
  rationale: z.string(),
  /** Present when the analyst has a language model. */
  narrative: Narrative.nullable().default(null),
});
export type Analysis = z.infer<typeof Analysis>;

/** Related activity detect found for an event. */
export const RelatedEvent = z.object({
  time: z.string(),
  rule: z.string(),
  priority: z.string(),
  pod: z.string().nullable(),
  image: z.string().nullable(),
  trace_id: z.string(),
});
export const Evidence = z.object({
  same_pod: z.array(RelatedEvent),
  same_image: z.array(RelatedEvent),
  distinct_rules: z.array(z.string()),
  /** What the API server says of the event's workload. */
  context: AssetContext,
  /** Why the prefilter forwarded the event: its threshold or the floor, and the features that drove its score. */
  forwarded: WhyForwarded.nullable().default(null),
  summary: z.string(),
});
export type Evidence = z.infer<typeof Evidence>;
