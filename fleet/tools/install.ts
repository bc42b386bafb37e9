import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { repoRoot } from "../helm.js";
import { trainingDir } from "../python.js";
import { install, toolCacheDir, type CachedTool } from "./cache.js";
import { kafkaJars } from "./kafka.js";
import { falcoLang } from "./falco-lang.js";
import { gitea } from "./gitea.js";
import { etcd, kubeApiserver } from "./kube-apiserver.js";
import { kubeconform, kubectlLayer, kubernetesSchemaSet } from "./kubernetes.js";
import { kyverno } from "./kyverno.js";
import { mattermost } from "./mattermost.js";
import { opa } from "./opa.js";
import { promtool } from "./prometheus.js";
import { pythonVenv } from "./python.js";
import { regal } from "./regal.js";
import { smollm2 } from "./smollm2.js";

/** The Python a2a-sdk the interop test drives the agents with (test/interop/). */
export const a2aInteropRequirements = join(repoRoot, "test", "interop", "requirements.txt");

/** Every tool the fleet and its tests run, in the order a fresh machine builds them. */
export function tools(): CachedTool[] {
  return [
    opa,
    regal,
    falcoLang,
    kyverno,
    promtool,
    mattermost,
    gitea,
    kubectlLayer,
    kubeconform,
    etcd,
    kubeApiserver,
    kubernetesSchemaSet,
    kafkaJars(),
    pythonVenv(join(trainingDir(), "requirements.txt")),
    pythonVenv(a2aInteropRequirements),
    smollm2,
  ];
}

// `node dist/fleet/tools/install.js`: every tool complete in the cache, built where one is not.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(`tool cache: ${toolCacheDir()}`);
  for (const tool of tools()) {
    const started = Date.now();
    const dir = install(tool, (line) => console.log(`  ${line}`));
    console.log(`${tool.entry}: ${dir} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  }
}
