import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { healthChecked } from "../agents/coordinator/health.js";
import { agentConfigPath, loadAgentConfig, modelAgents } from "../fleet/agent-config.js";
import { components } from "../fleet/components.js";
import { skills, type AgentName, type McpServerName } from "../contracts/skills.js";

export type ComponentName = AgentName | McpServerName;
/** A service outside the fleet that a component's code calls. */
export type Service = "kafka" | "postgres" | "mattermost" | "opa" | "kubernetes" | "llm";

/** Who calls whom in the fleet, read from the code: the contracts, the servers' definitions, the imports. */
export interface FleetCalls {
  names: ComponentName[];
  kind: Record<ComponentName, "agent" | "mcp">;
  /** Who calls each component's A2A or MCP port. */
  callers: Record<ComponentName, ComponentName[]>;
  /** Who reads each component's ops port besides Prometheus: the coordinator's fleet health. */
  opsReaders: Record<ComponentName, ComponentName[]>;
  uses: Record<ComponentName, Service[]>;
  /**
   * The agents that follow their AgentConfig resource with SOC_AGENT_CONFIG=cluster, calling the
   * Kubernetes API then: those with an AgentConfig file (fleet/run.ts follows only those).
   */
  followsAgentConfig: ComponentName[];
  /** Where the code contradicts itself: an agent's tools on a server that does not list it, or the reverse. */
  problems: string[];
}

const root = join(import.meta.dirname, "..");

/**
 * What reaching a module means: the client of a service outside the fleet. A component whose
 * imports reach one of these calls that service (when it is configured).
 */
const serviceModules: Record<Exclude<Service, "llm">, string> = {
  kafka: "kafkajs",
  postgres: "pg",
  mattermost: "@mattermost/client",
  opa: join("agents", "policy-engine", "opa.ts"),
  kubernetes: "@kubernetes/client-node",
};

/** A component's module, by the layout every component follows: its folder's agent.ts or server.ts. */
function entryOf(name: string): string {
  const file = ["agents", "bot"]
    .flatMap((dir) => ["agent.ts", "server.ts"].map((file) => join(root, dir, name, file)))
    .find(existsSync);
  if (!file) throw new Error(`no agent.ts or server.ts for component ${name}`);
  return file;
}

/** Every module and package `file` imports, transitively (type-only imports left out). */
export function importGraph(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  if (!file.endsWith(".ts")) return seen;
  const text = readFileSync(file, "utf8");
  const specifiers = [
    ...text.matchAll(/^\s*(?:import|export)\s+(?!type\s)[^;]*?from\s+"([^"]+)"/gms),
    ...text.matchAll(/^\s*import\s+"([^"]+)"/gm),
    ...text.matchAll(/\bimport\(\s*"([^"]+)"\s*\)/g),
  ].map((match) => match[1] ?? "");
  for (const specifier of specifiers) {
    if (specifier.startsWith("."))
      importGraph(resolve(dirname(file), specifier.replace(/\.js$/, ".ts")), seen);
    else
      seen.add(
        specifier.startsWith("@")
          ? specifier.split("/").slice(0, 2).join("/")
          : (specifier.split("/")[0] ?? ""),
      );
  }
  return seen;
}

export async function fleetCalls(): Promise<FleetCalls> {
  const names = components.map((c) => c.name);
  const record = <T>(value: () => T) =>
    Object.fromEntries(names.map((n) => [n, value()])) as Record<ComponentName, T>;
  const calls: FleetCalls = {
    names,
    kind: record(() => "agent" as const),
    callers: record(() => [] as ComponentName[]),
    opsReaders: record(() => [] as ComponentName[]),
    uses: record(() => [] as Service[]),
    followsAgentConfig: names.filter((name) => agentConfigPath(root, name)),
    problems: [],
  };
  const isComponent = (name: string): name is ComponentName => (names as string[]).includes(name);
  // A2A: each skill names the agent that serves it and the identities that may call it.
  for (const skill of Object.values(skills))
    for (const caller of skill.callers)
      if (isComponent(caller) && !calls.callers[skill.agent].includes(caller))
        calls.callers[skill.agent].push(caller);
  for (const entry of components) {
    const definition = await entry.load();
    calls.kind[entry.name] = definition.kind;
    if (definition.kind === "mcp") calls.callers[entry.name] = definition.callers.filter(isComponent);
    const graph = importGraph(entryOf(entry.name));
    calls.uses[entry.name] = (Object.entries(serviceModules) as [Service, string][])
      .filter(([, module]) => graph.has(module) || graph.has(join(root, module)))
      .map(([service]) => service);
    // A model server: the agents of the skills that ask a model (every process holds a client).
    if (modelAgents.includes(entry.name)) calls.uses[entry.name].push("llm");
  }
  // MCP: an agent calls the servers whose tools its AgentConfig lists; each server says who may.
  for (const name of names) {
    const servers = new Set(
      (loadAgentConfig(root, name)?.spec.tools ?? []).map((tool) => tool.split("/")[0] ?? ""),
    );
    for (const server of names.filter((n) => calls.kind[n] === "mcp")) {
      const listed = calls.callers[server].includes(name);
      const path = relative(root, agentConfigPath(root, name) ?? `${name} (no AgentConfig)`);
      if (servers.has(server) && !listed)
        calls.problems.push(`${path} lists ${server} tools, but ${server} does not name ${name} a caller`);
      if (!servers.has(server) && listed)
        calls.problems.push(`${server} names ${name} a caller, but ${path} lists none of its tools`);
    }
  }
  for (const name of healthChecked) calls.opsReaders[name].push("coordinator");
  for (const name of names) calls.callers[name].sort();
  return calls;
}

/** Whether a component calls the Kubernetes API with this configuration (the chart's `config`). */
export const callsKubernetes = (calls: FleetCalls, name: ComponentName, config: Record<string, unknown>) =>
  calls.uses[name].includes("kubernetes") ||
  (config.SOC_AGENT_CONFIG === "cluster" && calls.followsAgentConfig.includes(name));
