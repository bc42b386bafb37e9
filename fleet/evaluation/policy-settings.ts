import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { ActionType } from "../../contracts/analysis.js";
import type { Forwarding, ForwardFloor } from "../../contracts/policy.js";
import type { JudgeOptions } from "../../agents/prefilter/judge.js";
import { DEFAULT_MODEL } from "../../agents/prefilter/model-scorer.js";

/** The package root, from the source (fleet/evaluation/) or the build (dist/fleet/evaluation/). */
export const packageRoot =
  [join(import.meta.dirname, "..", ".."), join(import.meta.dirname, "..", "..", "..")].find((dir) =>
    existsSync(join(dir, "policies", "soc")),
  ) ?? ".";

interface ShippedSettings {
  forward_budget: number;
  forward_floor: ForwardFloor;
  allowed_actions: ActionType[];
}

/** What the bundled policy ships with (policies/soc/settings/data.json): what evaluations compare against. */
export function shippedPolicySettings(): ShippedSettings {
  return JSON.parse(
    readFileSync(join(packageRoot, "policies", "soc", "settings", "data.json"), "utf8"),
  ) as ShippedSettings;
}

/** The prefilter's scorer as the fleet runs it out of the box: the shipped model, told the shipped forwarding. */
export function shippedScorer(): JudgeOptions["scorer"] {
  return { kind: "model", modelPath: DEFAULT_MODEL ?? "", forwarding: shippedForwarding() };
}

/** What the bundled policy tells the prefilter to forward: its budget and its floor. */
export function shippedForwarding(): Forwarding {
  const settings = shippedPolicySettings();
  return {
    threshold: null,
    budget: settings.forward_budget,
    source: "budget",
    floor: settings.forward_floor,
  };
}
