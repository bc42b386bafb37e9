import type { IncomingHttpHeaders, ServerResponse } from "node:http";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import {
  SUPPORTED_PROTOCOL_VERSIONS,
  type JSONRPCMessage,
  type MessageExtraInfo,
  type RequestId,
} from "@modelcontextprotocol/sdk/types.js";

/** One POST's JSON-RPC requests waiting for their responses, and where the answer goes. */
interface Exchange {
  res: ServerResponse;
  waiting: Set<RequestId>;
  responses: JSONRPCMessage[];
  batch: boolean;
}

/**
 * The server half of MCP Streamable HTTP for one session, answering every POST with JSON (the
 * spec's `application/json` response; no server-initiated stream), straight on Node's request and
 * response. The SDK's transport converts each request to a WHATWG Request and each answer back
 * from a Response: on the reviewer's path that cost more than the policy it asked. The protocol
 * (initialize, tools/list, tools/call, validation) stays with the SDK's server.
 */
export class JsonHttpServerTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage, extra?: MessageExtraInfo) => void;
  #exchanges = new Map<RequestId, Exchange>();
  #closed = false;

  /** `sessionId` undefined: a stateless exchange, one server for one request. */
  constructor(readonly sessionId: string | undefined) {}

  start(): Promise<void> {
    return Promise.resolve();
  }

  /** Hands parsed messages to the server; requests are answered on `res` once all have responses. */
  handle(body: unknown, headers: IncomingHttpHeaders, res: ServerResponse): void {
    const messages = (Array.isArray(body) ? body : [body]) as JSONRPCMessage[];
    const version = headers["mcp-protocol-version"];
    if (typeof version === "string" && !SUPPORTED_PROTOCOL_VERSIONS.includes(version)) {
      jsonError(res, 400, -32000, `Bad Request: unsupported protocol version ${version}`);
      return;
    }
    const extra: MessageExtraInfo = { requestInfo: { headers } };
    const requests = messages.filter((m) => "method" in m && "id" in m) as { id: RequestId }[];
    if (requests.length === 0) {
      res.writeHead(202).end();
      for (const message of messages) this.onmessage?.(message, extra);
      return;
    }
    const exchange: Exchange = {
      res,
      waiting: new Set(requests.map((r) => r.id)),
      responses: [],
      batch: Array.isArray(body),
    };
    for (const { id } of requests) this.#exchanges.set(id, exchange);
    for (const message of messages) this.onmessage?.(message, extra);
  }

  send(message: JSONRPCMessage): Promise<void> {
    // Only responses have somewhere to go: without a stream, notifications (progress, logs) the
    // server sends along the way are dropped, as the SDK's transport drops them in JSON mode.
    const id = "id" in message && !("method" in message) ? message.id : undefined;
    const exchange = id === undefined ? undefined : this.#exchanges.get(id);
    if (id === undefined || !exchange) {
      if (id !== undefined) this.onerror?.(new Error(`no open request with id ${String(id)}`));
      return Promise.resolve();
    }
    this.#exchanges.delete(id);
    exchange.waiting.delete(id);
    exchange.responses.push(message);
    if (exchange.waiting.size === 0) {
      const body = exchange.batch ? exchange.responses : exchange.responses[0];
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (this.sessionId) headers["mcp-session-id"] = this.sessionId;
      if (!exchange.res.writableEnded) exchange.res.writeHead(200, headers).end(JSON.stringify(body));
    }
    return Promise.resolve();
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    for (const { res } of new Set(this.#exchanges.values())) {
      if (!res.headersSent) jsonError(res, 404, -32001, "Session not found");
    }
    this.#exchanges.clear();
    this.onclose?.();
    return Promise.resolve();
  }
}

export function jsonError(res: ServerResponse, status: number, code: number, message: string): void {
  res
    .writeHead(status, { "content-type": "application/json" })
    .end(JSON.stringify({ jsonrpc: "2.0", error: { code, message }, id: null }));
}
