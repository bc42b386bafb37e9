import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { AgentConfig } from "../contracts/agent-config.js";
import { modelAnswers, type AnswerPurpose } from "../contracts/answers.js";
import { skills } from "../contracts/skills.js";
import { SocError } from "../runtime/errors.js";
import type { LlmSettings } from "../runtime/llm/settings.js";

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

/** The agents that ask a language model (they serve a skill whose model is "asks"): they read spec.prompt and spec.llm. */
export const modelAgents: readonly string[] = [
  ...new Set(Object.values(skills).flatMap((skill) => (skill.model === "asks" ? [skill.agent] : []))),
];

/** Reads `document` (a YAML file's or the cluster's resource) as the AgentConfig of `name`. */
export function readAgentConfig(document: unknown, name: string): AgentConfigReading {
  const parsed = AgentConfig.safeParse(document);
  if (!parsed.success)
    return { config: null, problems: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`) };
  const problems: string[] = [];
  const { metadata, spec } = parsed.data;
  if (metadata.name !== name) problems.push(`metadata.name: is ${metadata.name}, not ${name}`);
  if (!modelAgents.includes(name)) {
    // A prompt no code reads would look like configuration in force.
    if (spec.prompt) problems.push(`spec.prompt: ${name} uses no language model`);
    if (spec.llm.provider ?? spec.llm.model ?? spec.llm.baseURL)
      problems.push(`spec.llm: ${name} uses no language model`);
  }
  for (const purpose of Object.keys(spec.output)) {
    const asker = modelAnswers[purpose as AnswerPurpose].agent;
    if (asker !== name) problems.push(`spec.output.${purpose}: ${asker} asks for it, not ${name}`);
  }
  return problems.length ? { config: null, problems } : { config: parsed.data, problems: [] };
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

  /**
   * The language model in force: the AgentConfig's spec.llm over the process's settings, with the
   * AgentConfig's prompt and answer schemas.
   */
  llmSettings(process: Omit<LlmSettings, "prompt" | "maxTokens" | "output">): LlmSettings {
    const llm = this.#config?.spec.llm;
    return {
      ...process,
      provider: llm?.provider ?? process.provider,
      model: llm?.model ?? process.model,
      baseUrl: llm?.baseURL ?? process.baseUrl,
      maxTokens: llm?.maxTokens ?? 512,
      prompt: this.#config?.spec.prompt ?? "",
      output: this.#config?.spec.output ?? {},
    };
  }

  replace(config: AgentConfig, source: string): void {
    this.#config = config;
    this.#source = source;
  }
}
