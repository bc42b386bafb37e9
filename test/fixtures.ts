import type { Analysis } from "../contracts/analysis.js";
import type { Case } from "../contracts/case.js";
import type { AssetContext } from "../contracts/cluster.js";
import type { RuleProposal } from "../contracts/rules.js";

/**
 * Shared fixtures: one escalated case, its analysis and its workload's context, as the store, the
 * analyst and cluster-actions produce them.
 */
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
  narrative: null,
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

/** The escalated case's pod as the API server shows it: a Deployment's, running the event's image. */
export const storefrontContext: AssetContext = {
  status: "found",
  detail: "pod shop/storefront-7d9c8b6f5-x2x9q of ReplicaSet storefront-7d9c8b6f5 of Deployment storefront",
  labels: { team: "web", app: "storefront", "pod-template-hash": "7d9c8b6f5" },
  annotations: {
    "kubectl.kubernetes.io/last-applied-configuration": '{"apiVersion":"v1","kind":"Pod"}',
    "kubectl.kubernetes.io/restartedAt": "2026-11-20T08:00:00Z",
  },
  namespace_labels: {
    "kubernetes.io/metadata.name": "shop",
    "pod-security.kubernetes.io/enforce": "baseline",
  },
  service_account: "storefront",
  node: "worker-2",
  images: [
    {
      container: "app",
      image: "ghcr.io/acme/storefront:1.4.2",
      image_id: `ghcr.io/acme/storefront@sha256:3f2a9c1b7d4e${"0".repeat(52)}`,
    },
    { container: "envoy", image: "envoyproxy/envoy:v1.29", image_id: null },
  ],
  owners: [
    { kind: "ReplicaSet", name: "storefront-7d9c8b6f5" },
    { kind: "Deployment", name: "storefront" },
  ],
  replicas: 3,
};

/**
 * An exception drafted from two dismissed cases and opened as a pull request. Its values come from
 * Falco fields, so one of them tries markup and a fence break, as an attacker's would.
 */
export const openProposal: RuleProposal = {
  id: "soc_dismissed_0a1b2c3d",
  kind: "exception",
  trigger: "dismissed",
  rule: { name: "Read sensitive file untrusted", priority: "WARNING" },
  name: "soc_dismissed_0a1b2c3d",
  yaml: [
    "- rule: Read sensitive file untrusted",
    "  exceptions:",
    "    - name: soc_dismissed_0a1b2c3d",
    "      fields: [container.image.repository, proc.cmdline]",
    "      comps: [=, =]",
    '      values: [[ghcr.io/acme/backup, "restic ```\\n@channel [x](http://evil)"]]',
    "  append: true",
    "",
  ].join("\n"),
  case_id: "C-7K2F9",
  cases: ["C-7K2F9", "C-ABCDE"],
  validation: { ok: true, messages: [] },
  replay: {
    events: 20,
    dismissed: 2,
    spared_dismissed: 2,
    spared_approved: [],
    spared_open: [],
    approved: 0,
    matched_approved: 0,
    hits: ["C-7K2F9", "C-ABCDE"],
    per_day: 2,
    unreplayable: 0,
    missing_fields: [],
  },
  gate: {
    outcome: "pull_request",
    reasons: ["validated, replayed and within every limit: a pull request for a human to merge"],
    policy_version: "test-1",
  },
  state: "open",
  described_by: null,
  confirmed_by: null,
  pull_request: {
    number: 7,
    url: "http://127.0.0.1:3000/soc/falco-rules/pulls/7",
    branch: "soc/soc_dismissed_0a1b2c3d",
  },
  error: null,
  created_at: "2026-11-24T09:10:00.000Z",
};
