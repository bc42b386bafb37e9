import type { ProposedAction } from "../../contracts/analysis.js";
import { SocError } from "../../runtime/errors.js";

/** One Kubernetes API request, exactly as it would be sent. */
export interface KubeRequest {
  method: "PATCH" | "POST" | "PUT";
  path: string;
  contentType: string;
  body: unknown;
}

/** Every quarantined pod carries this label; which case put it there is in the annotation. */
export const QUARANTINE_LABEL = "soc.fleet/quarantine";
export const CASE_ANNOTATION = "soc.fleet/case";

/** RFC 1123 subdomain: what Kubernetes accepts as a namespace, pod or node name. */
const dnsName = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Names come from Falco fields, which an attacker can shape: only valid Kubernetes names reach a path. */
function checked(kind: string, value: string | null): string {
  if (value === null || value.length > 253 || !dnsName.test(value)) {
    throw new SocError(
      "invalid_target",
      `refused: ${kind} ${JSON.stringify(value)} is not a valid Kubernetes name`,
    );
  }
  return value;
}

/**
 * Pure: the Kubernetes requests that carry out an action. Isolation labels the pod and applies a
 * CiliumNetworkPolicy that selects every quarantined pod of the namespace and allows no traffic;
 * names derive from the case, so repeating an action is a no-op (server-side apply), and a later
 * case on the same pod never lifts an earlier isolation.
 */
export function requestsFor(action: ProposedAction, caseId: string): KubeRequest[] {
  if (action.type === "none") return [];
  if (action.type === "cordon_node") {
    const node = checked("node", action.target.name);
    return [
      {
        method: "PATCH",
        path: `/api/v1/nodes/${node}`,
        contentType: "application/merge-patch+json",
        body: { spec: { unschedulable: true } },
      },
    ];
  }
  const namespace = checked("namespace", action.target.namespace);
  const name = checked(action.target.kind === "Deployment" ? "deployment" : "pod", action.target.name);
  const marker = caseId.toLowerCase();
  const labelPod: KubeRequest = {
    method: "PATCH",
    path: `/api/v1/namespaces/${namespace}/pods/${name}`,
    contentType: "application/merge-patch+json",
    body: {
      metadata: { labels: { [QUARANTINE_LABEL]: "true" }, annotations: { [CASE_ANNOTATION]: caseId } },
    },
  };
  switch (action.type) {
    case "label_pod":
      return [labelPod];
    case "isolate_pod":
      return [
        labelPod,
        {
          method: "PATCH",
          path: `/apis/cilium.io/v2/namespaces/${namespace}/ciliumnetworkpolicies/soc-quarantine-${marker}?fieldManager=soc-fleet&force=true`,
          contentType: "application/apply-patch+yaml",
          body: {
            apiVersion: "cilium.io/v2",
            kind: "CiliumNetworkPolicy",
            metadata: {
              name: `soc-quarantine-${marker}`,
              namespace,
              annotations: { [CASE_ANNOTATION]: caseId },
            },
            spec: {
              endpointSelector: { matchLabels: { [QUARANTINE_LABEL]: "true" } },
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
          path: `/api/v1/namespaces/${namespace}/pods/${name}/eviction`,
          contentType: "application/json",
          body: { apiVersion: "policy/v1", kind: "Eviction", metadata: { name, namespace } },
        },
      ];
    case "scale_to_zero":
      return [
        {
          method: "PATCH",
          path: `/apis/apps/v1/namespaces/${namespace}/deployments/${name}/scale`,
          contentType: "application/merge-patch+json",
          body: { spec: { replicas: 0 } },
        },
      ];
  }
}
