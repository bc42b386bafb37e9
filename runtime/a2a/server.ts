import { createServer } from "node:https";
import { randomUUID } from "node:crypto";
import express, { type NextFunction, type Request, type Response } from "express";
import { AgentCard, Role, type Message } from "@a2a-js/sdk";
import {
  AgentEvent,
  DefaultRequestHandler,
  InMemoryTaskStore,
  STATE_HEADERS_KEY,
  type AgentExecutor,
  type RequestContext,
} from "@a2a-js/sdk/server";
import { jsonRpcHandler } from "@a2a-js/sdk/server/express";
import type { Component } from "../component.js";
import { SocError, causeChain } from "../errors.js";
import { serverTls, peerIdentity } from "../tls.js";
import { callersOnly } from "../callers.js";
import { newTrace, parseTraceparent, withCase, withTrace } from "../trace.js";
import { measureUsage } from "../usage.js";
import type { SkillHandler, SkillReply, SkillRequest } from "./skill.js";
import { isJsonRpc } from "../json-rpc.js";

export interface AgentOptions {
  description: string;
  host: string;
  port: number;
  skills: readonly SkillHandler[];
  /** Extra express routes served beside A2A on the same mTLS listener. */
  routes?: (app: express.Express) => void;
}

export const JSONRPC_PATH = "/a2a/jsonrpc";

/** A request body's limit, unless a skill of the agent declares a larger input (`maxInputBytes`). */
export const DEFAULT_MAX_INPUT_BYTES = 100_000;

/**
 * Serves a component's skills as an A2A agent over mutual TLS. Only callers whose certificate
 * identity is on some skill's allow-list get past the TLS handshake's HTTP layer; each skill then
 * checks its own list.
 */
export async function serveAgent(component: Component, options: AgentOptions): Promise<void> {
  const allowed = new Set(options.skills.flatMap((s) => s.spec.callers));
  const card = agentCard(component.name, options);
  const executor = skillExecutor(component, options.skills);
  const requestHandler = new DefaultRequestHandler(card, new InMemoryTaskStore(), executor);

  const app = express();
  app.disable("x-powered-by");
  app.use(callersOnly(component, allowed));
  // The card as A2A 1.0 JSON (the SDK keeps it in its in-memory form, which other SDKs do not read).
  const published = JSON.stringify(AgentCard.toJSON(card));
  app.get("/.well-known/agent-card.json", (_req, res) => {
    res.type("application/json").send(published);
  });
  options.routes?.(app);
  // The body read here (the SDK's own parser then leaves it), so that a body too large, not JSON or
  // not JSON-RPC is counted before the SDK answers it in JSON-RPC's words.
  app.use(
    JSONRPC_PATH,
    express.json({
      limit: Math.max(DEFAULT_MAX_INPUT_BYTES, ...options.skills.map((s) => s.spec.maxInputBytes ?? 0)),
    }),
    (req: Request, _res: Response, next: NextFunction) => {
      if (!isJsonRpc(req.body)) component.metrics.badRequests.inc({ reason: "not_jsonrpc" });
      next();
    },
    (error: Error & { type?: string }, _req: Request, _res: Response, next: NextFunction) => {
      component.metrics.badRequests.inc({
        reason: error.type === "entity.too.large" ? "too_large" : "not_json",
      });
      next(error);
    },
  );
  app.use(
    JSONRPC_PATH,
    jsonRpcHandler({
      requestHandler,
      userBuilder: (req) =>
        Promise.resolve({ isAuthenticated: true, userName: peerIdentity(req) ?? "unknown" }),
    }),
  );

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

function agentCard(name: string, options: AgentOptions): AgentCard {
  return {
    name,
    description: options.description,
    version: "1.0.0",
    supportedInterfaces: [
      {
        url: `https://${options.host}:${options.port}${JSONRPC_PATH}`,
        protocolBinding: "JSONRPC",
        protocolVersion: "1.0",
        tenant: "",
      },
    ],
    provider: { organization: "soc-fleet", url: "https://github.com/soc-fleet" },
    capabilities: { streaming: false, pushNotifications: false, extensions: [] },
    securitySchemes: {
      mtls: {
        scheme: {
          $case: "mtlsSecurityScheme",
          value: { description: "client certificate signed by the fleet CA" },
        },
      },
    },
    // Every call needs the client certificate, and each skill names the identities it serves.
    securityRequirements: [{ schemes: { mtls: { list: [] } } }],
    defaultInputModes: ["application/json"],
    defaultOutputModes: ["application/json"],
    skills: options.skills.map(({ spec }) => ({
      id: spec.id,
      name: spec.id,
      description: spec.description,
      tags: [name],
      examples: [],
      inputModes: ["application/json"],
      outputModes: ["application/json"],
      securityRequirements: [],
    })),
    signatures: [],
  };
}

function skillExecutor(component: Component, skills: readonly SkillHandler[]): AgentExecutor {
  const byId = new Map(skills.map((s) => [s.spec.id, s]));
  return {
    async execute(request: RequestContext, bus) {
      const headers = request.context.state.get(STATE_HEADERS_KEY) as
        Record<string, string | undefined> | undefined;
      const trace = parseTraceparent(headers?.traceparent) ?? newTrace();
      const caller = request.context.user?.userName ?? "unknown";
      const reply = await withTrace(trace, () => runSkill(component, byId, caller, request.userMessage));
      const message: Message = {
        messageId: randomUUID(),
        contextId: request.contextId,
        taskId: "",
        role: Role.ROLE_AGENT,
        parts: [
          {
            content: { $case: "data", value: reply },
            metadata: undefined,
            filename: "",
            mediaType: "application/json",
          },
        ],
        metadata: { trace_id: trace.traceId },
        extensions: [],
        referenceTaskIds: [],
      };
      bus.publish(AgentEvent.message(message));
      bus.finished();
    },
    cancelTask: () => Promise.resolve(),
  };
}

async function runSkill(
  component: Component,
  byId: Map<string, SkillHandler>,
  caller: string,
  message: Message,
): Promise<SkillReply> {
  const started = performance.now();
  const request = message.parts[0]?.content;
  const { skill, input } = (request?.$case === "data" ? request.value : {}) as Partial<SkillRequest>;
  const handler = skill ? byId.get(skill) : undefined;
  const observe = (outcome: string) =>
    component.metrics.a2aServer.observe(
      { skill: skill ?? "unknown", caller, outcome },
      (performance.now() - started) / 1000,
    );
  try {
    if (!handler) throw new SocError("unknown_skill", `${component.name} has no skill ${String(skill)}`);
    if (!handler.spec.callers.includes(caller)) {
      component.metrics.refused.inc({ caller });
      throw new SocError("caller_refused", `caller ${caller} may not use ${handler.spec.id}`);
    }
    const parsed = handler.spec.input.safeParse(input);
    if (!parsed.success)
      throw new SocError("invalid_input", `invalid input for ${handler.spec.id}: ${parsed.error.message}`);
    const caseId = (parsed.data as { case_id?: unknown }).case_id;
    const run = () => measureUsage(() => handler.handle(parsed.data, { caller }));
    const { result, usage } = typeof caseId === "string" ? await withCase(caseId, run) : await run();
    observe("ok");
    const duration_ms = Math.round((performance.now() - started) * 10) / 10;
    component.log.info(
      { skill: handler.spec.id, caller, duration_ms, mcp_calls: usage.mcp_calls.length },
      "skill served",
    );
    return { ok: true, output: handler.spec.output.parse(result), usage };
  } catch (error) {
    const failure = SocError.from(error);
    observe(failure.code);
    component.log.warn({ skill: skill ?? null, caller, err: causeChain(error) }, "skill failed");
    return { ok: false, error: failure.toJSON() };
  }
}
