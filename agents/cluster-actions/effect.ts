import { isDeepStrictEqual } from "node:util";
import type { ClusterView, KubeObject, KubeRequest } from "./actions/action.js";

/** Whether every field `patch` sets is so in `live`, where null means absent (RFC 7386). */
function holds(patch: unknown, live: unknown): boolean {
  if (patch === null) return live === undefined || live === null;
  if (Array.isArray(patch))
    return Array.isArray(live) && live.length === patch.length && patch.every((p, i) => holds(p, live[i]));
  if (typeof patch === "object")
    return (
      typeof live === "object" &&
      live !== null &&
      Object.entries(patch).every(([key, value]) => holds(value, (live as Record<string, unknown>)[key]))
    );
  return isDeepStrictEqual(patch, live);
}

/** The UID an eviction was made for, when it carries the precondition. */
const evictedUid = (request: KubeRequest) =>
  (request.body as { deleteOptions?: { preconditions?: { uid?: string } } } | undefined)?.deleteOptions
    ?.preconditions?.uid;

/**
 * Whether a request sent before a crash, whose answer was never recorded, took effect: read from the
 * live object it targets, never assumed. A patch (merge or apply) is in effect when the object holds
 * every field it sets; an eviction when its pod is gone, terminating, or replaced by another (a new
 * UID under the same name). Anything else is not known to be in effect: the caller sends it again.
 */
export async function inEffect(request: KubeRequest, cluster: ClusterView): Promise<boolean> {
  const path = request.path.split("?")[0] ?? request.path;
  if (request.method === "PATCH") {
    const live = await cluster.get(path);
    return live !== null && holds(request.body, live);
  }
  if (request.method === "POST" && path.endsWith("/eviction")) {
    const pod: KubeObject | null = await cluster.get(path.slice(0, -"/eviction".length));
    const uid = evictedUid(request);
    return (
      !pod || Boolean(pod.metadata?.deletionTimestamp) || (uid !== undefined && pod.metadata?.uid !== uid)
    );
  }
  return false;
}
