import { join } from "node:path";
import { install, quiet, type CachedTool, type Log } from "./cache.js";
import { goBuild } from "./go.js";

export const OPA_VERSION = "v1.22.2";

/** OPA, which runs the policies beside the policy engine and compiles them to Wasm. */
export const opa: CachedTool = {
  entry: `opa-${OPA_VERSION}`,
  holds: ["opa"],
  building: `building OPA ${OPA_VERSION} from its Go module (first run only, about two minutes)…`,
  build(dir) {
    goBuild({
      module: `github.com/open-policy-agent/opa@${OPA_VERSION}`,
      main: ".",
      output: join(dir, "opa"),
    });
  },
};

/** The OPA binary: SOC_OPA_BIN, else the cached build. */
export function opaBinary(log: Log = quiet): string {
  return process.env.SOC_OPA_BIN ?? join(install(opa, log), "opa");
}
