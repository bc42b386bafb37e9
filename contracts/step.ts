import { z } from "zod";

export const McpCall = z.object({
  server: z.string(),
  tool: z.string(),
  latency_ms: z.number(),
  error: z.string().nullable(),
});
export type McpCall = z.infer<typeof McpCall>;

/** A step's language-model tokens in and out, and what they cost by the price table (SOC_LLM_PRICES). */
export const Tokens = z.object({ in: z.number().int(), out: z.number().int(), cost: z.number().default(0) });
export type Tokens = z.infer<typeof Tokens>;

/** What an agent reports about its own work, beside its output. */
export const Usage = z.object({
  mcp_calls: z.array(McpCall),
  tokens: Tokens,
});
export type Usage = z.infer<typeof Usage>;

/** One hop in a case's reasoning chain. */
export const Step = z.object({
  case_id: z.string(),
  seq: z.number().int(),
  trace_id: z.string(),
  agent: z.string(),
  skill: z.string(),
  summary: z.string(),
  input: z.unknown(),
  output: z.unknown(),
  mcp_calls: z.array(McpCall),
  tokens: Tokens,
  duration_ms: z.number(),
  error: z.string().nullable(),
  at: z.string(),
});
export type Step = z.infer<typeof Step>;
