import { execFileSync } from "node:child_process";
import { opaBinary } from "../fleet/tools/opa.js";

/** Tests run the fleet as compiled processes, as `npm start` does: build once, and make sure OPA is there. */
export default function setup(): void {
  // Each project of the fleet's tests names this setup; one build serves them all.
  if (process.env.SOC_TEST_BUILT) return;
  execFileSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.build.json"], {
    stdio: "inherit",
  });
  process.env.SOC_OPA_BIN = opaBinary((line) => process.stdout.write(`${line}\n`));
  process.env.SOC_TEST_BUILT = "1";
}
