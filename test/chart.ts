import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse, parseAllDocuments } from "yaml";
import { chartDir } from "../fleet/helm.js";
import type { KubeObject } from "../fleet/kube-apiserver/index.js";
import { helmBinary } from "../fleet/tools/kubernetes.js";

const log = (line: string) => process.stdout.write(`${line}\n`);

/** The chart's values file with every option on (helm/soc-fleet/ci/, where chart tooling looks). */
export const allOptionsValues = join(chartDir, "ci", "all-options-values.yaml");

export interface RenderOptions {
  namespace?: string;
  /** Also the CRDs of crds/, as `helm install` applies them first. */
  includeCrds?: boolean;
}

/** `helm template` of the chart as release `soc`; throws with helm's message if it refuses. */
export function helmTemplate(valueFiles: readonly string[] = [], options: RenderOptions = {}): string {
  const { namespace = "soc-fleet", includeCrds = false } = options;
  const args = [
    "template",
    "soc",
    chartDir,
    "--namespace",
    namespace,
    ...(includeCrds ? ["--include-crds"] : []),
  ];
  const run = spawnSync(helmBinary(log), [...args, ...valueFiles.flatMap((file) => ["--values", file])], {
    encoding: "utf8",
    maxBuffer: 64 << 20,
  });
  if (run.status !== 0) throw new Error(`helm template failed: ${run.stderr}`);
  return run.stdout;
}

/** The objects of a rendered manifest, in order. */
export function manifestObjects(manifest: string): KubeObject[] {
  return parseAllDocuments(manifest)
    .map((doc) => doc.toJS() as KubeObject | null)
    .filter((doc): doc is KubeObject => doc !== null);
}

export function renderChart(valueFiles: readonly string[] = [], options: RenderOptions = {}): KubeObject[] {
  return manifestObjects(helmTemplate(valueFiles, options));
}

type Tree = Record<string, unknown>;
const isTree = (value: unknown): value is Tree =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** values.yaml with `valueFiles` merged over it as Helm merges them: maps key by key, the rest replaced. */
export function chartValues(valueFiles: readonly string[] = []): Tree {
  const merge = (base: Tree, over: Tree): Tree => {
    const out: Tree = { ...base };
    for (const [key, value] of Object.entries(over))
      out[key] = isTree(value) && isTree(out[key]) ? merge(out[key], value) : value;
    return out;
  };
  const read = (file: string) => parse(readFileSync(file, "utf8")) as Tree;
  return valueFiles.map(read).reduce(merge, read(join(chartDir, "values.yaml")));
}
