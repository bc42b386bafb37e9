import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The chart, and the repository it copies files from (Helm cannot read outside the chart). */
export const repoRoot =
  [join(import.meta.dirname, ".."), join(import.meta.dirname, "..", "..")].find((dir) =>
    existsSync(join(dir, "helm", "soc-fleet", "Chart.yaml")),
  ) ?? join(import.meta.dirname, "..");
export const chartDir = join(repoRoot, "helm", "soc-fleet");

/** One file the chart carries a copy of: `source` relative to the repository, `copy` to the chart. */
export interface ChartCopy {
  source: string;
  copy: string;
}

/**
 * What the chart copies from the repository, computed from the sources so that a new agent,
 * Kyverno policy or Rego file is picked up by the next sync (and a test notices a stale copy):
 * every agents/<name>/ and bot/<name>/ agent-config.yaml, the ClusterPolicies at the top of policies/kyverno/, and
 * the OPA bundle (policies/.manifest, every data.json and Rego file but the tests).
 */
export function chartCopies(root = repoRoot): ChartCopy[] {
  const copies: ChartCopy[] = [];
  // Agents in agents/, the front end's agent (notify) in bot/: the same places loadAgentConfig reads.
  for (const dir of ["agents", "bot"]) {
    for (const agent of readdirSync(join(root, dir)).sort()) {
      const source = join(dir, agent, "agent-config.yaml");
      if (existsSync(join(root, source)))
        copies.push({ source, copy: join("files", "agents", `${agent}.yaml`) });
    }
  }
  for (const file of readdirSync(join(root, "policies", "kyverno")).sort()) {
    if (file.endsWith(".yaml"))
      copies.push({ source: join("policies", "kyverno", file), copy: join("files", "kyverno", file) });
  }
  copies.push({ source: join("policies", ".manifest"), copy: join("files", "policies", ".manifest") });
  const rego = readdirSync(join(root, "policies", "soc"), { recursive: true, encoding: "utf8" })
    .filter(
      (file) =>
        file === "data.json" ||
        file.endsWith("/data.json") ||
        (file.endsWith(".rego") && !file.endsWith("_test.rego")),
    )
    .sort();
  for (const file of rego)
    copies.push({ source: join("policies", "soc", file), copy: join("files", "policies", "soc", file) });
  return copies;
}

/** The folders of the chart that hold nothing but copies: a sync replaces them whole. */
export const copiedFolders = [join("files", "agents"), join("files", "kyverno"), join("files", "policies")];

/** Rewrites the chart's copies from their sources: `node dist/fleet/helm.js sync`. */
export function syncChart(root = repoRoot, chart = join(root, "helm", "soc-fleet")): ChartCopy[] {
  for (const folder of copiedFolders) rmSync(join(chart, folder), { recursive: true, force: true });
  const copies = chartCopies(root);
  for (const { source, copy } of copies) {
    mkdirSync(dirname(join(chart, copy)), { recursive: true });
    copyFileSync(join(root, source), join(chart, copy));
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
