import type { FleetConfig } from "../contracts/config.js";
import type { AgentName, McpServerName } from "../contracts/skills.js";
import type * as runtime from "../runtime/agent.js";

/** The fleet's agents: named in contracts/skills.ts, built with the fleet's configuration. */
export type Agent = runtime.Agent<FleetConfig, McpServerName> & { name: AgentName };
export type McpServerAgent = runtime.McpServerAgent<FleetConfig, McpServerName> & { name: McpServerName };
export type AgentContext = runtime.AgentContext<FleetConfig, McpServerName>;
