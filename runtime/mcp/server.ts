import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer } from "node:https";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js";
import type { z } from "zod";
import type { Component } from "../component.js";
import { SocError, causeChain } from "../errors.js";
import { serverTls, peerIdentity } from "../tls.js";
import { refuseCaller } from "../callers.js";
import { newTrace, parseTraceparent, withTrace } from "../trace.js";
import { JsonHttpServerTransport, jsonError } from "./server-transport.js";
import { isJsonRpc } from "../json-rpc.js";

/** One MCP tool: name, schemas, behaviour annotations and the code behind it. */
export interface ToolDefinition<I extends z.ZodObject = z.ZodObject, O extends z.ZodObject = z.ZodObject> {
  name: string;
  title: string;
  description: string;
  input: I;
  output: O;
  annotations: {
    readOnlyHint: boolean;
    destructiveHint: boolean;
    idempotentHint: boolean;
    openWorldHint: boolean;
  };
  /** Which of the server's callers may see and call this tool; all of them when absent. */
  callers?: readonly string[];
  handle(input: z.output<I>): Promise<z.input<O>>;
}

export function tool<I extends z.ZodObject, O extends z.ZodObject>(
  definition: ToolDefinition<I, O>,
): ToolDefinition {
  return definition;
}

export interface McpOptions {
  host: string;
  port: number;
  /** Certificate identities allowed to call this server. */
  callers: readonly string[];
  tools: readonly ToolDefinition[];
}

export const MCP_PATH = "/mcp";

/**
 * Serves tools over Streamable HTTP on mutual TLS, answering with JSON. Each client gets a session
 * (one MCP server and its validators, built once at `initialize`): a fresh server per request cost
 * more than the policy it asked. A client whose session is gone (the server restarted) is told 404
 * and starts a new one; requests without a session that are not `initialize` are answered
 * statelessly. Plain Node HTTP rather than express: routing and body parsing for one path showed
 * in the reviewer's verdict latency.
 */
export async function serveMcp(component: Component, options: McpOptions): Promise<void> {
  const sessions = new Map<string, JsonHttpServerTransport>();
  // A connection's peer certificate cannot change, and reading it builds a large object each
  // time (it showed in profiles): look it up once per connection.
  const callers = new WeakMap<object, string | undefined>();
  const callerOf = (req: IncomingMessage) => {
    if (!callers.has(req.socket)) callers.set(req.socket, peerIdentity(req));
    return callers.get(req.socket);
  };

  // A session belongs to the caller that opened it: another caller presenting its id is not served.
  const owners = new Map<string, string>();
  const open = (sessionId: string | undefined, caller: string): JsonHttpServerTransport => {
    // Each caller is served only the tools named for it: the others are not listed, nor callable.
    const tools = options.tools.filter((tool) => tool.callers?.includes(caller) ?? true);
    const server = mcpServer(component, tools);
    const transport = new JsonHttpServerTransport(sessionId);
    transport.onclose = () => {
      if (sessionId) sessions.delete(sessionId);
      if (sessionId) owners.delete(sessionId);
      void server.close();
    };
    transport.onerror = (error) => component.log.warn({ err: causeChain(error) }, "mcp transport error");
    void server.connect(transport);
    if (sessionId) {
      sessions.set(sessionId, transport);
      owners.set(sessionId, caller);
      // Sessions are few (one per calling process); the oldest goes first when a flood arrives.
      if (sessions.size > 1000) void sessions.values().next().value?.close();
    }
    return transport;
  };

  const post = (req: IncomingMessage, res: ServerResponse, body: unknown, caller: string) => {
    const sessionId = req.headers["mcp-session-id"];
    if (typeof sessionId === "string") {
      const transport = owners.get(sessionId) === caller ? sessions.get(sessionId) : undefined;
      if (!transport) jsonError(res, 404, -32001, "session not found");
      else if (isInitializeRequest(body)) jsonError(res, 400, -32600, "Invalid Request: already initialized");
      else transport.handle(body, req.headers, res);
      return;
    }
    if (isInitializeRequest(body)) {
      open(randomUUID(), caller).handle(body, req.headers, res);
      return;
    }
    const transport = open(undefined, caller);
    res.on("close", () => void transport.close());
    transport.handle(body, req.headers, res);
  };

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const caller = callerOf(req);
    if (!caller || !options.callers.includes(caller)) {
      refuseCaller(component, res, caller, req.url);
      return;
    }
    if ((req.url ?? "").split("?")[0] !== MCP_PATH) {
      res.writeHead(404).end();
      return;
    }
    if (req.method === "DELETE") {
      const transport = sessions.get(String(req.headers["mcp-session-id"] ?? ""));
      res.writeHead(transport ? 200 : 404).end();
      void transport?.close();
      return;
    }
    // No server-initiated stream. 405 (not 404) keeps MCP clients and the Inspector happy.
    if (req.method !== "POST") {
      res.writeHead(405, { allow: "POST, DELETE" }).end();
      return;
    }
    readJson(component, req, res, (body) => {
      try {
        post(req, res, body, caller);
      } catch (error) {
        component.log.error({ err: causeChain(error) }, "mcp request failed");
        if (!res.headersSent) res.writeHead(500).end();
      }
    });
  };

  const server = createServer(serverTls(component.identity), handler);
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, resolve);
  });
  component.onStop(
    () =>
      new Promise<void>((resolve) => {
        for (const transport of sessions.values()) void transport.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
}

const MAX_BODY = 1024 * 1024;

/**
 * The POST body as JSON-RPC: 415 unless JSON, 413 past 1 MiB, 400 when it does not parse; each
 * refusal counted in `soc_bad_requests_total`.
 */
function readJson(
  component: Component,
  req: IncomingMessage,
  res: ServerResponse,
  then: (body: unknown) => void,
): void {
  const refuse = (status: number, code: number, message: string, reason: string) => {
    component.metrics.badRequests.inc({ reason });
    jsonError(res, status, code, message);
  };
  const type = req.headers["content-type"] ?? "";
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    refuse(415, -32000, "Unsupported Media Type: Content-Type must be application/json", "media_type");
    req.resume();
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  req.on("data", (chunk: Buffer) => {
    size += chunk.length;
    if (size <= MAX_BODY) chunks.push(chunk);
  });
  req.on("end", () => {
    if (size > MAX_BODY) {
      refuse(413, -32000, "Payload Too Large", "too_large");
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks, size).toString("utf8"));
    } catch {
      refuse(400, -32700, "Parse error: Invalid JSON", "not_json");
      return;
    }
    const messages: unknown[] = Array.isArray(body) ? body : [body];
    if (messages.length === 0 || !messages.every(isJsonRpc)) {
      refuse(400, -32600, "Invalid Request: not JSON-RPC 2.0", "not_jsonrpc");
      return;
    }
    then(body);
  });
}

function mcpServer(component: Component, tools: readonly ToolDefinition[]): McpServer {
  const server = new McpServer({ name: component.name, version: "1.0.0" });
  for (const definition of tools) {
    server.registerTool(
      definition.name,
      {
        title: definition.title,
        description: definition.description,
        inputSchema: definition.input,
        outputSchema: definition.output,
        annotations: definition.annotations,
      },
      async (input: unknown, extra) => {
        const trace = parseTraceparent(extra._meta?.traceparent as string | undefined) ?? newTrace();
        return withTrace(trace, async () => {
          try {
            const output = definition.output.parse(await definition.handle(input as never));
            return {
              content: [{ type: "text" as const, text: JSON.stringify(output) }],
              structuredContent: output,
            };
          } catch (error) {
            const failure = SocError.from(error);
            component.log.warn({ tool: definition.name, err: causeChain(error) }, "tool failed");
            return {
              isError: true,
              content: [{ type: "text" as const, text: JSON.stringify(failure.toJSON()) }],
            };
          }
        });
      },
    );
  }
  return server;
}
