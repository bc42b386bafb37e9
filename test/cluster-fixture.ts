import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { responseActions } from "../agents/cluster-actions/actions/index.js";
import { ciliumNetworkPolicyCrd, KubeApiServer, type KubeObject } from "../fleet/kube-apiserver/index.js";
import { renderChart } from "./chart.js";

const log = (line: string) => process.stdout.write(`${line}\n`);

/**
 * The chart's remediation ClusterRole and its binding, rendered by helm for `actions`, bound to the
 * ServiceAccount `account` of soc-fleet and named `name` (two grants can live side by side).
 */
export function chartRbac(name: string, account: string, actions: readonly string[]): KubeObject[] {
  const work = mkdtempSync(join(tmpdir(), "soc-chart-rbac-"));
  try {
    const values = join(work, "values.json");
    writeFileSync(values, JSON.stringify({ rbac: { remediation: { actions } } }));
    const objects = renderChart([values]);
    const role = objects.find(
      (o) => o.kind === "ClusterRole" && o.metadata?.name === "soc-fleet-remediation",
    );
    const binding = objects.find(
      (o) => o.kind === "ClusterRoleBinding" && o.metadata?.name === "soc-fleet-remediation",
    );
    if (!role || !binding) throw new Error("the chart rendered no remediation ClusterRole");
    return [
      { ...role, metadata: { name } },
      {
        ...binding,
        metadata: { name },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name },
        subjects: [{ kind: "ServiceAccount", name: account, namespace: "soc-fleet" }],
      },
    ];
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * A real API server with Cilium's CRD, the shop namespace, and soc-fleet's remediation
 * ServiceAccount soc-remediate holding the chart's RBAC for every action; `crds` installed too,
 * `objects` applied last.
 */
export async function remediationCluster(
  objects: readonly KubeObject[] = [],
  crds: readonly KubeObject[] = [],
): Promise<KubeApiServer> {
  const server = await KubeApiServer.start({ crds: [ciliumNetworkPolicyCrd(), ...crds], log });
  await server.namespace("shop");
  await server.namespace("soc-fleet");
  await server.apply([
    { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "soc-remediate", namespace: "soc-fleet" } },
    ...chartRbac("soc-fleet-remediation", "soc-remediate", Object.keys(responseActions)),
    ...objects,
  ]);
  return server;
}
