import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { Component } from "../component.js";
import { SocError } from "../errors.js";
import { isConnectionError, whileRestarting } from "../restart.js";
import { traceparent } from "../trace.js";
import { recordMcpCall } from "../usage.js";
import { JsonHttpClientTransport, McpHttpError } from "./client-transport.js";
import { MCP_PATH } from "./server.js";

/** What an agent may call: its AgentConfig's tools, and those of them that need a human's approval. */
export interface ToolGrant {
  readonly tools: readonly string[];
  readonly requireApproval: readonly string[];
}

/**
 * Calls one MCP server's tools over mutual TLS, with the traceparent in `_meta`. Every call is
 * recorded in the current step's usage and in the metrics.
 */
export class McpPeer {
  #client: Promise<Client> | undefined;

  constructor(
    private readonly component: Component,
    private readonly server: string,
    private readonly url: string,
    private readonly timeoutMs: number,
    /** The tools this agent's AgentConfig allows and those needing approval, as in force now. */
    private readonly grant: ToolGrant,
  ) {}

  /**
   * Calls `tool` if the AgentConfig in force lists it; one it marks `requireApproval` only for a
   * call made on a human's approval (`approvedBy`, the approver's name).
   */
  async call(
    tool: string,
    args: Record<string, unknown>,
    { approvedBy = null }: { approvedBy?: string | null } = {},
  ): Promise<Record<string, unknown>> {
    const name = `${this.server}/${tool}`;
    if (!this.grant.tools.includes(name)) {
      throw new SocError(
        "tool_not_allowed",
        `${this.component.name} may not call ${name}: not in its AgentConfig tools`,
      );
    }
    if (this.grant.requireApproval.includes(name) && !approvedBy) {
      throw new SocError(
        "approval_required",
        `${this.component.name} calls ${name} only on a human's approval (its AgentConfig's requireApproval)`,
      );
    }
    const started = performance.now();
    let error: string | null = null;
    try {
      const result = await this.#callTool(tool, args);
      if (result.isError) {
        const text = Array.isArray(result.content)
          ? (result.content[0] as { text?: string } | undefined)?.text
          : undefined;
        throw new SocError("tool_failed", `${this.server} ${tool} failed: ${text ?? "no detail"}`);
      }
      if (!result.structuredContent)
        throw new SocError("tool_failed", `${this.server} ${tool} returned no structured content`);
      return result.structuredContent as Record<string, unknown>;
    } catch (cause) {
      this.#client = undefined;
      const failure =
        cause instanceof SocError
          ? cause
          : new SocError("mcp_unavailable", `failed to call ${this.server} ${tool}`, {
              retryable: true,
              cause,
            });
      error = failure.message;
      throw failure;
    } finally {
      const seconds = (performance.now() - started) / 1000;
      this.component.metrics.mcpClient.observe(
        { server: this.server, tool, outcome: error ? "error" : "ok" },
        seconds,
      );
      recordMcpCall({ server: this.server, tool, latency_ms: Math.round(seconds * 1e4) / 10, error });
    }
  }

  /**
   * One call, asked again on a new session while the server is restarting (the connection refused
   * or dropped, or the session unknown to it) until the call's deadline. Tools the fleet calls are
   * read-only or keyed by an idempotency key, so a repeat never acts twice.
   */
  #callTool(tool: string, args: Record<string, unknown>) {
    const header = traceparent();
    const request = { name: tool, arguments: args, ...(header ? { _meta: { traceparent: header } } : {}) };
    const deadline = Date.now() + this.timeoutMs;
    return whileRestarting(
      deadline,
      async () =>
        (await this.#connect()).callTool(request, undefined, {
          timeout: Math.max(1, deadline - Date.now()),
        }),
      {
        retryable: (error) =>
          isConnectionError(error) || (error instanceof McpHttpError && error.status === 404),
        onRetry: () => (this.#client = undefined),
      },
    );
  }

  #connect(): Promise<Client> {
    this.#client ??= (async () => {
      const client = new Client({ name: this.component.name, version: "1.0.0" });
      const url = new URL(MCP_PATH, this.url);
      await client.connect(
        new JsonHttpClientTransport(url, this.component.identity, this.server, this.timeoutMs),
      );
      return client;
    })();
    return this.#client;
  }
}
