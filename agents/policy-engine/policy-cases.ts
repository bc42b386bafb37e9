import type { Outcome, PolicyInput } from "../../contracts/policy.js";

/**
 * One case table shared by the parity test (OPA REST and Wasm must agree on every row) and the
 * benchmark: every outcome, every always-escalate matcher, the limits and their edges.
 */
export interface PolicyCase {
  name: string;
  input: PolicyInput;
  outcome: Outcome;
}

const base: PolicyInput = {
  action: {
    type: "isolate_pod",
    target: {
      kind: "Pod",
      namespace: "shop",
      name: "checkout-7d9f8",
      labels: { app: "checkout" },
      image: "docker.io/library/nginx:1.27",
    },
  },
  blast_radius: { pods: 1, nodes: 1, namespaces: 1 },
  confidence: 0.9,
  technique: "T1059.004",
  severity: "high",
  asset_tags: [],
};

type Patch = Partial<Omit<PolicyInput, "action" | "blast_radius">> & {
  blast_radius?: Partial<PolicyInput["blast_radius"]>;
  action?: { type?: PolicyInput["action"]["type"]; target?: Partial<PolicyInput["action"]["target"]> };
};

function variant(patch: Patch): PolicyInput {
  return {
    ...base,
    ...patch,
    action: {
      type: patch.action?.type ?? base.action.type,
      target: { ...base.action.target, ...patch.action?.target },
    },
    blast_radius: { ...base.blast_radius, ...patch.blast_radius },
  };
}

const row = (name: string, outcome: Outcome, patch: Patch): PolicyCase => ({
  name,
  outcome,
  input: variant(patch),
});

export const policyCases: readonly PolicyCase[] = [
  row("isolate_pod within limits", "auto_execute", {}),
  row("label_pod at severity critical", "auto_execute", {
    action: { type: "label_pod" },
    severity: "critical",
  }),
  row("confidence exactly at the threshold", "auto_execute", { confidence: 0.8 }),
  row("terminate_pod within limits at low", "auto_execute", {
    action: { type: "terminate_pod" },
    severity: "low",
  }),
  row("scale_to_zero at its limit", "auto_execute", {
    action: { type: "scale_to_zero", target: { kind: "Deployment" } },
    blast_radius: { pods: 5, nodes: 3, namespaces: 1 },
  }),
  row("null namespace and image", "auto_execute", { action: { target: { namespace: null, image: null } } }),
  row("vaultwarden is not Vault", "auto_execute", {
    action: { target: { image: "docker.io/vaultwarden/server" } },
  }),
  row("no action", "auto_reject", {
    action: { type: "none", target: { kind: "None", namespace: null, name: null, labels: {}, image: null } },
    blast_radius: { pods: 0, nodes: 0, namespaces: 0 },
  }),
  row("terminate_pod in kube-system", "auto_reject", {
    action: { type: "terminate_pod", target: { namespace: "kube-system" } },
  }),
  row("cordon_node in kube-node-lease", "auto_reject", {
    action: { type: "cordon_node", target: { kind: "Node", namespace: "kube-node-lease" } },
  }),
  row("reject beats escalate", "auto_reject", {
    action: { type: "scale_to_zero", target: { namespace: "kube-public" } },
    confidence: 0.1,
    severity: "critical",
    asset_tags: ["control-plane"],
  }),
  row("low confidence", "escalate", { confidence: 0.55 }),
  row("zero confidence", "escalate", { confidence: 0 }),
  row("namespace identity", "escalate", { action: { target: { namespace: "identity" } } }),
  row("keycloak image with tag", "escalate", { action: { target: { image: "bitnami/keycloak:26.0.5" } } }),
  row("dex behind a registry port", "escalate", { action: { target: { image: "registry.local:5000/dex" } } }),
  row("vault with a digest", "escalate", {
    action: { target: { image: "hashicorp/vault@sha256:0123abcd" } },
  }),
  row("vault-k8s in upper case with a tag", "escalate", {
    action: { target: { image: "Docker.io/HashiCorp/Vault-K8s:1.4.2" } },
  }),
  // Both evaluators must print numbers in reasons the same way, as JSON.stringify wrote them.
  row("numbers in reasons as the input wrote them", "escalate", { confidence: 1.5e-7 }),
  row("always-escalate label", "escalate", {
    action: { target: { labels: { "soc.fleet/always-escalate": "true" } } },
  }),
  row("compliance asset class", "escalate", {
    action: { target: { labels: { "soc.fleet/asset-class": "compliance" } } },
  }),
  row("customer-facing asset tag", "escalate", { asset_tags: ["web", "customer-facing"] }),
  row("blast radius above the limit", "escalate", { blast_radius: { pods: 3, nodes: 2, namespaces: 2 } }),
  row("cordon_node always needs a human", "escalate", {
    action: { type: "cordon_node", target: { kind: "Node", namespace: null, image: null } },
    blast_radius: { pods: 0, nodes: 0, namespaces: 0 },
  }),
  row("terminate_pod at severity critical", "escalate", {
    action: { type: "terminate_pod" },
    severity: "critical",
  }),
  row("several reasons at once", "escalate", {
    action: { target: { namespace: "identity", image: "quay.io/keycloak/keycloak" } },
    blast_radius: { pods: 2 },
    confidence: 0.3,
    asset_tags: ["identity-store"],
  }),
];

/** The first case of the table with this outcome (every outcome has one). */
export function firstCase(outcome: Outcome): PolicyCase {
  const found = policyCases.find((c) => c.outcome === outcome);
  if (!found) throw new Error(`no ${outcome} case in the shared table`);
  return found;
}
