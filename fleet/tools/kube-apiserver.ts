import { rmSync } from "node:fs";
import { join } from "node:path";
import { install, quiet, type CachedTool, type Log } from "./cache.js";
import { goBuild, goBuildWrapper } from "./go.js";

export const ETCD_VERSION = "v3.7.3";
export const KUBERNETES_VERSION = "v1.37.2";
/** The version of the `k8s.io/*` library modules released with KUBERNETES_VERSION. */
const STAGING_VERSION = KUBERNETES_VERSION.replace(/^v1\./, "v0.");

/**
 * etcd, the API server's store. `go install` refuses it (its go.mod replaces its sibling modules
 * with folders of its repository), so a wrapper module calls its main package's entry point and
 * takes those siblings at their released versions.
 */
export const etcd: CachedTool = {
  entry: `etcd-${ETCD_VERSION}`,
  holds: ["etcd"],
  building: `building etcd ${ETCD_VERSION} from its Go modules (first run only, about two minutes)…`,
  build(dir) {
    goBuildWrapper({
      module: `go.etcd.io/etcd/server/v3@${ETCD_VERSION}`,
      main: [
        "package main",
        "",
        'import "os"',
        'import "go.etcd.io/etcd/server/v3/etcdmain"',
        "",
        "func main() { etcdmain.Main(os.Args) }",
        "",
      ].join("\n"),
      output: join(dir, "etcd"),
    });
  },
};

/** Staging modules that are examples only: nothing imports them, and the proxy refuses them. */
const UNUSED_STAGING = new Set(["k8s.io/sample-cli-plugin", "k8s.io/sample-controller"]);

interface GoModJson {
  Replace?: { Old: { Path: string }; New: { Path: string } }[] | null;
}

/**
 * The Kubernetes repository builds against its `staging/` folders through a go.work and `replace`
 * directives, which the module's zip keeps but cannot satisfy on its own: every such replace gives
 * way to the library module released with this version, and the workspace and vendor folder go.
 */
function buildAgainstReleasedStaging(src: string, go: (args: string[]) => string): void {
  for (const file of ["go.work", "go.work.sum", "vendor"])
    rmSync(join(src, file), { recursive: true, force: true });
  const mod = JSON.parse(go(["mod", "edit", "-json"])) as GoModJson;
  const edits: string[] = [];
  for (const { Old, New } of mod.Replace ?? []) {
    if (!New.Path.startsWith("./staging/")) continue;
    edits.push(`-dropreplace=${Old.Path}`);
    edits.push(
      UNUSED_STAGING.has(Old.Path) ? `-droprequire=${Old.Path}` : `-require=${Old.Path}@${STAGING_VERSION}`,
    );
  }
  if (edits.length === 0) throw new Error("go.mod has no ./staging replace directives to rewrite");
  go(["mod", "edit", ...edits]);
}

/** kube-apiserver, built from the Kubernetes module against its released library modules. */
export const kubeApiserver: CachedTool = {
  entry: `kube-apiserver-${KUBERNETES_VERSION}`,
  holds: ["kube-apiserver"],
  building: `building kube-apiserver ${KUBERNETES_VERSION} from the Kubernetes Go module (first run only, about five minutes, 2.5 GB of memory)…`,
  build(dir) {
    goBuild({
      module: `k8s.io/kubernetes@${KUBERNETES_VERSION}`,
      main: "./cmd/kube-apiserver",
      output: join(dir, "kube-apiserver"),
      prepare: buildAgainstReleasedStaging,
      // Without the version stamp the server reports v0.0.0, which clients and tests cannot read.
      ldflags: `-s -w -X k8s.io/component-base/version.gitVersion=${KUBERNETES_VERSION}`,
    });
  },
};

/** The etcd binary: SOC_ETCD_BIN, else the cached build. */
export function etcdBinary(log: Log = quiet): string {
  return process.env.SOC_ETCD_BIN ?? join(install(etcd, log), "etcd");
}

/** The kube-apiserver binary: SOC_KUBE_APISERVER_BIN, else the cached build. */
export function kubeApiserverBinary(log: Log = quiet): string {
  return process.env.SOC_KUBE_APISERVER_BIN ?? join(install(kubeApiserver, log), "kube-apiserver");
}
