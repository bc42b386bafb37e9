import { AsyncLocalStorage } from "node:async_hooks";

/** What a step reports besides its output: the MCP calls it made, the LLM tokens it spent and their cost. */
export interface Usage {
  mcp_calls: { server: string; tool: string; latency_ms: number; error: string | null }[];
  tokens: { in: number; out: number; cost: number };
}

const storage = new AsyncLocalStorage<Usage>();

/** Runs `work` while recording the usage it incurs. */
export async function measureUsage<T>(work: () => Promise<T>): Promise<{ result: T; usage: Usage }> {
  const usage: Usage = { mcp_calls: [], tokens: { in: 0, out: 0, cost: 0 } };
  const result = await storage.run(usage, work);
  return { result, usage };
}

export function recordMcpCall(call: Usage["mcp_calls"][number]): void {
  storage.getStore()?.mcp_calls.push(call);
}

export function recordTokens(tokensIn: number, tokensOut: number, cost: number): void {
  const usage = storage.getStore();
  if (!usage) return;
  usage.tokens.in += tokensIn;
  usage.tokens.out += tokensOut;
  usage.tokens.cost += cost;
}
