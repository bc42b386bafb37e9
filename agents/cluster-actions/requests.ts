import type { ProposedAction } from "../../contracts/analysis.js";

/** One Kubernetes API request, exactly as it would be sent. */
export interface KubeRequest {
  method: "PATCH" | "POST" | "PUT";
  path: string;
  contentType: string;
  body: unknown;
}

export const QUARANTINE_LABEL = "soc.fleet/quarantine";

/**
 * Pure: the Kubernetes requests that carry out an action. Isolation labels the pod and applies a
 * CiliumNetworkPolicy that selects the label and allows no traffic; names derive from the case, so
 * repeating an action is a no-op (server-side apply).
 */
export function requestsFor(action: ProposedAction, caseId: string): KubeRequest[] {
  const { namespace, name } = action.target;
  const marker = caseId.toLowerCase();
  const labelPod: KubeRequest = {
    method: "PATCH",
    path: `/api/v1/namespaces/${namespace ?? ""}/pods/${name ?? ""}`,
    contentType: "application/merge-patch+json",
    body: { metadata: { labels: { [QUARANTINE_LABEL]: marker } } },
  };
  switch (action.type) {
    case "label_pod":
      return [labelPod];
    case "isolate_pod":
      return [
        labelPod,
        {
          method: "PATCH",
          path: `/apis/cilium.io/v2/namespaces/${namespace ?? ""}/ciliumnetworkpolicies/soc-quarantine-${marker}?fieldManager=soc-fleet&force=true`,
          contentType: "application/apply-patch+yaml",
          body: {
            apiVersion: "cilium.io/v2",
            kind: "CiliumNetworkPolicy",
            metadata: { name: `soc-quarantine-${marker}`, namespace, labels: { [QUARANTINE_LABEL]: marker } },
            spec: {
              endpointSelector: { matchLabels: { [QUARANTINE_LABEL]: marker } },
              ingressDeny: [{ fromEntities: ["all"] }],
              egressDeny: [{ toEntities: ["all"] }],
            },
          },
        },
      ];
    case "terminate_pod":
      return [
        {
          method: "POST",
          path: `/api/v1/namespaces/${namespace ?? ""}/pods/${name ?? ""}/eviction`,
          contentType: "application/json",
          body: { apiVersion: "policy/v1", kind: "Eviction", metadata: { name, namespace } },
        },
      ];
    case "scale_to_zero":
      return [
        {
          method: "PATCH",
          path: `/apis/apps/v1/namespaces/${namespace ?? ""}/deployments/${name ?? ""}/scale`,
          contentType: "application/merge-patch+json",
          body: { spec: { replicas: 0 } },
        },
      ];
    case "cordon_node":
      return [
        {
          method: "PATCH",
          path: `/api/v1/nodes/${name ?? ""}`,
          contentType: "application/merge-patch+json",
          body: { spec: { unschedulable: true } },
        },
      ];
    case "none":
      return [];
  }
}
