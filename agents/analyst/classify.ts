import type { Analysis, Evidence, ProposedAction, Severity } from "../../contracts/analysis.js";
import type { AssetContext } from "../../contracts/cluster.js";
import { workloadOf, type FalcoEvent } from "../../contracts/falco.js";
import { tacticFromTags, techniqueFromTags } from "./techniques.js";

const severityByPriority: Record<FalcoEvent["priority"], Severity> = {
  Emergency: "critical",
  Alert: "critical",
  Critical: "critical",
  Error: "high",
  Warning: "medium",
  Notice: "low",
  Informational: "low",
  Debug: "low",
};

/** How far a rule's own maturity lets us trust it (falcosecurity/rules maturity tags). */
const confidenceByMaturity: Record<string, number> = {
  maturity_stable: 0.85,
  maturity_incubating: 0.7,
  maturity_sandbox: 0.55,
  maturity_deprecated: 0.4,
};

/**
 * The deterministic analyst: MITRE ATT&CK from the rule's tags, severity from its priority,
 * confidence from the rule's maturity and the corroborating evidence, and the least disruptive
 * response that contains the threat. Only structured fields decide; free text never does.
 */
export function classify(event: FalcoEvent, evidence: Evidence): Analysis {
  const technique = techniqueFromTags(event.tags);
  const tactic = tacticFromTags(event.tags);
  let severity = severityByPriority[event.priority];
  // Several distinct rules firing on one pod is an attack in progress, not a single oddity.
  const corroborated = evidence.distinct_rules.length >= 2;
  if (corroborated && severity === "medium") severity = "high";
  const maturity = event.tags.find((t) => t.startsWith("maturity_"));
  let confidence = (maturity ? confidenceByMaturity[maturity] : undefined) ?? 0.6;
  if (corroborated) confidence += 0.05 * Math.min(evidence.distinct_rules.length - 1, 2);
  if (!technique && !tactic) confidence = Math.min(confidence, 0.5);
  confidence = Math.round(Math.min(confidence, 0.99) * 100) / 100;
  const action = propose(event, severity, technique !== null || tactic !== null, evidence.context);
  const rationale = [
    technique ? `rule tags map to ${technique.id} ${technique.name}` : "rule tags carry no MITRE technique",
    `${event.priority} priority → ${severity} severity`,
    corroborated
      ? `corroborated by ${evidence.distinct_rules.length} distinct rules on the pod`
      : "no corroborating rules on the pod",
  ].join("; ");
  const asset_tags = assetTags(evidence.context);
  return {
    tactic: tactic?.name ?? null,
    technique,
    severity,
    confidence,
    action,
    asset_tags,
    rationale,
    narrative: null,
  };
}

/** The label that names a workload's asset class, which the policy may always escalate. */
export const ASSET_CLASS_LABEL = "soc.fleet/asset-class";

const unverified: Partial<Record<AssetContext["status"], string>> = {
  not_found: "target-not-found",
  image_mismatch: "image-mismatch",
  unavailable: "cluster-unreachable",
};

/** The asset tags the live workload implies: its class, or why it could not be verified. */
export function assetTags(context: AssetContext): string[] {
  const tags: string[] = [];
  const problem = unverified[context.status];
  if (problem) tags.push(problem);
  const assetClass = context.labels[ASSET_CLASS_LABEL] ?? context.namespace_labels[ASSET_CLASS_LABEL];
  if (assetClass) tags.push(assetClass);
  return tags;
}

function propose(
  event: FalcoEvent,
  severity: Severity,
  mapped: boolean,
  context: AssetContext,
): ProposedAction {
  const w = workloadOf(event);
  const none: ProposedAction = {
    type: "none",
    target: { kind: "None", namespace: null, name: null, labels: {}, image: null },
    blast_radius: { pods: 0, nodes: 0, namespaces: 0 },
    description: "no response: nothing in the cluster to act on",
  };
  if (!mapped || severity === "low")
    return { ...none, description: "no response: not an attack technique worth acting on" };
  if (!w.pod) {
    // An audit event's hostname is Falco's host, not the node of the workload: nothing to cordon.
    if (!w.node || event.source === "k8s_audit") return none;
    return {
      type: "cordon_node",
      target: { kind: "Node", namespace: null, name: w.node, labels: {}, image: null },
      blast_radius: { pods: 0, nodes: 1, namespaces: 0 },
      description: `cordon node ${w.node} so nothing new is scheduled on it`,
    };
  }
  // The labels are the live pod's, never Falco's word for them; the blast radius is read again by the reviewer.
  const target = {
    kind: "Pod" as const,
    namespace: w.namespace,
    name: w.pod,
    labels: context.labels,
    image: w.image,
  };
  const radius = { pods: 1, nodes: context.status === "found" && !context.node ? 0 : 1, namespaces: 1 };
  if (severity === "medium") {
    return {
      type: "label_pod",
      target,
      blast_radius: radius,
      description: `label pod ${w.namespace ?? ""}/${w.pod} for quarantine review`,
    };
  }
  return {
    type: "isolate_pod",
    target,
    blast_radius: radius,
    description: `isolate pod ${w.namespace ?? ""}/${w.pod} from the network`,
  };
}
