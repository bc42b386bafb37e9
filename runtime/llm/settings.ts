/** What a language model is chosen by; no model library is loaded by importing this. */
export const providers = ["none", "openai", "embedded"] as const;
export type Provider = (typeof providers)[number];

/** The language model an agent uses, as configured (environment, then its AgentConfig). */
export interface LlmSettings {
  provider: Provider;
  /** The system prompt: the agent's own (its AgentConfig's spec.prompt). */
  prompt: string;
  /**
   * The answers' JSON Schemas by purpose, as the agent's AgentConfig restates them (spec.output): shown
   * to the model and checked before the code's own schema. A purpose not in it: the code's schema.
   */
  output: Readonly<Record<string, Record<string, unknown>>>;
  /** openai: the model's name on the server; embedded: the GGUF file. */
  model: string;
  /** openai: the server's base URL (…/v1). */
  baseUrl?: string;
  apiKey?: string;
  maxTokens: number;
  /** The budget of one answer: every attempt, retry and repair within it. */
  timeoutMs: number;
  /** Retries of a failed call, with exponential backoff (openai). */
  maxRetries: number;
  /** Calls in flight at once from this process (openai; the embedded model takes turns). */
  concurrency: number;
  /** CPU threads of the embedded model. */
  threads: number;
  /** Price per million tokens in and out, by model name (SOC_LLM_PRICES); a model not in it costs 0. */
  prices: Readonly<Record<string, { in: number; out: number }>>;
  /** Tokens (in and out) this process may spend in any hour; past it, answers go on without the model. 0: no limit. */
  tokensPerHour: number;
}
