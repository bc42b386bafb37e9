import { PodParameters, podBlastRadius, podPath, type KubeObject, type ResponseAction } from "./action.js";

/** What undo needs to bring a pod back: its spec and metadata, or nothing when a controller owns it. */
export interface TerminationBefore {
  /** The pod as it was, when no controller will recreate it; null when one will. */
  pod: KubeObject | null;
  /**
   * The UID of the pod to evict: the eviction is made for that pod alone, so a retry never evicts
   * the replacement a StatefulSet creates under the same name.
   */
  uid: string | null;
}

/** The pod without what the server assigns: what a create request may carry. */
function recreatable(pod: KubeObject): KubeObject {
  const { name, namespace, labels, annotations } = pod.metadata ?? {};
  const spec = { ...pod.spec };
  delete spec.nodeName;
  return { metadata: { name, namespace, labels, annotations }, spec };
}

/**
 * Ends a pod through the eviction API, so PodDisruptionBudgets are honoured. A pod a controller owns
 * comes back by itself; undo recreates a bare pod from what was recorded before.
 */
export const terminatePod: ResponseAction<PodParameters, TerminationBefore> = {
  name: "terminate_pod",
  title: "Terminate a pod",
  description: "Evicts the pod (PodDisruptionBudgets apply); a bare pod is recreated on undo.",
  targets: ["Pod"],
  parameters: PodParameters,
  destructive: true,
  rbac: [
    { apiGroups: [""], resources: ["pods"], verbs: ["get", "create"] },
    { apiGroups: [""], resources: ["pods/eviction"], verbs: ["create"] },
  ],
  blastRadius: podBlastRadius,
  async before(params, cluster) {
    const pod = await cluster.get(podPath(params));
    const owned = pod?.metadata?.ownerReferences?.some((owner) => owner.controller) ?? false;
    return { pod: pod && !owned ? recreatable(pod) : null, uid: pod?.metadata?.uid ?? null };
  },
  requests(params, before) {
    return [
      {
        method: "POST",
        path: `${podPath(params)}/eviction`,
        contentType: "application/json",
        body: {
          apiVersion: "policy/v1",
          kind: "Eviction",
          metadata: { name: params.name, namespace: params.namespace },
          ...(before.uid ? { deleteOptions: { preconditions: { uid: before.uid } } } : {}),
        },
      },
    ];
  },
  async verify(params, cluster) {
    const pod = await cluster.get(podPath(params));
    if (!pod) return { ok: true, detail: `pod ${params.namespace}/${params.name} is gone` };
    return pod.metadata?.deletionTimestamp
      ? { ok: true, detail: `pod ${params.namespace}/${params.name} is terminating` }
      : { ok: false, detail: `pod ${params.namespace}/${params.name} is still running` };
  },
  undo(params, before) {
    if (!before.pod) return [];
    return [
      {
        method: "POST",
        path: `/api/v1/namespaces/${params.namespace}/pods`,
        contentType: "application/json",
        body: { apiVersion: "v1", kind: "Pod", ...before.pod },
      },
    ];
  },
};
