import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import type { AIMessage, BaseMessage } from "@langchain/core/messages";
import { z } from "zod";
import type { Component } from "../component.js";
import { recordTokens } from "../usage.js";
import type { EmbeddedChatModel } from "./embedded.js";
import type { LlmSettings, Provider } from "./settings.js";

export type { LlmSettings, Provider } from "./settings.js";

/** One request for a structured answer (the system prompt is the agent's): the message and its schema. */
export interface AskRequest<T> {
  /** What the answer is for, as the metrics' label: narrative, explanation, questions… */
  purpose: string;
  user: string;
  schema: z.ZodType<T>;
}

/** A structured answer, or why there is none (the caller then goes on without the model). */
export interface AskResult<T> {
  value: T | null;
  model: string;
  tokens: { in: number; out: number };
  /** By the price table; 0 for a model it does not name. */
  cost: number;
  latency_ms: number;
  /** How many times the model was asked to fix an answer that did not match the schema (0 or 1). */
  repairs: number;
  /** Why the answer was not used: the model failed, timed out, or never matched the schema. */
  fallback: string | null;
}

/** The LangChain chat model for `settings` (not `none`). */
export async function chatModel(settings: LlmSettings): Promise<BaseChatModel> {
  switch (settings.provider) {
    case "none":
      throw new Error("no language model is configured");
    case "embedded": {
      if (!settings.model) throw new Error("the embedded model needs SOC_LLM_MODEL, a GGUF file");
      const { EmbeddedChatModel } = await import("./embedded.js");
      return new EmbeddedChatModel({
        modelPath: settings.model,
        threads: settings.threads,
        maxTokens: settings.maxTokens,
      });
    }
    case "openai": {
      // Loaded only where a model server is configured.
      const { ChatOpenAI } = await import("@langchain/openai");
      return new ChatOpenAI({
        model: settings.model,
        apiKey: settings.apiKey ?? "none",
        configuration: { baseURL: settings.baseUrl },
        maxTokens: settings.maxTokens,
        temperature: 0,
        // Each attempt gets its share of the budget, so that a retry is still possible within it.
        timeout: Math.ceil(settings.timeoutMs / (settings.maxRetries + 1)),
        maxRetries: settings.maxRetries,
        maxConcurrency: settings.concurrency,
      });
    }
  }
}

/**
 * An agent's language model: asks for answers that match a zod schema, gives a malformed answer
 * one chance to be repaired, and otherwise reports why there is no answer, so that the caller
 * goes on with its deterministic result. Every call is metered: tokens into the step's usage and
 * the process's counters, latency into a histogram. The settings are read at every call, so an
 * AgentConfig edit applies to the next one.
 */
export class Llm {
  readonly #settings: () => LlmSettings;
  readonly #metrics: Component["metrics"];
  readonly #log: Component["log"] | undefined;
  #model: { key: string; chat: Promise<BaseChatModel> } | null = null;
  readonly #schemas = new Map<string, z.ZodType>();
  /** Tokens spent, by the minute they were spent in, for the hourly budget. */
  readonly #spent = new Map<number, number>();

  constructor(
    component: Pick<Component, "metrics"> & Partial<Pick<Component, "log">>,
    settings: () => LlmSettings,
  ) {
    this.#settings = settings;
    this.#metrics = component.metrics;
    this.#log = component.log;
  }

  /** The provider and model in force, or null when the agent runs without one. */
  get model(): { provider: Provider; name: string } | null {
    const settings = this.#settings();
    return settings.provider === "none" ? null : { provider: settings.provider, name: modelName(settings) };
  }

  async ask<T>(request: AskRequest<T>): Promise<AskResult<T>> {
    const settings = this.#settings();
    const name = modelName(settings);
    const started = performance.now();
    const result: AskResult<T> = {
      value: null,
      model: name,
      tokens: { in: 0, out: 0 },
      cost: 0,
      latency_ms: 0,
      repairs: 0,
      fallback: null,
    };
    const finish = (outcome: string) => {
      result.latency_ms = Math.round(performance.now() - started);
      this.#log?.info(
        {
          model: name,
          purpose: request.purpose,
          outcome,
          tokens_in: result.tokens.in,
          tokens_out: result.tokens.out,
          cost: result.cost,
          latency_ms: result.latency_ms,
          repairs: result.repairs,
          fallback: result.fallback,
        },
        "language model asked",
      );
      this.#metrics.llmCall.observe(
        { model: name, purpose: request.purpose, outcome },
        result.latency_ms / 1000,
      );
      return result;
    };
    if (settings.provider === "none") return { ...result, fallback: "no language model is configured" };
    const spent = this.#spentLastHour();
    if (settings.tokensPerHour > 0 && spent >= settings.tokensPerHour) {
      result.fallback = `the hourly budget of ${String(settings.tokensPerHour)} tokens is spent (${String(spent)} in the last hour)`;
      return finish("over_budget");
    }
    // The budget covers the whole answer: every attempt, retry and repair.
    const signal = AbortSignal.timeout(settings.timeoutMs);
    try {
      const chat = await this.#chat(settings);
      // LangChain is loaded by the processes that ask a model, not by every process that could.
      const { HumanMessage, SystemMessage } = await import("@langchain/core/messages");
      // The AgentConfig's restatement of the schema, if it has one, is what the model is shown.
      const declared = settings.output[request.purpose];
      const jsonSchema = declared ?? z.toJSONSchema(request.schema, { target: "draft-7" });
      const schema = declared ? this.#restated(declared).pipe(request.schema) : request.schema;
      const messages: BaseMessage[] = [
        new SystemMessage(settings.prompt),
        new HumanMessage(
          `${request.user}\n\nAnswer with one JSON object matching this schema:\n${JSON.stringify(jsonSchema)}`,
        ),
      ];
      for (let attempt = 0; ; attempt += 1) {
        // The embedded model holds its answer to the schema as it writes; a server is only asked.
        const answer = (await withinBudget(
          chat._llmType() === "embedded"
            ? (chat as EmbeddedChatModel).invoke(messages, { jsonSchema, signal })
            : chat.invoke(messages, { signal }),
          signal,
          settings.timeoutMs,
        )) as AIMessage;
        this.#meter(result, answer, settings, request.purpose);
        const parsed = parseAnswer(answer.text, schema);
        if (parsed.ok) {
          result.value = parsed.value;
          return finish(attempt === 0 ? "ok" : "repaired");
        }
        if (attempt === 1) {
          result.fallback = `the answer did not match the schema after a repair: ${parsed.problem}`;
          return finish("invalid");
        }
        result.repairs = 1;
        messages.push(
          answer,
          new HumanMessage(
            `That answer is not valid: ${parsed.problem}. Answer again with only the JSON object, matching the schema.`,
          ),
        );
      }
    } catch (error) {
      result.fallback = `the model failed: ${error instanceof Error ? error.message : String(error)}`;
      return finish("failed");
    }
  }

  #meter(result: AskResult<unknown>, answer: AIMessage, settings: LlmSettings, purpose: string): void {
    const model = result.model;
    const tokensIn = answer.usage_metadata?.input_tokens ?? 0;
    const tokensOut = answer.usage_metadata?.output_tokens ?? 0;
    result.tokens.in += tokensIn;
    result.tokens.out += tokensOut;
    const price = settings.prices[model];
    const cost = price ? (tokensIn * price.in + tokensOut * price.out) / 1_000_000 : 0;
    result.cost += cost;
    if (price) this.#metrics.llmCost.inc({ model }, cost);
    recordTokens(tokensIn, tokensOut, cost);
    const minute = Math.floor(Date.now() / 60_000);
    this.#spent.set(minute, (this.#spent.get(minute) ?? 0) + tokensIn + tokensOut);
    this.#metrics.llmTokens.inc({ model, purpose, direction: "in" }, tokensIn);
    this.#metrics.llmTokens.inc({ model, purpose, direction: "out" }, tokensOut);
  }

  /** Tokens spent in the last 60 minutes (older minutes are forgotten). */
  #spentLastHour(): number {
    const since = Math.floor(Date.now() / 60_000) - 59;
    let total = 0;
    for (const [minute, tokens] of this.#spent) {
      if (minute < since) this.#spent.delete(minute);
      else total += tokens;
    }
    return total;
  }

  /** An AgentConfig's JSON Schema as zod, made once per schema. */
  #restated(declared: Record<string, unknown>): z.ZodType {
    const key = JSON.stringify(declared);
    let schema = this.#schemas.get(key);
    if (!schema) {
      schema = z.fromJSONSchema(declared);
      this.#schemas.set(key, schema);
    }
    return schema;
  }

  /** The chat model for the settings in force, made again only when they change. */
  #chat(settings: LlmSettings): Promise<BaseChatModel> {
    const key = JSON.stringify(settings);
    if (this.#model?.key !== key) this.#model = { key, chat: chatModel(settings) };
    return this.#model.chat;
  }
}

/**
 * `work`, or a failure once the budget's signal fires, whichever comes first: a model that does not
 * stop when asked (a generation in flight) never holds the case past its budget.
 */
function withinBudget<T>(work: Promise<T>, signal: AbortSignal, budgetMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const abort = () => {
      reject(new Error(`no answer within the budget of ${String(budgetMs)} ms`));
    };
    if (signal.aborted) {
      abort();
      return;
    }
    signal.addEventListener("abort", abort, { once: true });
    work.then(resolve, reject).finally(() => {
      signal.removeEventListener("abort", abort);
    });
  });
}

/** A model's name for labels and the trace: an embedded model by its file's name. */
function modelName(settings: LlmSettings): string {
  if (settings.provider === "none") return "none";
  return settings.provider === "embedded"
    ? (settings.model.split("/").at(-1) ?? settings.model)
    : settings.model;
}

/** The first JSON object in a model's answer (models wrap it in prose or a code fence), checked. */
export function parseAnswer<T>(
  text: string,
  schema: z.ZodType<T>,
): { ok: true; value: T } | { ok: false; problem: string } {
  const start = text.indexOf("{");
  const end = text.lastIndexOf("}");
  if (start < 0 || end < start) return { ok: false, problem: "no JSON object in the answer" };
  let json: unknown;
  try {
    json = JSON.parse(text.slice(start, end + 1));
  } catch (error) {
    return { ok: false, problem: `not JSON (${error instanceof Error ? error.message : String(error)})` };
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return { ok: true, value: parsed.data };
  return {
    ok: false,
    problem: parsed.error.issues
      .map((issue) => `${issue.path.join(".") || "(answer)"}: ${issue.message}`)
      .join("; "),
  };
}
