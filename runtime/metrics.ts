import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/**
 * One registry per process with the default Node metrics and the metrics every component shares.
 * Components add their own with `registry` as the register.
 */
export function createMetrics(component: string) {
  const registry = new Registry();
  registry.setDefaultLabels({ component });
  collectDefaultMetrics({ register: registry });
  const latencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
  return {
    registry,
    a2aServer: new Histogram({
      name: "soc_a2a_server_seconds",
      help: "A2A skill calls served, by skill, caller and outcome",
      labelNames: ["skill", "caller", "outcome"],
      buckets: latencyBuckets,
      registers: [registry],
    }),
    a2aClient: new Histogram({
      name: "soc_a2a_client_seconds",
      help: "A2A skill calls made, by agent, skill and outcome",
      labelNames: ["agent", "skill", "outcome"],
      buckets: latencyBuckets,
      registers: [registry],
    }),
    mcpClient: new Histogram({
      name: "soc_mcp_call_seconds",
      help: "MCP tool calls made, by server, tool and outcome",
      labelNames: ["server", "tool", "outcome"],
      buckets: latencyBuckets,
      registers: [registry],
    }),
    llmTokens: new Counter({
      name: "soc_llm_tokens_total",
      help: "Language-model tokens spent, by model, purpose and direction (in, out)",
      labelNames: ["model", "purpose", "direction"],
      registers: [registry],
    }),
    llmCost: new Counter({
      name: "soc_llm_cost_total",
      help: "What language-model calls cost by the configured price table (SOC_LLM_PRICES), by model",
      labelNames: ["model"],
      registers: [registry],
    }),
    llmCall: new Histogram({
      name: "soc_llm_call_seconds",
      help: "Language-model calls, by model, purpose and outcome (ok, repaired, invalid, failed, over_budget)",
      labelNames: ["model", "purpose", "outcome"],
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40, 80],
      registers: [registry],
    }),
    badRequests: new Counter({
      name: "soc_bad_requests_total",
      help: "Requests from an allowed caller refused before any skill or tool: too large, not JSON, not JSON-RPC",
      labelNames: ["reason"],
      registers: [registry],
    }),
    refused: new Counter({
      name: "soc_calls_refused_total",
      help: "Calls refused because the caller's identity is not on the allow-list",
      labelNames: ["caller"],
      registers: [registry],
    }),
  };
}
export type Metrics = ReturnType<typeof createMetrics>;
