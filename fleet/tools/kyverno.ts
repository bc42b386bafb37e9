import { join } from "node:path";
import { install, quiet, type CachedTool, type Log } from "./cache.js";
import { goBuild } from "./go.js";

export const KYVERNO_VERSION = "v1.19.1";

/** The Kyverno CLI (`kubectl-kyverno`), which applies the chart's policies to test resources. */
export const kyverno: CachedTool = {
  entry: `kyverno-${KYVERNO_VERSION}`,
  holds: ["kubectl-kyverno"],
  building: `building the Kyverno CLI ${KYVERNO_VERSION} from its Go module (first run only, about six minutes)…`,
  build(dir) {
    goBuild({
      module: `github.com/kyverno/kyverno@${KYVERNO_VERSION}`,
      main: "./cmd/cli/kubectl-kyverno",
      output: join(dir, "kubectl-kyverno"),
    });
  },
};

/** The Kyverno CLI: SOC_KYVERNO_BIN, else the cached build. */
export function kyvernoBinary(log: Log = quiet): string {
  return process.env.SOC_KYVERNO_BIN ?? join(install(kyverno, log), "kubectl-kyverno");
}
