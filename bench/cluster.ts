import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { responseActions } from "../agents/cluster-actions/actions/index.js";
import { assetContext } from "../agents/cluster-actions/context.js";
import { ActionJournal } from "../agents/cluster-actions/journal.js";
import { KubeApi } from "../runtime/kube.js";
import { ciliumNetworkPolicyCrd, KubeApiServer } from "../fleet/kube-apiserver/index.js";
import { summary, timed } from "./figures.js";
import { caseIdOf, countingRequests, isolateDirectly, labelPatch, pods, remediationAccount } from "./kube.js";

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
  const kubeconfig = await remediationAccount(server, [responseActions.isolate_pod]);
  await server.apply(pods("web", 2 * (count + warmup), { app: "web" }));
  const api = KubeApi.load(kubeconfig);
  if (!api) throw new Error("no API from the kubeconfig");
  const counted = countingRequests(api);

  const floor = await timed(count, warmup, (i) => labelPatch(api, `web-${i}`));

  const journal = new ActionJournal(join(work, "journal.db"));
  const isolate = await timed(count, warmup, (i) => {
    const pod = count + warmup + i;
    return isolateDirectly(counted.cluster, journal, `web-${pod}`, caseIdOf(pod));
  });
  const perAction = counted.sent / (count + warmup);

  counted.sent = 0;
  const context = await timed(count, warmup, async (i) => {
    const found = await assetContext(counted.cluster, { namespace: "shop", pod: `web-${i}`, image: "nginx" });
    if (found.status !== "found") throw new Error(found.detail);
  });
  const perCase = counted.sent / (count + warmup);
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
