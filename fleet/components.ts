import type { Agent, McpServerAgent } from "../agents/agent.js";
import type { AgentName, McpServerName } from "../contracts/skills.js";

export interface ComponentEntry {
  name: AgentName | McpServerName;
  /** Loaded only in the process that runs it: each process pays for its own dependencies alone. */
  load(): Promise<Agent | McpServerAgent>;
}

/**
 * Every process of the fleet, in start order (servers before their callers). Adding a component is
 * its folder plus one line here.
 */
export const components: readonly ComponentEntry[] = [
  {
    name: "policy-engine",
    load: async () => (await import("../agents/policy-engine/server.js")).policyEngine,
  },
  {
    name: "cluster-actions",
    load: async () => (await import("../agents/cluster-actions/server.js")).clusterActions,
  },
  { name: "remediate", load: async () => (await import("../agents/remediate/agent.js")).remediate },
  { name: "reviewer", load: async () => (await import("../agents/reviewer/agent.js")).reviewer },
  { name: "analyst", load: async () => (await import("../agents/analyst/agent.js")).analyst },
  { name: "rules", load: async () => (await import("../agents/rules/agent.js")).rules },
  { name: "notify", load: async () => (await import("../bot/notify/agent.js")).notify },
  { name: "prefilter", load: async () => (await import("../agents/prefilter/agent.js")).prefilter },
  { name: "detect", load: async () => (await import("../agents/detect/agent.js")).detect },
  { name: "coordinator", load: async () => (await import("../agents/coordinator/agent.js")).coordinator },
];
