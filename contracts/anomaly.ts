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
  threshold: z.union([z.number(), z.string()]),
});
export type Anomaly = z.infer<typeof Anomaly>;
