import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { LlmSettings } from "./settings.js";

/** What the server does with the next request. */
export type Behaviour = { answer: string; delayMs?: number } | { status: number };

/**
 * A real HTTP server speaking OpenAI's chat completions protocol (POST /v1/chat/completions),
 * scripted request by request: a double of vLLM or Ollama for tests of the OpenAI-compatible
 * provider (LangChain's ChatOpenAI, over the network). Past the script it asks `respond`, else
 * answers 500.
 */
export class ScriptedModelServer {
  readonly requests: { model: string; messages: { role: string; content: string }[] }[] = [];
  script: Behaviour[] = [];
  /** What to do once the script is spent; unset, answer 500. */
  respond: ((request: ScriptedModelServer["requests"][number]) => Behaviour) | null = null;
  #server: Server = createServer((req, res) => void this.#answer(req, res));

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, "127.0.0.1", resolve));
    return this.baseUrl;
  }

  /** The OpenAI base URL (…/v1) of the started server. */
  get baseUrl(): string {
    return `http://127.0.0.1:${String((this.#server.address() as AddressInfo).port)}/v1`;
  }

  stop(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  async #answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body = "";
    for await (const chunk of req) body += String(chunk);
    if (req.url !== "/v1/chat/completions") {
      res.writeHead(404).end();
      return;
    }
    const request = JSON.parse(body) as ScriptedModelServer["requests"][number];
    this.requests.push(request);
    const next: Behaviour = this.script.shift() ?? this.respond?.(request) ?? { status: 500 };
    if ("status" in next) {
      res.writeHead(next.status, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { message: "scripted failure", type: "server_error" } }));
      return;
    }
    const { answer, delayMs = 0 } = next;
    if (delayMs) await new Promise((resolve) => setTimeout(resolve, delayMs));
    if (res.destroyed) return;
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      JSON.stringify({
        id: "chatcmpl-test",
        object: "chat.completion",
        created: Math.floor(Date.now() / 1000),
        model: "test-model",
        choices: [{ index: 0, message: { role: "assistant", content: answer }, finish_reason: "stop" }],
        usage: { prompt_tokens: 40, completion_tokens: 12, total_tokens: 52 },
      }),
    );
  }
}

/** Settings for a client of the server at `baseUrl`: the OpenAI provider, no retries, no budget. */
export function scriptedSettings(baseUrl: string, model: string): LlmSettings {
  return {
    provider: "openai",
    prompt: "You are the analyst.",
    output: {},
    model,
    baseUrl,
    maxTokens: 256,
    timeoutMs: 5_000,
    maxRetries: 0,
    concurrency: 1,
    threads: 1,
    tokensPerHour: 0,
    prices: {},
  };
}
