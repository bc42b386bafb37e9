import { createHash } from "node:crypto";
import type { FalcoEvent } from "../../contracts/falco.js";

/**
 * The id one Falco event goes by everywhere: deduplication in the prefilter, the analysts'
 * feedback labels, the training export. falcosidekick gives each event a uuid; Falco's own
 * http_output gives none, and then the same time, rule, host and fields are the same event.
 */
export function eventIdOf(event: FalcoEvent): string {
  return event.uuid ?? digest(event);
}

function digest(event: FalcoEvent): string {
  return createHash("sha256")
    .update(JSON.stringify([event.time, event.rule, event.hostname, event.output_fields]))
    .digest("hex");
}
