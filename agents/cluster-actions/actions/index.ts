import type { ActionType } from "../../../contracts/analysis.js";
import type { ResponseAction } from "./action.js";
import { cordonNode } from "./cordon-node.js";
import { isolatePod } from "./isolate-pod.js";
import { labelPod } from "./label-pod.js";
import { scaleToZero } from "./scale-to-zero.js";
import { terminatePod } from "./terminate-pod.js";

/**
 * Every response action, by the name the contracts give it: a name without an action here, or an
 * action the contracts do not name, fails to compile. The cluster-actions tools, the policy's
 * checks and the chart's RBAC for the remediation ServiceAccount are read from this list.
 */
export const responseActions = {
  isolate_pod: isolatePod,
  label_pod: labelPod,
  terminate_pod: terminatePod,
  scale_to_zero: scaleToZero,
  cordon_node: cordonNode,
} satisfies { [Name in Exclude<ActionType, "none">]: ResponseAction };

export type ResponseActionName = keyof typeof responseActions;
