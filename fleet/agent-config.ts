import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { AgentConfig } from "../contracts/agent-config.js";
import { SocError } from "../runtime/errors.js";

/**
 * The AgentConfig of one agent, from `agents/<name>/agent-config.yaml` (`bot/notify/` for the front
 * end; the same document the
 * cluster holds as a custom resource). An agent without one has no prompt and calls no tools.
 * Every problem is reported at once, at start.
 */
export function loadAgentConfig(root: string, name: string): AgentConfig | null {
  // Agents live in agents/, the front end's agent (notify) in bot/.
  const path = ["agents", "bot"].map((dir) => join(root, dir, name, "agent-config.yaml")).find(existsSync);
  if (!path) return null;
  const parsed = AgentConfig.safeParse(parse(readFileSync(path, "utf8")));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`).join("\n");
    throw new SocError("agent_config_invalid", `invalid AgentConfig ${path}:\n${problems}`);
  }
  if (parsed.data.metadata.name !== name) {
    throw new SocError(
      "agent_config_invalid",
      `AgentConfig ${path} is named ${parsed.data.metadata.name}, not ${name}`,
    );
  }
  return parsed.data;
}
