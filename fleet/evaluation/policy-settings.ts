import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { ActionType } from "../../contracts/analysis.js";

/** The package root, from the source (fleet/evaluation/) or the build (dist/fleet/evaluation/). */
export const packageRoot =
  [join(import.meta.dirname, "..", ".."), join(import.meta.dirname, "..", "..", "..")].find((dir) =>
    existsSync(join(dir, "policies", "soc")),
  ) ?? ".";

/** What the bundled policy ships with (policies/soc/settings/data.json): what evaluations compare against. */
export function shippedPolicySettings(): { anomaly_threshold: number; allowed_actions: ActionType[] } {
  return JSON.parse(readFileSync(join(packageRoot, "policies", "soc", "settings", "data.json"), "utf8")) as {
    anomaly_threshold: number;
    allowed_actions: ActionType[];
  };
}
