import { agentUrls, FleetConfig } from "../contracts/config.js";
import { Peers } from "../runtime/a2a/client.js";
import { serveAgent } from "../runtime/a2a/server.js";
import { runComponent } from "../runtime/component.js";
import { loadConfig } from "../runtime/config.js";
import { serveMcp } from "../runtime/mcp/server.js";
import { components } from "./components.js";

/** `node dist/fleet/run.js <component>`: one fleet process. */
async function main(name: string | undefined): Promise<void> {
  const definition = components.find((c) => c.name === name);
  if (!definition) {
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
  const options = {
    name: definition.name,
    host: config.host,
    opsPort: config.opsPort(definition.name),
    certDir: config.certDir,
    logLevel: config.logLevel,
  };
  await runComponent(options, async (component) => {
    const context = {
      component,
      config,
      peers: new Peers(component, { urls: agentUrls(config), timeoutMs: config.agentTimeoutMs }),
    };
    const listen = { host: config.host, port: config.port(definition.name) };
    if (definition.kind === "agent") {
      await serveAgent(component, {
        ...listen,
        description: definition.description,
        skills: await definition.skills(context),
      });
    } else {
      await serveMcp(component, {
        ...listen,
        callers: definition.callers,
        tools: await definition.tools(context),
      });
    }
  });
}

await main(process.argv[2]);
