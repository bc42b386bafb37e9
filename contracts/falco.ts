import { createHash } from "node:crypto";
import { z } from "zod";

/** Falco's priorities, most severe first (falco.yaml `priority`). */
export const priorities = [
  "Emergency",
  "Alert",
  "Critical",
  "Error",
  "Warning",
  "Notice",
  "Informational",
  "Debug",
] as const;
export const Priority = z.enum(priorities);
export type Priority = z.infer<typeof Priority>;

/** Falco writes priorities capitalised; falcosidekick and some rules files lower-case them. */
const priorityField = z
  .string()
  .transform((value, ctx) => {
    const match = priorities.find((p) => p.toLowerCase() === value.toLowerCase());
    if (match) return match;
    ctx.addIssue({ code: "custom", message: `unknown priority "${value}"` });
    return z.NEVER;
  })
  .pipe(Priority);

/** Higher is more severe: Emergency = 7, Debug = 0. */
export function priorityRank(priority: Priority): number {
  return priorities.length - 1 - priorities.indexOf(priority);
}

const isoTime = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$/;

/**
 * Bounds on `output_fields`, which Falco fills from the kernel and the container runtime and an
 * attacker fills through them: how many fields, a field's name, a field's text. A field's text is
 * bounded as `output` is, which quotes it: a shorter bound would let an attacker pad a command
 * line until the event is refused, and never triaged.
 */
export const FIELD_LIMITS = { fields: 128, name: 128, value: 16_384 } as const;

const fieldValue = z.union([z.string().max(FIELD_LIMITS.value), z.number(), z.boolean(), z.null()]);

/**
 * One Falco alert as `json_output: true` writes it (and `http_output` posts it), or falcosidekick's
 * form of it, which adds `uuid`. Every string in it is attacker-controlled.
 */
export const FalcoEvent = z.object({
  uuid: z.string().min(1).max(64).optional(),
  time: z.string().regex(isoTime, "time must be ISO-8601 UTC, e.g. 2026-11-24T09:00:00.123456789Z"),
  rule: z.string().min(1).max(512),
  priority: priorityField,
  source: z.string().max(64).default("syscall"),
  tags: z.array(z.string().max(128)).max(64).default([]),
  hostname: z.string().max(253).default(""),
  output: z.string().max(16_384).default(""),
  output_fields: z
    .record(z.string().max(FIELD_LIMITS.name), fieldValue)
    .refine((fields) => Object.keys(fields).length <= FIELD_LIMITS.fields, {
      message: `at most ${String(FIELD_LIMITS.fields)} output fields`,
    })
    .default({}),
});
export type FalcoEvent = z.infer<typeof FalcoEvent>;

/** Reads a field from `output_fields` as a string, or null when Falco had no value. */
export function field(event: FalcoEvent, name: string): string | null {
  const value = event.output_fields[name];
  return value === null || value === undefined ? null : String(value);
}

/** The workload an event is about, from the Kubernetes and container fields Falco adds. */
export const Workload = z.object({
  namespace: z.string().nullable(),
  pod: z.string().nullable(),
  image: z.string().nullable(),
  container: z.string().nullable(),
  node: z.string(),
});
export type Workload = z.infer<typeof Workload>;

export function workloadOf(event: FalcoEvent): Workload {
  return {
    namespace: field(event, "k8s.ns.name"),
    pod: field(event, "k8s.pod.name"),
    image: field(event, "container.image.repository"),
    container: field(event, "container.name"),
    node: event.hostname,
  };
}

/**
 * The id one Falco event goes by everywhere: deduplication in the prefilter, the analysts'
 * feedback labels, the training export. falcosidekick gives each event a uuid; Falco's own
 * http_output gives none, and then the same time, rule, host and fields are the same event.
 */
export function eventIdOf(event: FalcoEvent): string {
  return event.uuid ?? eventDigest(event);
}

function eventDigest(event: FalcoEvent): string {
  return createHash("sha256")
    .update(JSON.stringify([event.time, event.rule, event.hostname, event.output_fields]))
    .digest("hex");
}
