import type { FleetConfig } from "../../contracts/config.js";
import { agentNames, mcpServerNames } from "../../contracts/skills.js";

/** The processes whose readiness the coordinator reads: every one of the fleet, itself included. */
export const healthChecked = [...agentNames, ...mcpServerNames] as const;

/** Every fleet process's readiness, from its ops port's /readyz (half a second each, in parallel). */
export async function fleetHealth(config: FleetConfig): Promise<Record<string, "ready" | "down">> {
  const names = healthChecked;
  const states = await Promise.all(
    names.map((name) =>
      fetch(`${config.opsUrl(name)}/readyz`, { signal: AbortSignal.timeout(500) })
        .then((response) => (response.ok ? "ready" : "down"))
        .catch(() => "down" as const),
    ),
  );
  return Object.fromEntries(names.map((name, i) => [name, states[i] ?? "down"]));
}
