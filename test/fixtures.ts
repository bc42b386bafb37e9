import type { Analysis } from "../contracts/analysis.js";
import type { Case } from "../contracts/case.js";

/** Shared fixtures: one escalated case and its analysis, as the store and the analyst produce them. */
export const escalatedCase: Case = {
  id: "C-7K2F9",
  trace_id: "4bf92f3577b34da6a3ce929d0e0e4736",
  status: "awaiting_human",
  rule: "Read sensitive file untrusted",
  priority: "Warning",
  namespace: "shop",
  pod: "storefront-7d9c8b6f5-x2x9q",
  image: "ghcr.io/acme/storefront",
  technique: "T1555",
  severity: "medium",
  confidence: 0.85,
  outcome: "escalate",
  reasons: ["namespace shop is always escalated", "confidence 0.85 below threshold 0.9"],
  decision: null,
  resolution: null,
  created_at: "2026-11-24T09:00:00.000Z",
  updated_at: "2026-11-24T09:00:01.000Z",
};

export const labelAnalysis: Analysis = {
  tactic: "Credential Access",
  technique: { id: "T1555", name: "Credentials from Password Stores" },
  severity: "medium",
  confidence: 0.85,
  asset_tags: [],
  rationale: "rule tags map to T1555",
  action: {
    type: "label_pod",
    target: {
      kind: "Pod",
      namespace: "shop",
      name: "storefront-7d9c8b6f5-x2x9q",
      labels: {},
      image: "ghcr.io/acme/storefront",
    },
    blast_radius: { pods: 1, nodes: 1, namespaces: 1 },
    description: "label pod shop/storefront-7d9c8b6f5-x2x9q for quarantine review",
  },
};
