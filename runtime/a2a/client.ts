import { randomUUID } from "node:crypto";
import { AgentCard, Role } from "@a2a-js/sdk";
import {
  ClientFactory,
  ClientFactoryOptions,
  JsonRpcTransportFactory,
  type Client,
} from "@a2a-js/sdk/client";
import type { z } from "zod";
import type { Component } from "../component.js";
import { SocError } from "../errors.js";
import { mtlsFetch } from "../tls.js";
import { isConnectionError, whileRestarting } from "../restart.js";
import { currentTrace, traceparent } from "../trace.js";
import type { Usage } from "../usage.js";
import type { SkillReply, SkillSpec } from "./skill.js";

export interface PeerOptions {
  /** Base URL of each agent by name, e.g. `https://127.0.0.1:2804`. */
  urls: Record<string, string>;
  /** How long one call may take, retries on a refused or reset connection included. */
  timeoutMs: number;
  /** The language model's budget, added to the call's time for a skill that asks one or waits on one. */
  modelTimeoutMs?: number;
}

export interface CallResult<T> {
  output: T;
  usage: Usage;
}

/**
 * Calls other agents' skills over A2A with mutual TLS. Carries the current traceparent, retries
 * while the peer is restarting, and gives up at the deadline with a retryable `agent_unavailable`.
 */
export class Peers {
  readonly #clients = new Map<string, Promise<Client>>();

  constructor(
    private readonly component: Component,
    private readonly options: PeerOptions,
  ) {}

  async call<S extends SkillSpec>(
    spec: S,
    input: z.input<S["input"]>,
    {
      timeoutMs = this.options.timeoutMs + (spec.model ? (this.options.modelTimeoutMs ?? 0) : 0),
    }: { timeoutMs?: number } = {},
  ): Promise<CallResult<z.output<S["output"]>>> {
    const started = performance.now();
    const deadline = Date.now() + timeoutMs;
    const observe = (outcome: string) =>
      this.component.metrics.a2aClient.observe(
        { agent: spec.agent, skill: spec.id, outcome },
        (performance.now() - started) / 1000,
      );
    try {
      const reply = await whileRestarting(deadline, () => this.#send(spec, input, deadline), {
        // A reply the peer sent (a SocError) is final; only the connection is worth trying again.
        retryable: (error) => !(error instanceof SocError) && isConnectionError(error),
        onRetry: () => this.#clients.delete(spec.agent),
      });
      if (!reply.ok) {
        observe(reply.error.code);
        throw new SocError(reply.error.code, reply.error.message, { retryable: reply.error.retryable });
      }
      observe("ok");
      return {
        output: spec.output.parse(reply.output) as z.output<S["output"]>,
        usage: reply.usage as Usage,
      };
    } catch (error) {
      if (error instanceof SocError) throw error;
      observe("unavailable");
      throw new SocError("agent_unavailable", `failed to reach ${spec.agent} for ${spec.id}`, {
        retryable: true,
        cause: error,
      });
    }
  }

  async #send(spec: SkillSpec, input: unknown, deadline: number): Promise<SkillReply> {
    const signal = AbortSignal.timeout(Math.max(1, deadline - Date.now()));
    const client = await this.#client(spec.agent, signal);
    const header = traceparent();
    const result = await client.sendMessage(
      {
        tenant: "",
        configuration: undefined,
        metadata: undefined,
        message: {
          messageId: randomUUID(),
          contextId: currentTrace()?.traceId ?? "",
          taskId: "",
          role: Role.ROLE_USER,
          parts: [
            {
              content: { $case: "data", value: { skill: spec.id, input } },
              metadata: undefined,
              filename: "",
              mediaType: "application/json",
            },
          ],
          metadata: undefined,
          extensions: [],
          referenceTaskIds: [],
        },
      },
      { signal, ...(header ? { serviceParameters: { traceparent: header } } : {}) },
    );
    const part = "parts" in result ? result.parts[0]?.content : undefined;
    if (part?.$case !== "data")
      throw new SocError("bad_reply", `${spec.agent} answered ${spec.id} without data`);
    return part.value as SkillReply;
  }

  #client(agent: string, signal: AbortSignal): Promise<Client> {
    let client = this.#clients.get(agent);
    if (!client) {
      client = this.#connect(agent, signal);
      client.catch(() => this.#clients.delete(agent));
      this.#clients.set(agent, client);
    }
    return client;
  }

  async #connect(agent: string, signal: AbortSignal): Promise<Client> {
    const base = this.options.urls[agent];
    if (!base) throw new SocError("unknown_agent", `no address configured for agent ${agent}`);
    // Spoken to only if it presents the certificate of the agent meant, not any of the fleet's.
    const fetch = mtlsFetch(this.component.identity, agent);
    const response = await fetch(`${base}/.well-known/agent-card.json`, {
      headers: { "A2A-Version": "1.0" },
      signal,
    });
    if (!response.ok)
      throw new SocError("card_refused", `${agent} refused its agent card: HTTP ${response.status}`);
    const card = reachedAt(AgentCard.fromJSON(await response.json()), base);
    const factory = new ClientFactory(
      ClientFactoryOptions.createFrom(ClientFactoryOptions.default, {
        transports: [new JsonRpcTransportFactory({ fetchImpl: fetch })],
      }),
    );
    return factory.createFromAgentCard(card);
  }
}

/**
 * The card with its interfaces at the address the caller reached it: a card names the address its
 * agent listens on, which in a pod is 0.0.0.0 (any interface) and from a port-forward is not the
 * caller's either. Only the scheme, host and port change; the path stays the agent's.
 */
export function reachedAt(card: AgentCard, base: string): AgentCard {
  const reached = new URL(base);
  return {
    ...card,
    supportedInterfaces: card.supportedInterfaces.map((entry) => {
      const url = new URL(entry.url);
      url.protocol = reached.protocol;
      url.host = reached.host;
      return { ...entry, url: url.toString() };
    }),
  };
}
