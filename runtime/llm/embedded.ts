import { BaseChatModel, type BaseChatModelCallOptions } from "@langchain/core/language_models/chat_models";
import { AIMessage, type BaseMessage } from "@langchain/core/messages";
import type { ChatResult } from "@langchain/core/outputs";
import type { Llama, LlamaContext, LlamaModel } from "node-llama-cpp";

export interface EmbeddedOptions {
  /** The GGUF file. */
  modelPath: string;
  /** CPU threads for generation; llama.cpp's own default oversubscribes small machines. */
  threads: number;
  maxTokens: number;
  contextSize?: number;
}

export interface EmbeddedCallOptions extends BaseChatModelCallOptions {
  /** A JSON schema the answer is held to while it is generated (llama.cpp's grammar). */
  jsonSchema?: Record<string, unknown>;
}

interface Loaded {
  llama: Llama;
  model: LlamaModel;
  context: LlamaContext;
}

/** One load per model file and process: a model is hundreds of megabytes and a second or more to map. */
const loaded = new Map<string, Promise<Loaded>>();

async function load(options: EmbeddedOptions): Promise<Loaded> {
  const key = `${options.modelPath}#${String(options.threads)}`;
  let loading = loaded.get(key);
  if (!loading) {
    loading = (async () => {
      // Loaded on first use only: processes without a model never map llama.cpp.
      const { getLlama } = await import("node-llama-cpp");
      // The prebuilt CPU binary from npm, never a build or a download at run time.
      const llama = await getLlama({ gpu: false, build: "never", progressLogs: false });
      const model = await llama.loadModel({ modelPath: options.modelPath });
      const context = await model.createContext({
        threads: options.threads,
        contextSize: options.contextSize ?? 4096,
      });
      return { llama, model, context };
    })();
    // A load that failed is tried again by the next call.
    loading.catch(() => loaded.delete(key)).catch(() => undefined);
    loaded.set(key, loading);
  }
  return loading;
}

/**
 * A GGUF model run in this process by llama.cpp (node-llama-cpp), as a LangChain chat model: the
 * same interface as a model server's, so the agents cannot tell them apart. Calls take turns on
 * one context sequence; token counts are the model's own tokenizer's.
 */
export class EmbeddedChatModel extends BaseChatModel<EmbeddedCallOptions> {
  readonly #options: EmbeddedOptions;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: EmbeddedOptions) {
    super({});
    this.#options = options;
  }

  _llmType(): string {
    return "embedded";
  }

  async _generate(messages: BaseMessage[], options: this["ParsedCallOptions"]): Promise<ChatResult> {
    const turn = this.#queue.then(() => this.#answer(messages, options));
    this.#queue = turn.catch(() => undefined);
    const { text, input, output } = await turn;
    const message = new AIMessage({
      content: text,
      usage_metadata: { input_tokens: input, output_tokens: output, total_tokens: input + output },
    });
    return { generations: [{ text, message }] };
  }

  async #answer(messages: BaseMessage[], options: this["ParsedCallOptions"]) {
    const { llama, model, context } = await load(this.#options);
    const { LlamaChatSession } = await import("node-llama-cpp");
    const system = messages
      .filter((m) => m.type === "system")
      .map((m) => m.text)
      .join("\n\n");
    const turns = messages.filter((m) => m.type !== "system");
    const last = turns.at(-1);
    if (!last || last.type !== "human") throw new Error("the last message to a model is the user's");
    const sequence = context.getSequence();
    try {
      const session = new LlamaChatSession({ contextSequence: sequence, systemPrompt: system || undefined });
      // Earlier turns (a repair request follows the model's first answer) are the session's history.
      session.setChatHistory([
        ...(system ? [{ type: "system" as const, text: system }] : []),
        ...turns
          .slice(0, -1)
          .map((m) =>
            m.type === "human"
              ? { type: "user" as const, text: m.text }
              : { type: "model" as const, response: [m.text] },
          ),
      ]);
      const grammar = options.jsonSchema
        ? await llama.createGrammarForJsonSchema(grammarSchema(options.jsonSchema) as never)
        : undefined;
      const text = await session.prompt(last.text, {
        maxTokens: this.#options.maxTokens,
        grammar,
        signal: options.signal,
      });
      const input = model.tokenize(messages.map((m) => m.text).join("\n")).length;
      return { text, input, output: model.tokenize(text).length };
    } finally {
      await sequence.dispose();
    }
  }
}

/**
 * A JSON schema (as zod writes it) in the subset llama.cpp's grammar reads: `anyOf` is its `oneOf`,
 * and the `$schema` marker goes.
 */
export function grammarSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(grammarSchema);
  if (!schema || typeof schema !== "object") return schema;
  return Object.fromEntries(
    Object.entries(schema)
      .filter(([key]) => key !== "$schema")
      .map(([key, value]) => [key === "anyOf" ? "oneOf" : key, grammarSchema(value)]),
  );
}
