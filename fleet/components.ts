import { analyst } from "../agents/analyst/agent.js";
import { clusterActions } from "../agents/cluster-actions/server.js";
import { coordinator } from "../agents/coordinator/agent.js";
import { detect } from "../agents/detect/agent.js";
import { policyEngine } from "../agents/policy-engine/server.js";
import { prefilter } from "../agents/prefilter/agent.js";
import { remediate } from "../agents/remediate/agent.js";
import { reviewer } from "../agents/reviewer/agent.js";
import type { Agent, McpServerAgent } from "../agents/agent.js";
import { notify } from "../bot/notify/agent.js";

/**
 * Every process of the fleet, in start order (servers before their callers). Adding a component is
 * its folder plus one line here.
 */
export const components: readonly (Agent | McpServerAgent)[] = [
  policyEngine,
  clusterActions,
  remediate,
  reviewer,
  analyst,
  notify,
  prefilter,
  detect,
  coordinator,
];

export type ComponentName = (typeof components)[number]["name"];
