import { z } from "zod";
import { TraceId } from "./anomaly.js";
import { CaseId } from "./case.js";

/**
 * One analyst decision as a training label for the pre-filter: dismissed = benign, approved =
 * malicious. Keyed on Kafka by the event's id.
 */
export const FeedbackLabel = z.object({
  uuid: z.string().min(1),
  label: z.enum(["benign", "malicious"]),
  case_id: CaseId,
  trace_id: TraceId,
  rule: z.string(),
  by: z.string().min(1),
  at: z.string(),
});
export type FeedbackLabel = z.infer<typeof FeedbackLabel>;
