import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";
import type { RbacRule } from "../agents/cluster-actions/actions/action.js";
import { responseActions } from "../agents/cluster-actions/actions/index.js";
import { contextRbac } from "../agents/cluster-actions/context.js";

/** The chart, and the repository it copies files from (Helm cannot read outside the chart). */
export const repoRoot =
  [join(import.meta.dirname, ".."), join(import.meta.dirname, "..", "..")].find((dir) =>
    existsSync(join(dir, "helm", "soc-fleet", "Chart.yaml")),
  ) ?? join(import.meta.dirname, "..");
export const chartDir = join(repoRoot, "helm", "soc-fleet");

/**
 * One file the chart carries a copy of: `source` relative to the repository, `copy` to the chart,
 * and the text the copy must hold (the source's, or what is generated from it).
 */
export interface ChartCopy {
  source: string;
  copy: string;
  text: () => string;
}

function copyOf(root: string, source: string, copy: string): ChartCopy {
  return { source, copy, text: () => readFileSync(join(root, source), "utf8") };
}

/**
 * The RBAC rules of each response action, for the remediation ClusterRole: the chart grants the
 * rules of the actions `rbac.remediation.actions` names, read from these files.
 */
function remediationRules(): ChartCopy[] {
  const rules = (name: string, source: string, rbac: readonly RbacRule[]): ChartCopy => ({
    source,
    copy: join("files", "remediation", `${name}.yaml`),
    text: () =>
      `# The rules ${name} needs: generated from ${source} by \`node dist/fleet/helm.js sync\`.\n` +
      stringify(rbac),
  });
  return [
    // Reading an event's workload, which every case does whatever the action.
    rules("context", join("agents", "cluster-actions", "context.ts"), contextRbac),
    ...Object.values(responseActions).map((action) =>
      rules(action.name, join("agents", "cluster-actions", "actions", "index.ts"), action.rbac),
    ),
  ];
}

/**
 * What the chart copies from the repository, computed from the sources so that a new agent,
 * Kyverno policy or Rego file is picked up by the next sync (and a test notices a stale copy):
 * every agents/<name>/ and bot/<name>/ agent-config.yaml, the ClusterPolicies at the top of policies/kyverno/, and
 * the OPA bundle (policies/.manifest, every data.json and Rego file but the tests), and the RBAC
 * rules of every response action.
 */
export function chartCopies(root = repoRoot): ChartCopy[] {
  const copies: ChartCopy[] = [];
  // Agents in agents/, the front end's agent (notify) in bot/: the same places loadAgentConfig reads.
  for (const dir of ["agents", "bot"]) {
    for (const agent of readdirSync(join(root, dir)).sort()) {
      const source = join(dir, agent, "agent-config.yaml");
      if (existsSync(join(root, source)))
        copies.push(copyOf(root, source, join("files", "agents", `${agent}.yaml`)));
    }
  }
  for (const file of readdirSync(join(root, "policies", "kyverno")).sort()) {
    if (file.endsWith(".yaml"))
      copies.push(copyOf(root, join("policies", "kyverno", file), join("files", "kyverno", file)));
  }
  copies.push(copyOf(root, join("policies", ".manifest"), join("files", "policies", ".manifest")));
  const rego = readdirSync(join(root, "policies", "soc"), { recursive: true, encoding: "utf8" })
    .filter(
      (file) =>
        file === "data.json" ||
        file.endsWith("/data.json") ||
        (file.endsWith(".rego") && !file.endsWith("_test.rego")),
    )
    .sort();
  for (const file of rego)
    copies.push(copyOf(root, join("policies", "soc", file), join("files", "policies", "soc", file)));
  return [...copies, ...remediationRules()];
}

/** The folders of the chart that hold nothing but copies: a sync replaces them whole. */
export const copiedFolders = [
  join("files", "agents"),
  join("files", "kyverno"),
  join("files", "policies"),
  join("files", "remediation"),
];

/** Rewrites the chart's copies from their sources: `node dist/fleet/helm.js sync`. */
export function syncChart(root = repoRoot, chart = join(root, "helm", "soc-fleet")): ChartCopy[] {
  for (const folder of copiedFolders) rmSync(join(chart, folder), { recursive: true, force: true });
  const copies = chartCopies(root);
  for (const { copy, text } of copies) {
    mkdirSync(dirname(join(chart, copy)), { recursive: true });
    writeFileSync(join(chart, copy), text());
  }
  return copies;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [command] = process.argv.slice(2);
  if (command === "sync") {
    for (const { source, copy } of syncChart()) console.log(`${source} -> helm/soc-fleet/${copy}`);
  } else {
    console.error("usage: node dist/fleet/helm.js sync");
    process.exit(2);
  }
}
