import { z } from "zod";
import type { ActionType, BlastRadius, Target } from "../../../contracts/analysis.js";
import type { KubeRequest } from "../../../contracts/cluster.js";
import type { KubeObject } from "../../../runtime/kube.js";

export type { KubeObject, KubeRequest };

/** One rule of the remediation ServiceAccount's ClusterRole, as RBAC writes it. */
export interface RbacRule {
  apiGroups: readonly string[];
  resources: readonly string[];
  verbs: readonly string[];
}

/** What an action may read of the live cluster, as the remediation identity. */
export interface ClusterView {
  /** The object at `path`, or null when the server answers 404. */
  get(path: string): Promise<KubeObject | null>;
  /** The items of a collection, filtered by the server. */
  list(path: string, selectors?: { labelSelector?: string; fieldSelector?: string }): Promise<KubeObject[]>;
  /** Whether the server serves `resource` of `groupVersion` (a CRD may be absent). */
  serves(groupVersion: string, resource: string): Promise<boolean>;
}

/** What a verification found: whether the effect is in place, and what was read. */
export interface Verification {
  ok: boolean;
  detail: string;
}

/**
 * A response action, declared whole in one file as Falco Talon's actionners are: its name and
 * description, the parameters it takes from the proposed target, the target kinds it applies to,
 * how its blast radius is read from the live cluster, what it records before acting (the state an
 * undo restores), the requests it sends, how its effect is verified, how it is undone, and the RBAC
 * rules the remediation ServiceAccount needs for all of it.
 *
 * `Before` is recorded before the first request and must be plain JSON: an undo after a restart
 * reads it back from the case.
 */
export interface ResponseAction<P = unknown, Before = unknown> {
  readonly name: Exclude<ActionType, "none">;
  readonly title: string;
  readonly description: string;
  readonly targets: readonly Target["kind"][];
  readonly parameters: z.ZodType<P>;
  /** Destructive actions are held to the policy's destructive rules (protected namespaces). */
  readonly destructive: boolean;
  readonly rbac: readonly RbacRule[];
  blastRadius(params: P, cluster: ClusterView): Promise<BlastRadius>;
  before(params: P, cluster: ClusterView): Promise<Before>;
  requests(params: P, before: Before, caseId: string): KubeRequest[];
  verify(params: P, cluster: ClusterView, caseId: string): Promise<Verification>;
  undo(params: P, before: Before, caseId: string): KubeRequest[];
}

/** RFC 1123 subdomain: what Kubernetes accepts as a namespace, pod, workload or node name. */
const dnsSubdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * A Kubernetes object name. Names come from Falco fields, which an attacker can shape: only valid
 * names reach a request path, so none can carry `../` or a query.
 */
export const KubeName = z
  .string()
  .max(253)
  .regex(dnsSubdomain, "is not a valid Kubernetes name (RFC 1123 subdomain)");

/** A pod, named by its namespace and name: the parameters of every pod action. */
export const PodParameters = z.object({ namespace: KubeName, name: KubeName });
export type PodParameters = z.infer<typeof PodParameters>;

/** Every quarantined pod carries this label; which case put it there is in the annotation. */
export const QUARANTINE_LABEL = "soc.fleet/quarantine";
export const CASE_ANNOTATION = "soc.fleet/case";

export const podPath = ({ namespace, name }: PodParameters) => `/api/v1/namespaces/${namespace}/pods/${name}`;

/** A merge patch of labels and annotations; null removes a key (RFC 7386). */
export function metadataPatch(
  path: string,
  labels: Record<string, string | null>,
  annotations: Record<string, string | null> = {},
): KubeRequest {
  return {
    method: "PATCH",
    path,
    contentType: "application/merge-patch+json",
    body: { metadata: { labels, annotations } },
  };
}

/** The blast radius of acting on one pod: itself, its node if it has one, its namespace. */
export async function podBlastRadius(params: PodParameters, cluster: ClusterView): Promise<BlastRadius> {
  const pod = await cluster.get(podPath(params));
  const node = typeof pod?.spec?.nodeName === "string" ? 1 : 0;
  return { pods: pod ? 1 : 0, nodes: node, namespaces: 1 };
}
