import type { ResponseAction } from "../agents/cluster-actions/actions/action.js";
import { responseActions } from "../agents/cluster-actions/actions/index.js";
import { contextRbac } from "../agents/cluster-actions/context.js";
import { carryOut, type ClusterApi } from "../agents/cluster-actions/execute.js";
import type { ActionJournal } from "../agents/cluster-actions/journal.js";
import type { KubeApiServer, KubeObject } from "../fleet/kube-apiserver/index.js";

/**
 * What the cluster benches share: a real API server set up as the chart sets up remediation, and
 * the floor (the requests of a response action sent directly with the fleet's own client).
 */
export const namespace = "shop";

/** Pods `<prefix>-0 … <prefix>-(n-1)` of the shop namespace, running nginx, with `labels`. */
export function pods(prefix: string, n: number, labels: Record<string, string>): KubeObject[] {
  return Array.from({ length: n }, (_, i) => ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: `${prefix}-${i}`, namespace, labels },
    spec: { containers: [{ name: "web", image: "docker.io/library/nginx:1.27" }] },
  }));
}

/**
 * The shop and soc-fleet namespaces and the ServiceAccount soc-fleet/soc-remediate, bound to the
 * rules the chart's remediation ClusterRole is generated from: reading a case's context, and what
 * each of `actions` declares. Returns a kubeconfig that authenticates as that ServiceAccount.
 */
export async function remediationAccount(
  server: KubeApiServer,
  actions: readonly ResponseAction[],
): Promise<string> {
  await server.namespace(namespace);
  await server.namespace("soc-fleet");
  await server.apply([
    { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "soc-remediate", namespace: "soc-fleet" } },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: "soc-bench-remediation" },
      rules: [...contextRbac, ...actions.flatMap((action) => action.rbac)],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: "soc-bench-remediation" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "soc-bench-remediation" },
      subjects: [{ kind: "ServiceAccount", name: "soc-remediate", namespace: "soc-fleet" }],
    },
  ]);
  return server.kubeconfigFor(await server.token("soc-fleet", "soc-remediate"));
}

/** `api` with a count of the requests sent through it, discovery included. */
export function countingRequests(api: ClusterApi): { cluster: ClusterApi; sent: number } {
  const counter = { sent: 0 };
  const cluster: ClusterApi = {
    get: (path) => (counter.sent++, api.get(path)),
    list: (path, selectors) => (counter.sent++, api.list(path, selectors)),
    serves: (gv, resource) => (counter.sent++, api.serves(gv, resource)),
    send: (request, options) => (counter.sent++, api.send(request, options)),
  };
  return Object.assign(counter, { cluster });
}

/** The floor of every action: one label patch on a pod, sent with the client. */
export async function labelPatch(cluster: ClusterApi, pod: string): Promise<void> {
  const reply = await cluster.send({
    method: "PATCH",
    path: `/api/v1/namespaces/${namespace}/pods/${pod}`,
    contentType: "application/merge-patch+json",
    body: { metadata: { labels: { "soc.fleet/quarantine": "true" } } },
  });
  if (reply.status !== 200) throw new Error(`patch refused: ${reply.status}`);
}

/**
 * isolate_pod carried out in enforce mode as cluster-actions does it, without the fleet: the
 * record written first, what undo needs read, the label and the CiliumNetworkPolicy sent, the
 * effect verified. Throws unless verified.
 */
export async function isolateDirectly(
  cluster: ClusterApi,
  journal: ActionJournal,
  pod: string,
  caseId: string,
): Promise<void> {
  const record = await carryOut(
    responseActions.isolate_pod,
    { namespace, name: pod },
    caseId,
    `bench-${pod}`,
    { mode: "enforce", cluster, journal },
  );
  if (!record.verification?.ok) throw new Error(`not verified: ${record.verification?.detail ?? "?"}`);
}

/** A distinct case id per index, in the case id alphabet (no 0/O, 1/I). */
export function caseIdOf(i: number): string {
  const alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
  let id = "";
  for (let rest = i, n = 0; n < 5; n++, rest = Math.floor(rest / alphabet.length))
    id += alphabet.charAt(rest % alphabet.length);
  return `C-${id}`;
}

/**
 * Requests the API server has served, by `VERB resource`, from its apiserver_request_total: what
 * any client sent, the fleet's processes included. Discovery (`GET /apis/<group>/<version>`) is not
 * in it; the server's own lease renewals are left out.
 */
export async function servedRequests(server: KubeApiServer): Promise<Map<string, number>> {
  const reply = await server.request("GET", "/metrics");
  const served = new Map<string, number>();
  for (const line of (reply.body.message ?? "").split("\n")) {
    if (!line.startsWith("apiserver_request_total{")) continue;
    const labels = new Map([...line.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    const resource = labels.get("resource");
    if (!resource || resource === "leases") continue;
    const subresource = labels.get("subresource");
    const key = `${labels.get("verb") ?? "?"} ${resource}${subresource ? `/${subresource}` : ""}`;
    served.set(key, (served.get(key) ?? 0) + Number(line.slice(line.lastIndexOf(" ") + 1)));
  }
  return served;
}

/** What was served between two `servedRequests`, by `VERB resource`, most first. */
export function servedBetween(before: Map<string, number>, after: Map<string, number>): [string, number][] {
  return [...after]
    .map(([key, n]): [string, number] => [key, n - (before.get(key) ?? 0)])
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1]);
}
