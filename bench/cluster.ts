import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ResponseAction } from "../agents/cluster-actions/actions/action.js";
import { responseActions } from "../agents/cluster-actions/actions/index.js";
import { assetContext } from "../agents/cluster-actions/context.js";
import { carryOut, type ClusterApi } from "../agents/cluster-actions/execute.js";
import { ActionJournal } from "../agents/cluster-actions/journal.js";
import { KubeApi } from "../agents/cluster-actions/kube.js";
import { ciliumNetworkPolicyCrd, KubeApiServer, type KubeObject } from "../fleet/kube-apiserver/index.js";

/**
 * `npm run build && node dist/bench/cluster.js [--actions=200]`: response actions against a real
 * kube-apiserver over etcd (no kubelet), as a ServiceAccount with exactly the rights they declare.
 * 1. The floor: one label patch per pod, sent directly with the client.
 * 2. isolate_pod carried out in enforce mode: the record written first, what undo needs read, the
 *    label and the CiliumNetworkPolicy sent, the effect verified; p50/p99 and API requests per action.
 * 3. The live context of a case (the pod, its namespace, its owners): p50/p99 and requests per case.
 */
const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, "").split("=") as [string, string]));
const count = Number(args.get("actions") ?? 200);
const warmup = 20;

const work = mkdtempSync(join(tmpdir(), "soc-bench-cluster-"));
const server = await KubeApiServer.start({ crds: [ciliumNetworkPolicyCrd()], log: (l) => console.log(l) });
try {
  await server.namespace("shop");
  await server.namespace("soc-fleet");
  const actions = [responseActions.isolate_pod as ResponseAction];
  await server.apply([
    { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "soc-remediate", namespace: "soc-fleet" } },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: "soc-bench" },
      rules: actions
        .flatMap((action) => action.rbac)
        .concat([{ apiGroups: ["*"], resources: ["*"], verbs: ["get"] }]),
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: "soc-bench" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "soc-bench" },
      subjects: [{ kind: "ServiceAccount", name: "soc-remediate", namespace: "soc-fleet" }],
    },
  ]);
  const total = 2 * (count + warmup);
  const pods: KubeObject[] = Array.from({ length: total }, (_, i) => ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: `web-${i}`, namespace: "shop", labels: { app: "web" } },
    spec: { containers: [{ name: "web", image: "docker.io/library/nginx:1.27" }] },
  }));
  await server.apply(pods);
  const api = KubeApi.load(server.kubeconfigFor(await server.token("soc-fleet", "soc-remediate")));
  if (!api) throw new Error("no API from the kubeconfig");
  let requests = 0;
  const counted: ClusterApi = {
    get: (path) => (requests++, api.get(path)),
    list: (path, selectors) => (requests++, api.list(path, selectors)),
    serves: (gv, resource) => (requests++, api.serves(gv, resource)),
    send: (request, options) => (requests++, api.send(request, options)),
  };

  const floor = await timed(count, warmup, async (i) => {
    const reply = await api.send({
      method: "PATCH",
      path: `/api/v1/namespaces/shop/pods/web-${i}`,
      contentType: "application/merge-patch+json",
      body: { metadata: { labels: { "soc.fleet/quarantine": "true" } } },
    });
    if (reply.status !== 200) throw new Error(`patch refused: ${reply.status}`);
  });

  const journal = new ActionJournal(join(work, "journal.db"));
  requests = 0;
  const isolate = await timed(count, warmup, async (i) => {
    const pod = count + warmup + i;
    const record = await carryOut(
      responseActions.isolate_pod,
      { namespace: "shop", name: `web-${pod}` },
      caseIdOf(pod),
      `bench-${pod}`,
      { mode: "enforce", cluster: counted, journal },
    );
    if (!record.verification?.ok) throw new Error(`not verified: ${record.verification?.detail ?? "?"}`);
  });
  const perAction = requests / (count + warmup);

  requests = 0;
  const context = await timed(count, warmup, async (i) => {
    const found = await assetContext(counted, { namespace: "shop", pod: `web-${i}`, image: "nginx" });
    if (found.status !== "found") throw new Error(found.detail);
  });
  const perCase = requests / (count + warmup);
  journal.close();

  console.log(
    `kube-apiserver v1.37.2 over etcd 3.7.3 on 127.0.0.1, ${count} measured after ${warmup} warm-up`,
  );
  console.log(`floor: one label patch sent with the client       ${summary(floor)}`);
  console.log(
    `isolate_pod, enforce, recorded and verified       ${summary(isolate)}   ${perAction.toFixed(1)} API requests each`,
  );
  console.log(
    `live context of a case (pod, namespace, owners)   ${summary(context)}   ${perCase.toFixed(1)} API requests each`,
  );
} finally {
  await server.stop();
  rmSync(work, { recursive: true, force: true });
}

/** A distinct case id per index, in the case id alphabet (no 0/O, 1/I). */
function caseIdOf(i: number): string {
  const alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
  let id = "";
  for (let rest = i, n = 0; n < 5; n++, rest = Math.floor(rest / alphabet.length))
    id += alphabet.charAt(rest % alphabet.length);
  return `C-${id}`;
}

/** Runs `once` for `warm + n` indices one after another; returns the last n durations in ms. */
async function timed(n: number, warm: number, once: (i: number) => Promise<void>): Promise<number[]> {
  const durations: number[] = [];
  for (let i = 0; i < warm + n; i++) {
    const start = performance.now();
    await once(i);
    if (i >= warm) durations.push(performance.now() - start);
  }
  return durations;
}

function summary(durations: number[]): string {
  const sorted = [...durations].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return `p50 ${at(0.5).toFixed(2)} ms  p99 ${at(0.99).toFixed(2)} ms`;
}
