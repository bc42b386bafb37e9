import { z } from "zod";
import { FalcoEvent } from "./falco.js";

export const TraceId = z.string().regex(/^[0-9a-f]{32}$/, "trace_id is 32 lower-case hex characters");

/** An event the prefilter forwards to the fleet, with why it was forwarded. */
export const Anomaly = z.object({
  trace_id: TraceId,
  event: FalcoEvent,
  received_at: z.string(),
  /** Anomaly score in [0, 1] when a model scored it, null for the rule-based baseline. */
  score: z.number().nullable(),
  model_version: z.string(),
  /** The score threshold in force (a model's), or the lowest priority forwarded (the baseline's). */
  threshold: z.union([z.number(), z.string()]),
  /** Where the threshold came from: the policy's budget (calibrated on the model's training window) or its explicit threshold. */
  threshold_source: z.string().nullable().default(null),
  /** The floor clause that forwarded it whatever its score; null when the score (or the priority) did. */
  floor: z.string().nullable().default(null),
});
export type Anomaly = z.infer<typeof Anomaly>;
