import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, parseAllDocuments } from "yaml";
import { chartDir } from "../fleet/helm.js";
import type { KubeObject } from "../fleet/kube-apiserver/index.js";
import { helmBinary } from "../fleet/tools/kubernetes.js";

const log = (line: string) => process.stdout.write(`${line}\n`);

/** The chart's values file with every option on (helm/soc-fleet/ci/, where chart tooling looks). */
export const allOptionsValues = join(chartDir, "ci", "all-options-values.yaml");
/** Over the all-options values: the prefilter scaled by KEDA instead of the HPA (the chart refuses both). */
export const kedaValues = join(chartDir, "ci", "keda-values.yaml");

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

/** The chart rendered as release `soc` in `namespace`, with `values` (an object) as its values file. */
export function renderValues(values: unknown, namespace: string): KubeObject[] {
  const dir = mkdtempSync(join(tmpdir(), "soc-values-"));
  try {
    const file = join(dir, "values.yaml");
    writeFileSync(file, JSON.stringify(values));
    return renderChart([file], { namespace });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const findObject = (objects: readonly KubeObject[], kind: string, name: string) =>
  objects.find((o) => o.kind === kind && o.metadata?.name === name);

/** Every port of a rendered Service (none if there is no such Service). */
export function servicePorts(
  objects: readonly KubeObject[],
  service: string,
): { name: string; port: number }[] {
  const spec = findObject(objects, "Service", service)?.spec as
    { ports?: { name: string; port: number }[] } | undefined;
  return spec?.ports ?? [];
}

/** Where a rendered Service's port of that name answers in the cluster: `<service>.<namespace>.svc:<port>`. */
export function serviceHost(
  objects: readonly KubeObject[],
  namespace: string,
  service: string,
  port: string,
): string {
  return `${service}.${namespace}.svc:${servicePorts(objects, service).find((p) => p.name === port)?.port ?? "?"}`;
}

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string } };
}

/** A rendered component's environment: name → value, or `secret:<name>` for a Secret's key. */
export function componentEnv(objects: readonly KubeObject[], component: string): Record<string, string> {
  const deployment = findObject(objects, "Deployment", `soc-${component}`);
  const pod = (deployment?.spec as { template: { spec: { containers: { name: string; env?: EnvVar[] }[] } } })
    .template.spec;
  const env = pod.containers.find((c) => c.name === component)?.env ?? [];
  return Object.fromEntries(
    env.map((e) => [e.name, e.value ?? `secret:${e.valueFrom?.secretKeyRef?.name ?? ""}`]),
  );
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
