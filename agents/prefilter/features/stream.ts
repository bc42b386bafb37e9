/**
 * The stream an event belongs to, and so the partition of `falco.events.keyed` it is re-keyed into:
 * the image repository of its container; for a container Falco names no image for, the container;
 * for the host and for events with no container at all (k8s_audit, plugins), the node.
 *
 * Every window and count the feature extractor keeps lies within one stream, and each stream keeps
 * its own clock, so a process that sees all of a stream's events in their order computes the same
 * features whatever other streams it sees or misses. That is what lets the prefilter scale out
 * without changing what it detects. A whole image is one stream rather than each pod: a process's
 * rarity within an image is only the image's if every pod of it is counted in one place.
 */

// Prefixes no image repository can take (they hold a NUL), for the streams that are not an image.
const CONTAINER_STREAM = "\u0000container\u0000";
const HOST_STREAM = "\u0000host\u0000";

/** The field as text; null when Falco had no value (JSON null, absent, or "<NA>" from older outputs). */
export function text(fields: Readonly<Record<string, unknown>>, name: string): string | null {
  const value = fields[name];
  if (typeof value === "string") return value === "<NA>" ? null : value;
  return typeof value === "number" || typeof value === "boolean" ? String(value) : null;
}

/** True when the event comes from a container rather than the host (or from no process at all). */
export const inContainer = (container: string | null): container is string =>
  container !== null && container !== "host";

/** The stream of an event whose image, container id and node are these (see above). */
export function streamOf(image: string | null, container: string | null, hostname: string): string {
  if (image !== null) return image;
  return inContainer(container) ? CONTAINER_STREAM + container : HOST_STREAM + hostname;
}

/** The stream of a Falco event's fields and hostname. */
export function streamKey(fields: Readonly<Record<string, unknown>>, hostname: string): string {
  return streamOf(text(fields, "container.image.repository"), text(fields, "container.id"), hostname);
}
