import { FleetConfig, peerOptions } from "../contracts/config.js";
import { Peers } from "../runtime/a2a/client.js";
import { runComponent, type Component } from "../runtime/component.js";
import { Llm } from "../runtime/llm/model.js";
import { McpPeer } from "../runtime/mcp/client.js";
import type { McpServerName } from "../contracts/skills.js";
import { fileURLToPath } from "node:url";
import { loadConfig } from "../runtime/config.js";
import { SocError } from "../runtime/errors.js";
import { KubeApi } from "../runtime/kube.js";
import { agentConfigPath, LiveAgentConfig, loadAgentConfig } from "./agent-config.js";
import { followAgentConfig } from "./agent-config-watch.js";
import { components } from "./components.js";

const root = fileURLToPath(new URL("../..", import.meta.url));

/** `node dist/fleet/run.js <component>`: one fleet process. */
async function main(name: string | undefined): Promise<void> {
  const entry = components.find((c) => c.name === name);
  if (!entry) {
    process.stderr.write(`usage: run.js <${components.map((c) => c.name).join("|")}>\n`);
    process.exit(2);
  }
  let config: FleetConfig;
  try {
    config = loadConfig(FleetConfig);
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  }
  const definition = await entry.load();
  const options = {
    name: definition.name,
    host: config.host,
    opsPort: config.listen(definition.name).opsPort,
    certDir: config.certDir,
    logLevel: config.logLevel,
  };
  await runComponent(options, async (component) => {
    const grant = agentConfig(definition.name, config, component);
    const context = {
      component,
      config,
      peers: new Peers(component, peerOptions(config)),
      mcp: (server: McpServerName) =>
        new McpPeer(component, server, config.url(server), config.agentTimeoutMs, grant),
      llm: new Llm(component, () => grant.llmSettings(config.llm)),
    };
    const listen = { host: config.host, port: config.listen(definition.name).port };
    // Each kind's server library is loaded only by the processes that serve it.
    if (definition.kind === "agent") {
      const { serveAgent } = await import("../runtime/a2a/server.js");
      await serveAgent(component, {
        ...listen,
        description: definition.description,
        skills: await definition.skills(context),
      });
    } else {
      const { serveMcp } = await import("../runtime/mcp/server.js");
      await serveMcp(component, {
        ...listen,
        callers: definition.callers,
        tools: await definition.tools(context),
      });
    }
  });
}

/**
 * The agent's AgentConfig in force: its file's, then (SOC_AGENT_CONFIG=cluster) its resource's,
 * followed as it changes. A component without a file has no tools to call, in either case.
 */
function agentConfig(name: string, config: FleetConfig, component: Component): LiveAgentConfig {
  const file = loadAgentConfig(root, name);
  const live = new LiveAgentConfig(file, file ? `file ${agentConfigPath(root, name) ?? ""}` : "none");
  if (!file || config.agentConfig !== "cluster") return live;
  const api = KubeApi.load(config.kubeconfig);
  if (!api)
    throw new SocError(
      "config_invalid",
      "SOC_AGENT_CONFIG=cluster needs the cluster: in-cluster credentials or KUBECONFIG",
    );
  component.onStop(followAgentConfig(api, name, live, component.log));
  return live;
}

await main(process.argv[2]);
