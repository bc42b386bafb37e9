import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { sleep } from "./client.js";
import type { KubeApiServer } from "./server.js";

/** What the API server asks a webhook to admit: the `request` of an AdmissionReview v1. */
export interface AdmissionRequest {
  uid: string;
  operation: "CREATE" | "UPDATE" | "DELETE" | "CONNECT";
  resource: { group: string; version: string; resource: string };
  subResource?: string;
  namespace?: string;
  name?: string;
  dryRun: boolean;
  userInfo: { username: string };
  /** The object as it would be stored (absent for a DELETE). */
  object?: { metadata?: { labels?: Record<string, string> } };
}

/** One JSON Patch operation (RFC 6902), as a mutating webhook answers. */
export interface PatchOperation {
  op: "add" | "remove" | "replace";
  path: string;
  value?: unknown;
}

/** A request held by the gate: the API server waits on it, and so does whoever sent it. */
export interface HeldRequest {
  request: AdmissionRequest;
  /** Admits it: the API server stores the change, whether or not its sender is still there to hear. */
  allow(): void;
  /** Refuses it: nothing is stored. */
  deny(message: string): void;
}

/** Which mutations the API server sends to the gate, as a webhook rule names them. */
export interface AdmissionRule {
  apiGroups: string[];
  resources: string[];
  operations?: ("CREATE" | "UPDATE" | "DELETE")[];
}

interface Hold {
  match: (request: AdmissionRequest) => boolean;
  take: (held: HeldRequest) => void;
}

const NAME = "soc-admission-gate";

/**
 * A validating admission webhook registered with a real API server (a ValidatingWebhookConfiguration
 * calling it over TLS), run by a test. It admits everything, records what it admitted, and can hold
 * the next request that matches until the test lets it through or refuses it: the moment a client
 * has sent a request and not yet had the answer, where a crash leaves it in doubt.
 */
export class AdmissionGate {
  /** Every request admitted, in the order the API server asked. */
  readonly admitted: AdmissionRequest[] = [];
  #holds: Hold[] = [];
  /** The names of the objects the mutating webhook was asked about. */
  readonly #mutating = new Set<string>();

  private constructor(
    private readonly server: Server,
    private readonly api: KubeApiServer,
  ) {}

  /**
   * Serves the webhook, registers it for `rules`, and returns once the API server calls it. With
   * `mutate`, it is also a mutating webhook for the same rules, answering with `mutate`'s patch, as an
   * admission controller that rewrites requests (Kyverno's mutate rules) would.
   */
  static async install(
    api: KubeApiServer,
    rules: readonly AdmissionRule[],
    mutate?: (request: AdmissionRequest) => PatchOperation[],
  ): Promise<AdmissionGate> {
    const file = (name: string) => readFileSync(join(api.dir, name));
    const server = createServer({ key: file("apiserver.key"), cert: file("apiserver.crt") });
    const gate = new AdmissionGate(server, api);
    server.on("request", (req, res) => {
      let body = "";
      req.setEncoding("utf8");
      req.on("data", (chunk: string) => (body += chunk));
      req.on("end", () => {
        const { request } = JSON.parse(body) as { request: AdmissionRequest };
        const answer = (response: object) => {
          res.setHeader("content-type", "application/json");
          res.end(JSON.stringify({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", response }));
        };
        // The API server adds its timeout to the URL: `/mutate?timeout=30s`.
        if (!req.url?.startsWith("/mutate")) {
          gate.#admit(request, answer);
          return;
        }
        gate.#mutating.add(request.name ?? "");
        const patch = mutate?.(request) ?? [];
        answer({
          uid: request.uid,
          allowed: true,
          ...(patch.length
            ? { patchType: "JSONPatch", patch: Buffer.from(JSON.stringify(patch)).toString("base64") }
            : {}),
        });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const probe: AdmissionRule = { apiGroups: [""], resources: ["nodes"], operations: ["CREATE"] };
    const webhook = (path: string, scope: readonly AdmissionRule[]) => ({
      name: `${path}.soc-fleet.test`,
      clientConfig: { url: `https://127.0.0.1:${port}/${path}`, caBundle: file("ca.crt").toString("base64") },
      rules: scope.map((rule) => ({
        apiGroups: rule.apiGroups,
        apiVersions: ["*"],
        operations: rule.operations ?? ["CREATE", "UPDATE", "DELETE"],
        resources: rule.resources,
        scope: "*",
      })),
      admissionReviewVersions: ["v1"],
      sideEffects: "None",
      failurePolicy: "Fail",
      timeoutSeconds: 30,
    });
    const configuration = (kind: string, path: string, scope: readonly AdmissionRule[]) => ({
      apiVersion: "admissionregistration.k8s.io/v1",
      kind,
      metadata: { name: NAME },
      webhooks: [webhook(path, scope)],
    });
    await api.apply([
      configuration("ValidatingWebhookConfiguration", "admit", [...rules, probe]),
      ...(mutate ? [configuration("MutatingWebhookConfiguration", "mutate", [...rules, probe])] : []),
    ]);
    await gate.#waitUntilCalled(mutate !== undefined);
    return gate;
  }

  /** Holds the next request `match` accepts; resolves once the API server has sent it. */
  hold(match: (request: AdmissionRequest) => boolean): Promise<HeldRequest> {
    return new Promise((take) => this.#holds.push({ match, take }));
  }

  /** The requests admitted for real (not in dry run) that `match` accepts. */
  applied(match: (request: AdmissionRequest) => boolean): AdmissionRequest[] {
    return this.admitted.filter((request) => !request.dryRun && match(request));
  }

  /** Unregisters the webhook, drops the holds not yet taken, and stops serving it. */
  async stop(): Promise<void> {
    for (const hold of this.#holds.splice(0)) hold.match = () => false;
    await this.api.request(
      "DELETE",
      `/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/${NAME}`,
    );
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  #admit(request: AdmissionRequest, answer: (response: object) => void): void {
    const allow = () => {
      this.admitted.push(request);
      answer({ uid: request.uid, allowed: true });
    };
    const index = this.#holds.findIndex((hold) => hold.match(request));
    const [hold] = index >= 0 ? this.#holds.splice(index, 1) : [];
    if (!hold) {
      allow();
      return;
    }
    hold.take({
      request,
      allow,
      deny: (message) => answer({ uid: request.uid, allowed: false, status: { code: 403, message } }),
    });
  }

  /** The configurations reach the API server's admission chain a moment after they are stored. */
  async #waitUntilCalled(mutating: boolean): Promise<void> {
    const deadline = Date.now() + 30_000;
    for (let probe = 0; ; probe++) {
      const name = `${NAME}-probe-${probe}`;
      await this.api.request("POST", "/api/v1/nodes?dryRun=All", {
        body: { apiVersion: "v1", kind: "Node", metadata: { name } },
      });
      const admitted = this.admitted.some((request) => request.name === name);
      if (admitted && (!mutating || this.#mutating.has(name))) return;
      if (Date.now() > deadline) throw new Error("the API server never called the admission gate");
      await sleep(100);
    }
  }
}
