import { Agent, request } from "undici";
import { PolicyUnavailable, type Entrypoint, type PolicyEvaluator } from "./evaluator.js";

/**
 * Asks OPA's REST API (`POST /v1/data/<entrypoint>`). An answer without `result` is an undefined
 * decision and comes back as `undefined`; OPA down, slower than `timeoutMs`, a non-2xx status or a
 * body that is not JSON throw PolicyUnavailable with the cause, and the engine escalates.
 */
export class OpaRest implements PolicyEvaluator {
  readonly kind = "opa";
  readonly #url: string;
  readonly #timeoutMs: number;
  // Its own keep-alive pool: each decision reuses a warm connection to OPA instead of
  // competing with other traffic of the process for the global dispatcher's sockets.
  readonly #dispatcher = new Agent({ keepAliveTimeout: 30_000, connections: 16 });

  constructor(url: string, timeoutMs: number) {
    this.#url = url.replace(/\/+$/, "");
    this.#timeoutMs = timeoutMs;
  }

  async query(entrypoint: Entrypoint, input: unknown, inputJson?: string): Promise<unknown> {
    const signal = AbortSignal.timeout(this.#timeoutMs);
    try {
      // undici's request rather than fetch: the same HTTP/1.1 keep-alive, less per-call overhead.
      const response = await request(`${this.#url}/v1/data/${entrypoint}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: inputJson === undefined ? JSON.stringify({ input }) : `{"input":${inputJson}}`,
        signal,
        dispatcher: this.#dispatcher,
      });
      if (response.statusCode < 200 || response.statusCode > 299) {
        await response.body.dump();
        throw new PolicyUnavailable(
          "http_error",
          `OPA answered HTTP ${response.statusCode} for ${entrypoint}`,
        );
      }
      const body: unknown = await response.body.json();
      if (body === null || typeof body !== "object") {
        throw new PolicyUnavailable("malformed", `OPA answered a non-object body for ${entrypoint}`);
      }
      return (body as { result?: unknown }).result;
    } catch (error) {
      if (error instanceof PolicyUnavailable) throw error;
      // The timeout can fire while waiting for the headers or while reading the body.
      if (signal.aborted) {
        throw new PolicyUnavailable("timeout", `OPA did not answer within ${this.#timeoutMs} ms`, error);
      }
      if (error instanceof SyntaxError) {
        throw new PolicyUnavailable(
          "malformed",
          `OPA answered a body that is not JSON for ${entrypoint}`,
          error,
        );
      }
      throw new PolicyUnavailable("unreachable", `OPA at ${this.#url} is unreachable`, error);
    }
  }

  async close(): Promise<void> {
    await this.#dispatcher.close();
  }
}
