import {
  CASE_ANNOTATION,
  PodParameters,
  podBlastRadius,
  podPath,
  QUARANTINE_LABEL,
  type KubeRequest,
  type ResponseAction,
} from "./action.js";
import { labelPod, quarantined, type LabelsBefore } from "./label-pod.js";

export interface IsolationBefore {
  labels: LabelsBefore;
  /** Which kind of policy the cluster takes: Cilium's where its CRD is served, Kubernetes' otherwise. */
  policy: "CiliumNetworkPolicy" | "NetworkPolicy";
}

const policies = {
  CiliumNetworkPolicy: {
    collection: (namespace: string) => `/apis/cilium.io/v2/namespaces/${namespace}/ciliumnetworkpolicies`,
    object: (name: string, namespace: string, caseId: string) => ({
      apiVersion: "cilium.io/v2",
      kind: "CiliumNetworkPolicy",
      metadata: { name, namespace, annotations: { [CASE_ANNOTATION]: caseId } },
      spec: {
        endpointSelector: { matchLabels: { [QUARANTINE_LABEL]: "true" } },
        ingressDeny: [{ fromEntities: ["all"] }],
        egressDeny: [{ toEntities: ["all"] }],
      },
    }),
    selector: (policy: { spec?: Record<string, unknown> }) =>
      (policy.spec?.endpointSelector as { matchLabels?: Record<string, string> } | undefined)?.matchLabels,
  },
  NetworkPolicy: {
    collection: (namespace: string) => `/apis/networking.k8s.io/v1/namespaces/${namespace}/networkpolicies`,
    // Both policy types and no rules: nothing in, nothing out.
    object: (name: string, namespace: string, caseId: string) => ({
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name, namespace, annotations: { [CASE_ANNOTATION]: caseId } },
      spec: {
        podSelector: { matchLabels: { [QUARANTINE_LABEL]: "true" } },
        policyTypes: ["Ingress", "Egress"],
      },
    }),
    selector: (policy: { spec?: Record<string, unknown> }) =>
      (policy.spec?.podSelector as { matchLabels?: Record<string, string> } | undefined)?.matchLabels,
  },
} as const;

/** Named after the case: a later case on the same pod never replaces an earlier isolation. */
export const quarantinePolicyName = (caseId: string) => `soc-quarantine-${caseId.toLowerCase()}`;

/**
 * Cuts a pod off the network: the quarantine label, then a policy applied server-side that selects
 * every quarantined pod of the namespace and allows no traffic either way.
 */
export const isolatePod: ResponseAction<PodParameters, IsolationBefore> = {
  name: "isolate_pod",
  title: "Isolate a pod",
  description:
    "Labels the pod as quarantined and applies a network policy (Cilium's where installed, else Kubernetes') that denies all its traffic.",
  targets: ["Pod"],
  parameters: PodParameters,
  destructive: false,
  rbac: [
    ...labelPod.rbac,
    {
      apiGroups: ["cilium.io"],
      resources: ["ciliumnetworkpolicies"],
      verbs: ["get", "create", "patch", "delete"],
    },
    {
      apiGroups: ["networking.k8s.io"],
      resources: ["networkpolicies"],
      verbs: ["get", "create", "patch", "delete"],
    },
  ],
  blastRadius: podBlastRadius,
  async before(params, cluster) {
    const cilium = await cluster.serves("cilium.io/v2", "ciliumnetworkpolicies");
    return {
      labels: await labelPod.before(params, cluster),
      policy: cilium ? "CiliumNetworkPolicy" : "NetworkPolicy",
    };
  },
  requests(params, before, caseId) {
    const kind = policies[before.policy];
    const name = quarantinePolicyName(caseId);
    const apply: KubeRequest = {
      method: "PATCH",
      path: `${kind.collection(params.namespace)}/${name}?fieldManager=soc-fleet&force=true`,
      contentType: "application/apply-patch+yaml",
      body: kind.object(name, params.namespace, caseId),
    };
    return [...labelPod.requests(params, before.labels, caseId), apply];
  },
  async verify(params, cluster, caseId) {
    const pod = await cluster.get(podPath(params));
    const label = quarantined(params, pod);
    if (!label.ok) return label;
    const name = quarantinePolicyName(caseId);
    for (const kind of Object.values(policies)) {
      const policy = await cluster.get(`${kind.collection(params.namespace)}/${name}`);
      if (!policy) continue;
      const selects = Object.entries(kind.selector(policy) ?? {}).every(
        ([key, value]) => pod?.metadata?.labels?.[key] === value,
      );
      return selects
        ? { ok: true, detail: `${name} selects ${params.namespace}/${params.name} and allows no traffic` }
        : { ok: false, detail: `${name} exists but does not select ${params.namespace}/${params.name}` };
    }
    return { ok: false, detail: `no quarantine policy ${name} in ${params.namespace}` };
  },
  undo(params, before, caseId) {
    const name = quarantinePolicyName(caseId);
    return [
      { method: "DELETE", path: `${policies[before.policy].collection(params.namespace)}/${name}` },
      ...labelPod.undo(params, before.labels, caseId),
    ];
  },
};
