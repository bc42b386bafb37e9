import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { agentConfigPath } from "../fleet/agent-config.js";
import { chartDir } from "../fleet/helm.js";
import { KubeApiServer, type KubeObject } from "../fleet/kube-apiserver/index.js";
import { LocalFleet } from "../fleet/local.js";
import { summary, timed } from "./figures.js";

/**
 * `npm run build && node dist/bench/agent-config.js [--edits=200]`: from an edit of an AgentConfig
 * resource in a real kube-apiserver to the agent having applied it (its status reporting the new
 * generation), with the whole fleet running and every agent following its resource
 * (SOC_AGENT_CONFIG=cluster). Each edit toggles remediate's requireApproval; the agent's read, its
 * checks and its status write are all in the figure.
 */
const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, "").split("=") as [string, string]));
const edits = Number(args.get("edits") ?? 200);
const warmup = 10;
const root = join(import.meta.dirname, "..", "..");
const path = "/apis/soc.fleet/v1alpha1/namespaces/soc-fleet/agentconfigs/remediate";

const crd = parse(readFileSync(join(chartDir, "crds", "agentconfigs.soc.fleet.yaml"), "utf8")) as KubeObject;
const server = await KubeApiServer.start({ crds: [crd], log: (l) => console.log(l) });
let fleet: LocalFleet | undefined;
try {
  await server.namespace("soc-fleet");
  const document = parse(readFileSync(agentConfigPath(root, "remediate") ?? "", "utf8")) as KubeObject;
  await server.apply([{ ...document, metadata: { ...document.metadata, namespace: "soc-fleet" } }]);
  const file = server.adminKubeconfig("soc-fleet");
  fleet = await LocalFleet.start({
    env: { SOC_LOG_LEVEL: "info", SOC_PREFILTER: "priority", KUBECONFIG: file, SOC_AGENT_CONFIG: "cluster" },
  });
  // The status read back every 2 ms, as the admin: the figure is late by at most one read.
  const applied = async (generation: number) => {
    for (const deadline = Date.now() + 10_000; Date.now() < deadline;) {
      const { body } = await server.request("GET", path);
      if ((body.status as { observedGeneration?: number } | undefined)?.observedGeneration === generation)
        return;
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    throw new Error(`generation ${generation} not applied within 10 s`);
  };
  const durations = await timed(edits, warmup, async (i) => {
    const spec = { requireApproval: i % 2 === 0 ? ["cluster-actions/terminate_pod"] : [] };
    const { status, body } = await server.request("PATCH", path, {
      body: { spec },
      contentType: "application/merge-patch+json",
    });
    if (status !== 200) throw new Error(`the edit was refused: ${status} ${String(body.message)}`);
    await applied(Number(body.metadata?.generation));
  });
  console.log(
    `kube-apiserver v1.37.2 over etcd, the fleet following its AgentConfig resources (${edits} edits after ${warmup} warm-up)`,
  );
  console.log(
    `edit accepted → remediate has applied it and says so in its status   ${summary(durations, 1)}`,
  );
} finally {
  await fleet?.stop();
  await server.stop();
}
