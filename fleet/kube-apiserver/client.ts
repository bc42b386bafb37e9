import { readFileSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import { join } from "node:path";

/** A Kubernetes object as sent and read back; only what every object has is typed. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string>; [field: string]: unknown };
  [field: string]: unknown;
}

/** An answer of the API server: the HTTP status and the decoded body (an object, or a Status). */
export interface KubeReply {
  status: number;
  body: KubeObject & { reason?: string; message?: string };
}

export interface KubeRequestOptions {
  body?: unknown;
  /** Defaults to JSON merge patch for PATCH, JSON otherwise. */
  contentType?: string;
  /** A bearer token to act as (a ServiceAccount's); the admin client certificate otherwise. */
  token?: string;
}

interface DiscoveredResource {
  name: string;
  kind: string;
  namespaced: boolean;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Requests to the API server at `url`, trusting `<dir>/ca.crt` and acting as the admin of
 * `<dir>/admin.crt` unless given a token; remembers the server's discovery per group version.
 */
export class KubeClient {
  readonly #discovery = new Map<string, DiscoveredResource[]>();

  constructor(
    readonly url: string,
    readonly dir: string,
  ) {}

  /** Server-side apply as the admin, in order; returns the objects as stored. */
  async apply(objects: readonly KubeObject[]): Promise<KubeObject[]> {
    const applied: KubeObject[] = [];
    for (const object of objects) {
      const { apiVersion = "", kind = "", metadata = {} } = object;
      const what = `apply ${kind} ${metadata.namespace ? `${metadata.namespace}/` : ""}${metadata.name ?? ""}`;
      const resource = await this.resource(apiVersion, kind);
      if (!resource) throw new Error(`failed to ${what}: the server serves no ${kind} in ${apiVersion}`);
      const base = apiVersion === "v1" ? "/api/v1" : `/apis/${apiVersion}`;
      const scope = resource.namespaced ? `/namespaces/${metadata.namespace ?? "default"}` : "";
      const path = `${base}${scope}/${resource.name}/${metadata.name ?? ""}?fieldManager=soc-fleet-test&force=true`;
      const options = { body: object, contentType: "application/apply-patch+yaml" };
      applied.push((await this.expect(what, "PATCH", path, options)).body);
    }
    return applied;
  }

  /** One request to the API server; any HTTP status is an answer, only a transport failure throws. */
  request(method: string, path: string, options: KubeRequestOptions = {}): Promise<KubeReply> {
    const { body, token } = options;
    const contentType =
      options.contentType ?? (method === "PATCH" ? "application/merge-patch+json" : "application/json");
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const credentials = token
      ? { headers: { authorization: `Bearer ${token}` } }
      : { cert: readFileSync(join(this.dir, "admin.crt")), key: readFileSync(join(this.dir, "admin.key")) };
    return new Promise((resolve, reject) => {
      const req = httpsRequest(`${this.url}${path}`, {
        method,
        ca: readFileSync(join(this.dir, "ca.crt")),
        ...credentials,
        headers: { ...credentials.headers, accept: "application/json", "content-type": contentType },
        agent: false,
        timeout: 30_000,
      });
      req.once("timeout", () => req.destroy(new Error("no answer within 30 s")));
      req.once("error", (error) =>
        reject(new Error(`failed to ${method} ${path}: ${error.message}`, { cause: error })),
      );
      req.once("response", (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (text += chunk));
        res.once("end", () => {
          const json = (res.headers["content-type"] ?? "").startsWith("application/json");
          const decoded = json ? (JSON.parse(text) as KubeReply["body"]) : { message: text };
          resolve({ status: res.statusCode ?? 0, body: decoded });
        });
      });
      req.end(payload);
    });
  }

  /** A request that must succeed: a non-2xx answer throws with the server's reason and message. */
  async expect(what: string, method: string, path: string, options: KubeRequestOptions): Promise<KubeReply> {
    const reply = await this.request(method, path, options);
    if (reply.status >= 200 && reply.status < 300) return reply;
    const { reason = "", message = "" } = reply.body;
    throw new Error(`failed to ${what}: ${reply.status} ${reason}: ${message}`);
  }

  /** A kind's resource from the server's discovery, asked again on a miss (CRDs extend it at run time). */
  async resource(apiVersion: string, kind: string): Promise<DiscoveredResource | undefined> {
    const find = (): DiscoveredResource | undefined =>
      this.#discovery.get(apiVersion)?.find((r) => r.kind === kind && !r.name.includes("/"));
    if (find()) return find();
    const reply = await this.request("GET", apiVersion === "v1" ? "/api/v1" : `/apis/${apiVersion}`);
    this.#discovery.set(
      apiVersion,
      reply.status === 200 ? (reply.body.resources as DiscoveredResource[]) : [],
    );
    return find();
  }

  /**
   * Applies a CRD and waits for discovery to list its kind in every version, which it does only
   * once the CRD is Established: a test's first object of that kind is then served.
   */
  async installCrd(crd: KubeObject): Promise<void> {
    await this.apply([crd]);
    const { group, names, versions } = crd.spec as {
      group: string;
      names: { kind: string };
      versions: { name: string }[];
    };
    const deadline = Date.now() + 60_000;
    for (const { name } of versions)
      while (!(await this.resource(`${group}/${name}`, names.kind))) {
        if (Date.now() > deadline)
          throw new Error(`failed to install CRD ${crd.metadata?.name ?? ""}: not Established`);
        await sleep(200);
      }
  }
}
