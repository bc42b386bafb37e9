import { z } from "zod";
import { FalcoEvent } from "./falco.js";

export const TraceId = z.string().regex(/^[0-9a-f]{32}$/, "trace_id is 32 lower-case hex characters");

/** A feature that drove an event's score: its value, and the share of the training window as far out. */
export const Driver = z.object({
  feature: z.string(),
  value: z.number(),
  training_share: z.number().min(0).max(1),
});
export type Driver = z.infer<typeof Driver>;

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
  /** The features furthest from the model's training window, rarest first (a model's anomalies only). */
  drivers: z.array(Driver).default([]),
});
export type Anomaly = z.infer<typeof Anomaly>;

/** Why an event reached the fleet, as the case's evidence, trace and post show it. */
export const WhyForwarded = Anomaly.pick({
  score: true,
  model_version: true,
  threshold: true,
  threshold_source: true,
  floor: true,
  drivers: true,
});
export type WhyForwarded = z.infer<typeof WhyForwarded>;

/** Why an event was forwarded, in one line: the floor's clause or the score against its threshold, then what drove it. */
export function describeForwarding(why: WhyForwarded): string {
  const threshold = typeof why.threshold === "number" ? why.threshold.toFixed(4) : why.threshold;
  const reason = why.floor
    ? why.floor
    : why.score === null
      ? `priority at or above ${threshold}`
      : `score ${why.score.toFixed(4)} at or above threshold ${threshold}${why.threshold_source ? ` (${why.threshold_source})` : ""}`;
  if (why.drivers.length === 0) return reason;
  const drivers = why.drivers.map(
    (d) => `${d.feature} ${formatValue(d.value)} (${trainingShare(d.training_share)})`,
  );
  return `${reason}; furthest from training: ${drivers.join(", ")}`;
}

const formatValue = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(3));
const trainingShare = (share: number) =>
  share === 0
    ? "never in training"
    : `${share <= 0.001 ? "≤ 0.1 %" : `${(100 * share).toPrecision(2)} %`} of training events`;
