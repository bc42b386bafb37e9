import { z } from "zod";

/** One Kubernetes API request, exactly as it is (or would be) sent. */
export const KubeRequest = z.object({
  method: z.enum(["GET", "POST", "PATCH", "PUT", "DELETE"]),
  path: z.string(),
  contentType: z.string().optional(),
  body: z.unknown().optional(),
});
export type KubeRequest = z.infer<typeof KubeRequest>;

/** What the server answered to one request: enough to show in the reasoning chain. */
export const KubeAnswer = z.object({
  method: z.string(),
  path: z.string(),
  status: z.number().int(),
  /** The server's reason and message for a refusal; for a success, the object's kind and name. */
  detail: z.string(),
});
export type KubeAnswer = z.infer<typeof KubeAnswer>;

/** Whether an action's effect was found in the cluster afterwards, and what was read. */
export const Verification = z.object({ ok: z.boolean(), detail: z.string() });
export type Verification = z.infer<typeof Verification>;

/** What carrying out one response action did: the mode, the requests, the answers, the verification. */
export const AppliedAction = z.object({
  mode: z.enum(["dry-run", "enforce"]),
  action: z.string(),
  /** The API server acted on, or null when none is configured (requests prepared, not validated). */
  server: z.string().nullable(),
  requests: z.array(KubeRequest),
  answers: z.array(KubeAnswer),
  verification: Verification.nullable(),
  /** True when the action had been carried out before and nothing was sent again. */
  replayed: z.boolean(),
});
export type AppliedAction = z.infer<typeof AppliedAction>;

/**
 * What the API server says of an event's workload: whether the pod exists and runs the image
 * Falco named, and its labels, owners and placement. `no_cluster`: none is configured, nothing
 * was checked; `unavailable`: one is configured and could not be read.
 */
export const AssetContext = z.object({
  status: z.enum(["found", "not_found", "image_mismatch", "unavailable", "no_cluster", "not_a_pod"]),
  detail: z.string(),
  labels: z.record(z.string(), z.string()),
  annotations: z.record(z.string(), z.string()),
  namespace_labels: z.record(z.string(), z.string()),
  service_account: z.string().nullable(),
  node: z.string().nullable(),
  /** Each container's image as the pod spec names it and, once running, its digest. */
  images: z.array(z.object({ container: z.string(), image: z.string(), image_id: z.string().nullable() })),
  /** The owner chain, nearest first: ReplicaSet, then Deployment… */
  owners: z.array(z.object({ kind: z.string(), name: z.string() })),
  /** The replicas the top owner asks for, when it has a scale. */
  replicas: z.number().int().nullable(),
});
export type AssetContext = z.infer<typeof AssetContext>;

/** The context of an event with nothing in the cluster to look up, or before anything was read. */
export function emptyContext(status: AssetContext["status"], detail: string): AssetContext {
  return {
    status,
    detail,
    labels: {},
    annotations: {},
    namespace_labels: {},
    service_account: null,
    node: null,
    images: [],
    owners: [],
    replicas: null,
  };
}

/** One action lifted by an undo: which, and what the server answered to each restoring request. */
export const UndoneAction = z.object({ action: z.string(), answers: z.array(KubeAnswer) });
export type UndoneAction = z.infer<typeof UndoneAction>;
