import { z } from "zod";
import { CaseId } from "./case.js";
import { FalcoEvent } from "./falco.js";

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
