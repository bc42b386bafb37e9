import type { Peers } from "./a2a/client.js";
import type { SkillHandler } from "./a2a/skill.js";
import type { Component } from "./component.js";
import type { Llm } from "./llm/model.js";
import type { McpPeer } from "./mcp/client.js";
import type { ToolDefinition } from "./mcp/server.js";

/** What a fleet process is built with: its component, the configuration and its peers. */
export interface AgentContext<Config, Server extends string = string> {
  component: Component;
  config: Config;
  peers: Peers;
  /** A client of an MCP server, limited to the tools this agent's configuration lists. */
  mcp: (server: Server) => McpPeer;
  /** The agent's language model (its prompt and provider from its configuration), or none. */
  llm: Llm;
}

/** An A2A agent: one folder whose agent.ts exports one of these. */
export interface Agent<Config, Server extends string = string> {
  kind: "agent";
  name: string;
  description: string;
  /** Builds the skill handlers; may start background work and register stops on the component. */
  skills(context: AgentContext<Config, Server>): Promise<SkillHandler[]> | SkillHandler[];
}

/** An MCP server: one folder whose server.ts exports one of these. */
export interface McpServerAgent<Config, Server extends string = string> {
  kind: "mcp";
  name: string;
  description: string;
  /** Certificate identities allowed to call its tools. */
  callers: readonly string[];
  tools(context: AgentContext<Config, Server>): Promise<ToolDefinition[]> | ToolDefinition[];
}
