import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { AgentConfig } from "../contracts/agent-config.js";
import { SocError } from "../runtime/errors.js";

/** Where an agent's AgentConfig file is: agents/<name>/, or bot/<name>/ for the front end's agent. */
export function agentConfigPath(root: string, name: string): string | undefined {
  return ["agents", "bot"].map((dir) => join(root, dir, name, "agent-config.yaml")).find(existsSync);
}

/**
 * The AgentConfig of one agent from its file (the same document the cluster holds as a custom
 * resource). An agent without one has no prompt and calls no tools. Every problem is reported at
 * once, at start.
 */
export function loadAgentConfig(root: string, name: string): AgentConfig | null {
  const path = agentConfigPath(root, name);
  if (!path) return null;
  const reading = readAgentConfig(parse(readFileSync(path, "utf8")), name);
  if (!reading.config) {
    const problems = reading.problems.map((problem) => `  ${problem}`).join("\n");
    throw new SocError("agent_config_invalid", `invalid AgentConfig ${path}:\n${problems}`);
  }
  return reading.config;
}

/** A document read as one agent's AgentConfig: the configuration, or every problem with it. */
export type AgentConfigReading = { config: AgentConfig; problems: [] } | { config: null; problems: string[] };

/** Reads `document` (a YAML file's or the cluster's resource) as the AgentConfig of `name`. */
export function readAgentConfig(document: unknown, name: string): AgentConfigReading {
  const parsed = AgentConfig.safeParse(document);
  if (!parsed.success)
    return { config: null, problems: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`) };
  if (parsed.data.metadata.name !== name)
    return { config: null, problems: [`metadata.name: is ${parsed.data.metadata.name}, not ${name}`] };
  return { config: parsed.data, problems: [] };
}

/**
 * The AgentConfig in force in this process: read at every tool call, so an edit that was accepted
 * applies to the next call without a restart. `source` says where it came from (a file, or the
 * cluster's resource and its generation).
 */
export class LiveAgentConfig {
  #config: AgentConfig | null;
  #source: string;

  constructor(config: AgentConfig | null, source: string) {
    this.#config = config;
    this.#source = source;
  }

  get source(): string {
    return this.#source;
  }

  /** The MCP tools the agent may call, as `<server>/<tool>`. */
  get tools(): readonly string[] {
    return this.#config?.spec.tools ?? [];
  }

  /** The tools whose every call needs a human's approval first. */
  get requireApproval(): readonly string[] {
    return this.#config?.spec.requireApproval ?? [];
  }

  replace(config: AgentConfig, source: string): void {
    this.#config = config;
    this.#source = source;
  }
}
