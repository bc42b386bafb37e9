import { agentUrls, FleetConfig } from "../contracts/config.js";
import { Peers } from "../runtime/a2a/client.js";
import { runComponent } from "../runtime/component.js";
import { McpPeer } from "../runtime/mcp/client.js";
import type { McpServerName } from "../contracts/skills.js";
import { fileURLToPath } from "node:url";
import { loadConfig } from "../runtime/config.js";
import { loadAgentConfig } from "./agent-config.js";
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
    opsPort: config.opsPort(definition.name),
    certDir: config.certDir,
    logLevel: config.logLevel,
  };
  await runComponent(options, async (component) => {
    const tools = loadAgentConfig(root, definition.name)?.spec.tools ?? [];
    const context = {
      component,
      config,
      peers: new Peers(component, { urls: agentUrls(config), timeoutMs: config.agentTimeoutMs }),
      mcp: (server: McpServerName) =>
        new McpPeer(component, server, config.url(server), config.agentTimeoutMs, tools),
    };
    const listen = { host: config.host, port: config.port(definition.name) };
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

await main(process.argv[2]);
