import { existsSync } from "node:fs";
import { Agent, request, type RequestOptions } from "node:https";
import { homedir } from "node:os";
import { join } from "node:path";
import { KubeConfig, Watch } from "@kubernetes/client-node";
import { SocError } from "./errors.js";

/** One request to the API server, as sent (contracts/cluster.ts records it as KubeRequest). */
export interface KubeRequest {
  method: string;
  path: string;
  contentType?: string;
  body?: unknown;
}

/** An object as the API server returns it; only the fields the fleet reads are typed. */
export interface KubeObject {
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    generation?: number;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    deletionTimestamp?: string;
    ownerReferences?: { kind: string; name: string; controller?: boolean }[];
  };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}

/** Where a pod's ServiceAccount token is mounted: its presence means in-cluster credentials. */
const SERVICE_ACCOUNT_TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token";

/** The API server's answer to one request: its status and decoded body (an object, or a Status). */
export interface KubeReply {
  status: number;
  body: KubeObject & { kind?: string; message?: string; reason?: string; items?: KubeObject[] };
}

const TIMEOUT_MS = 10_000;
/** How long what the server serves is taken as known: a CRD installed since is seen after this. */
const DISCOVERY_TTL_MS = 60_000;

/**
 * The Kubernetes API as the remediation identity, through @kubernetes/client-node's credentials
 * (client certificates, tokens, exec plugins, in-cluster ServiceAccount) with the exact requests
 * the response actions declare, so that what is recorded is what was sent.
 */
export class KubeApi {
  /** Connections kept open between requests: a TLS handshake cost more than the request itself. */
  #agent: Agent | undefined;
  /** What each group version serves, read at most every DISCOVERY_TTL_MS as kubectl caches it. */
  readonly #discovery = new Map<string, { resources: Promise<string[]>; at: number }>();

  private constructor(
    private readonly config: KubeConfig,
    private readonly timeoutMs: number,
  ) {}

  /**
   * The API of the configured cluster, as kubectl finds it: the kubeconfig file named, else the
   * pod's ServiceAccount, else ~/.kube/config; null when there is none of them.
   */
  static load(kubeconfig: string | undefined, timeoutMs = TIMEOUT_MS): KubeApi | null {
    const config = new KubeConfig();
    const home = join(homedir(), ".kube", "config");
    if (kubeconfig) config.loadFromFile(kubeconfig);
    else if (existsSync(SERVICE_ACCOUNT_TOKEN)) config.loadFromCluster();
    else if (existsSync(home)) config.loadFromFile(home);
    else return null;
    if (!config.getCurrentCluster())
      throw new SocError("kube_config", "the kubeconfig names no current cluster");
    return new KubeApi(config, timeoutMs);
  }

  /** The namespace of the current context, as kubectl takes it (in a pod: the pod's own). */
  get namespace(): string {
    return this.config.getContextObject(this.config.getCurrentContext())?.namespace ?? "default";
  }

  /**
   * Follows a collection with the server's watch (client-node's), calling `onEvent` for each event,
   * until the server ends it (`timeoutSeconds`, or a resourceVersion too old), it fails, or `signal`
   * aborts it: resolves then, or rejects with the failure.
   */
  watch(
    path: string,
    query: Record<string, string | number | boolean>,
    onEvent: (type: string, object: KubeObject) => void,
    signal: AbortSignal,
  ): Promise<void> {
    return new Promise((resolve, reject) => {
      const ended = (error: unknown) => (error ? reject(toError(error)) : resolve());
      new Watch(this.config)
        .watch(path, query, (type, object: KubeObject) => onEvent(type, object), ended)
        .then((controller) => signal.addEventListener("abort", () => controller.abort(), { once: true }))
        .catch(ended);
    });
  }

  /** The API server's URL, for logs and the reasoning chain. */
  get server(): string {
    return this.config.getCurrentCluster()?.server ?? "";
  }

  /**
   * Sends one request; with `dryRun` the server validates it (schema, RBAC, admission) and answers
   * with the object it would store, storing nothing. Any answer is returned; only an unreachable
   * server throws.
   */
  async send(kube: KubeRequest, options: { dryRun?: boolean } = {}): Promise<KubeReply> {
    const url = new URL(kube.path, this.server);
    if (options.dryRun) url.searchParams.set("dryRun", "All");
    const body = kube.body === undefined ? undefined : JSON.stringify(kube.body);
    const https: RequestOptions = {
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port,
      path: `${url.pathname}${url.search}`,
      method: kube.method,
      headers: {
        accept: "application/json",
        ...(body === undefined ? {} : { "content-type": kube.contentType ?? "application/json" }),
      },
      timeout: this.timeoutMs,
    };
    await this.config.applyToHTTPSOptions(https);
    // The library's agent opens a connection per request; ours keeps them, with the same TLS material.
    this.#agent ??= new Agent({
      keepAlive: true,
      ca: https.ca,
      cert: https.cert,
      key: https.key,
      ...(https.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: https.rejectUnauthorized }),
      ...(https.servername === undefined ? {} : { servername: https.servername }),
    });
    https.agent = this.#agent;
    return new Promise((resolve, reject) => {
      const sent = request(https, (response) => {
        let text = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => (text += chunk));
        response.on("end", () => {
          const status = response.statusCode ?? 0;
          try {
            resolve({ status, body: text ? (JSON.parse(text) as KubeReply["body"]) : {} });
          } catch {
            resolve({ status, body: { kind: "Status", message: text.slice(0, 500) } });
          }
        });
      });
      sent.on("timeout", () => sent.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      sent.on("error", (error) =>
        reject(
          new SocError(
            "kube_unreachable",
            `the API server ${this.server} cannot be reached: ${error.message}`,
            {
              retryable: true,
              cause: error,
            },
          ),
        ),
      );
      sent.end(body);
    });
  }

  async get(path: string): Promise<KubeObject | null> {
    const reply = await this.send({ method: "GET", path });
    if (reply.status === 404) return null;
    return ok(reply, "GET", path);
  }

  async list(
    path: string,
    selectors: { labelSelector?: string; fieldSelector?: string } = {},
  ): Promise<KubeObject[]> {
    const query = new URLSearchParams(Object.entries(selectors).filter(([, value]) => value !== undefined));
    const full = query.size > 0 ? `${path}?${query.toString()}` : path;
    const reply = await this.send({ method: "GET", path: full });
    return ok(reply, "GET", path).items ?? [];
  }

  async serves(groupVersion: string, resource: string): Promise<boolean> {
    let known = this.#discovery.get(groupVersion);
    if (!known || Date.now() - known.at > DISCOVERY_TTL_MS) {
      known = { resources: this.#discover(groupVersion), at: Date.now() };
      this.#discovery.set(groupVersion, known);
      // A failed read is not remembered: the next call asks again.
      known.resources.catch(() => this.#discovery.delete(groupVersion));
    }
    return (await known.resources).includes(resource);
  }

  async #discover(groupVersion: string): Promise<string[]> {
    const path = groupVersion.includes("/") ? `/apis/${groupVersion}` : `/api/${groupVersion}`;
    const reply = await this.send({ method: "GET", path });
    if (reply.status === 404) return [];
    const list = ok(reply, "GET", path) as { resources?: { name: string }[] };
    return list.resources?.map((entry) => entry.name) ?? [];
  }
}

const toError = (error: unknown) => (error instanceof Error ? error : new Error(String(error)));

/** The body of a successful answer; otherwise the server's own reason, as a refusal. */
function ok(reply: KubeReply, method: string, path: string): KubeReply["body"] {
  if (reply.status >= 200 && reply.status < 300) return reply.body;
  throw refusal(reply, method, path);
}

/** What the server said when it refused a request: its status, reason and message, safe to show. */
export function refusal(reply: KubeReply, method: string, path: string): SocError {
  const reason = reply.body.reason ? ` ${reply.body.reason}` : "";
  const message = reply.body.message ?? "no message";
  return new SocError(
    "kube_refused",
    `the API server refused ${method} ${path} (${reply.status}${reason}): ${message}`,
  );
}
