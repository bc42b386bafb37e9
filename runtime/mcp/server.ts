import { createServer } from "node:https";
import express, { type Request, type Response } from "express";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js";
import { randomUUID } from "node:crypto";
import type { z } from "zod";
import type { Component } from "../component.js";
import { SocError, causeChain } from "../errors.js";
import { serverTls, peerIdentity } from "../tls.js";
import { newTrace, parseTraceparent, withTrace } from "../trace.js";

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
 * Serves tools over Streamable HTTP on mutual TLS. Each client gets a session (one MCP server and
 * its validators, built once at `initialize`): a fresh server per request cost more than the
 * policy it asked. A client whose session is gone (the server restarted) is told 404 and starts
 * a new one; requests without a session that are not `initialize` are answered statelessly.
 */
export async function serveMcp(component: Component, options: McpOptions): Promise<void> {
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const app = express();
  app.disable("x-powered-by");
  app.use(express.json({ limit: "1mb" }));
  app.use((req, res, next) => {
    const caller = peerIdentity(req);
    if (!caller || !options.callers.includes(caller)) {
      component.metrics.refused.inc({ caller: caller ?? "unknown" });
      component.log.warn({ caller: caller ?? null }, "caller refused");
      res
        .status(403)
        .json({ error: { code: "caller_refused", message: `caller ${caller ?? "unknown"} is not allowed` } });
      return;
    }
    next();
  });
  const fail = (res: Response) => (error: unknown) => {
    component.log.error({ err: causeChain(error) }, "mcp request failed");
    if (!res.headersSent) res.status(500).end();
  };
  app.post(MCP_PATH, (req: Request, res: Response) => {
    const sessionId = req.header("mcp-session-id");
    if (sessionId) {
      const transport = sessions.get(sessionId);
      if (!transport) {
        res
          .status(404)
          .json({ jsonrpc: "2.0", error: { code: -32001, message: "session not found" }, id: null });
        return;
      }
      transport.handleRequest(req, res, req.body).catch(fail(res));
      return;
    }
    const initializing = isInitializeRequest(req.body);
    const server = mcpServer(component, options.tools);
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: initializing ? randomUUID : undefined,
      enableJsonResponse: true,
      onsessioninitialized: (id) => {
        sessions.set(id, transport);
        // Sessions are few (one per calling process); the oldest goes first when a flood arrives.
        if (sessions.size > 1000) {
          const oldest = sessions.keys().next().value;
          if (oldest !== undefined) void sessions.get(oldest)?.close();
        }
      },
    });
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
      void server.close();
    };
    if (!initializing) res.on("close", () => void transport.close());
    server
      .connect(transport)
      .then(() => transport.handleRequest(req, res, req.body))
      .catch(fail(res));
  });
  app.delete(MCP_PATH, (req: Request, res: Response) => {
    const transport = sessions.get(req.header("mcp-session-id") ?? "");
    if (!transport) {
      res.status(404).end();
      return;
    }
    transport.handleRequest(req, res).catch(fail(res));
  });
  // No server-initiated stream. 405 (not 404) keeps MCP clients and the Inspector happy.
  app.all(MCP_PATH, (_req, res) => {
    res.status(405).set("Allow", "POST").end();
  });

  const server = createServer(serverTls(component.identity), app);
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, resolve);
  });
  component.onStop(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
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
