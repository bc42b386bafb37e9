import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { kubeconformBinary, kubernetesSchemas } from "../fleet/tools/kubernetes.js";

const log = (line: string) => process.stdout.write(`${line}\n`);

/** The shared CRD schemas, {group}/{kind}_{version}.json: the repository is cloned with ../shared beside it. */
export const sharedCrds = join(import.meta.dirname, "..", "..", "shared", "schemas", "crds");

export interface KubeconformSummary {
  valid: number;
  invalid: number;
  errors: number;
  skipped: number;
}

/**
 * `kubeconform -strict` over a manifest (any number of documents): core kinds against Kubernetes'
 * schemas offline, other kinds against ../shared/schemas/crds and then each of `schemaDirs` (laid
 * out the same way). Logs every object it finds wrong, with kubeconform's message.
 */
export function kubeconform(manifest: string, schemaDirs: readonly string[] = []): KubeconformSummary {
  const work = mkdtempSync(join(tmpdir(), "soc-kubeconform-"));
  try {
    const file = join(work, "manifest.yaml");
    writeFileSync(file, manifest);
    const crdLocations = [sharedCrds, ...schemaDirs].flatMap((dir) => [
      "-schema-location",
      `${dir}/{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json`,
    ]);
    const run = spawnSync(
      kubeconformBinary(log),
      [
        "-strict",
        "-summary",
        "-output",
        "json",
        "-schema-location",
        `${kubernetesSchemas(log)}/{{.ResourceKind}}{{.KindSuffix}}.json`,
        ...crdLocations,
        file,
      ],
      { encoding: "utf8", maxBuffer: 64 << 20 },
    );
    const report = JSON.parse(run.stdout) as {
      resources?: { msg: string; name: string; kind: string }[];
      summary: KubeconformSummary;
    };
    for (const resource of report.resources ?? [])
      log(`kubeconform: ${resource.kind} ${resource.name}: ${resource.msg}`);
    return report.summary;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
