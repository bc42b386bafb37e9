import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { request, type Agent } from "undici";
import { mtlsAgent, type Identity } from "../tls.js";

/** An HTTP status the server answered instead of a JSON-RPC message. */
export class McpHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "McpHttpError";
  }
}

/**
 * The client half of MCP Streamable HTTP for servers that answer POSTs with JSON (ours do:
 * `enableJsonResponse`), over mutual TLS with undici's `request`. The SDK's transport goes
 * through WHATWG `fetch` (streams, Request/Response objects, and an abort listener per call on a
 * signal that lives as long as the transport, freed only by GC): on the reviewer's path to the
 * policy engine that cost more than the policy itself. Protocol, negotiation and validation of
 * results stay with the SDK's `Client`; an SSE answer is read too, for servers that stream.
 */
export class JsonHttpClientTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  sessionId?: string;
  #protocolVersion: string | undefined;
  #closed = false;
  readonly #dispatcher: Agent;

  constructor(
    private readonly url: URL,
    identity: Identity,
    /** The server's identity: only its certificate is spoken to. */
    server: string,
    /** Longest wait for the headers and between body chunks; the SDK times the whole call itself. */
    private readonly timeoutMs: number,
  ) {
    this.#dispatcher = mtlsAgent(identity, server);
  }

  start(): Promise<void> {
    return Promise.resolve();
  }

  setProtocolVersion(version: string): void {
    this.#protocolVersion = version;
  }

  async send(message: JSONRPCMessage): Promise<void> {
    if (this.#closed) throw new Error("the MCP transport is closed");
    const headers: Record<string, string> = {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
    };
    if (this.sessionId) headers["mcp-session-id"] = this.sessionId;
    if (this.#protocolVersion) headers["mcp-protocol-version"] = this.#protocolVersion;
    const response = await request(this.url, {
      method: "POST",
      headers,
      body: JSON.stringify(message),
      dispatcher: this.#dispatcher,
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
    });
    const session = response.headers["mcp-session-id"];
    if (typeof session === "string") this.sessionId = session;
    const text = await response.body.text();
    if (response.statusCode === 202) return;
    if (response.statusCode < 200 || response.statusCode > 299) {
      // 404 with a session: the server no longer knows it (restarted); the caller starts anew.
      throw new McpHttpError(
        response.statusCode,
        `MCP server answered HTTP ${response.statusCode}: ${text.slice(0, 200)}`,
      );
    }
    const type = String(response.headers["content-type"] ?? "");
    const payloads = type.startsWith("text/event-stream") ? sseData(text) : [text];
    for (const payload of payloads) {
      const parsed: unknown = JSON.parse(payload);
      for (const item of Array.isArray(parsed) ? (parsed as unknown[]) : [parsed]) {
        if (!isJsonRpc(item)) throw new Error("the MCP server answered something that is not JSON-RPC 2.0");
        this.onmessage?.(item);
      }
    }
  }

  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.onclose?.();
    }
    return Promise.resolve();
  }
}

/** The `data:` payloads of a complete SSE body, one per event. */
function sseData(text: string): string[] {
  const payloads: string[] = [];
  for (const event of text.split(/\r?\n\r?\n/)) {
    const data = event
      .split(/\r?\n/)
      .filter((line) => line.startsWith("data:"))
      .map((line) => line.slice(line.startsWith("data: ") ? 6 : 5));
    if (data.length > 0) payloads.push(data.join("\n"));
  }
  return payloads;
}

function isJsonRpc(value: unknown): value is JSONRPCMessage {
  return value !== null && typeof value === "object" && (value as { jsonrpc?: unknown }).jsonrpc === "2.0";
}
