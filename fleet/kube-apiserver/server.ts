import { spawn, type ChildProcess } from "node:child_process";
import {
  appendFileSync,
  closeSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { alive, stopChild, track } from "../children.js";
import { freePorts } from "../ports.js";
import { quiet, type Log } from "../tools/cache.js";
import { etcdBinary, kubeApiserverBinary } from "../tools/kube-apiserver.js";
import { makeCredentials } from "./certificates.js";
import { KubeClient, sleep, type KubeObject, type KubeReply, type KubeRequestOptions } from "./client.js";

export interface KubeApiServerOptions {
  /** Told when etcd or kube-apiserver has to be built first (minutes, once per machine). */
  log?: Log;
  /** CustomResourceDefinitions installed, and Established, before start() returns. */
  crds?: readonly KubeObject[];
  readyTimeoutMs?: number;
}

const ended = (child: ChildProcess | undefined): string =>
  child?.pid === undefined
    ? "could not be run"
    : `exited (${child.signalCode ?? `code ${String(child.exitCode)}`})`;

/**
 * A real kube-apiserver over a real etcd on 127.0.0.1, for tests: API operations, RBAC, admission,
 * CRD schema validation and server-side dry-run are the cluster's own. No controller or kubelet
 * runs, so pods stay Pending and a namespace gets no `default` ServiceAccount unless made here.
 * Output goes to `<dir>/etcd.log` and `<dir>/kube-apiserver.log`.
 */
export class KubeApiServer {
  readonly url: string;
  /** An admin kubeconfig (client certificate in group system:masters). */
  readonly kubeconfig: string;
  #etcd: ChildProcess | undefined;
  #apiServer: ChildProcess | undefined;
  #kubeconfigs = 0;
  readonly #client: KubeClient;

  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly etcdPorts: readonly [number, number],
    private readonly binaries: { etcd: string; apiServer: string },
    private readonly readyTimeoutMs: number,
  ) {
    this.url = `https://127.0.0.1:${port}`;
    this.#client = new KubeClient(this.url, dir);
    this.kubeconfig = this.adminKubeconfig();
  }

  /** An admin kubeconfig file; with `namespace`, its context's namespace (as a pod's credentials have). */
  adminKubeconfig(namespace?: string): string {
    const credentials = {
      "client-certificate-data": this.#base64("admin.crt"),
      "client-key-data": this.#base64("admin.key"),
    };
    return this.#writeKubeconfig(
      namespace ? `admin-${namespace}` : "admin",
      credentials,
      this.url,
      namespace,
    );
  }

  static async start(options: KubeApiServerOptions = {}): Promise<KubeApiServer> {
    const { log = quiet, crds = [], readyTimeoutMs = 120_000 } = options;
    const binaries = { etcd: etcdBinary(log), apiServer: kubeApiserverBinary(log) };
    const [port = 0, etcdClient = 0, etcdPeer = 0] = await freePorts(3);
    const dir = mkdtempSync(join(tmpdir(), "soc-kube-"));
    let server: KubeApiServer | undefined;
    try {
      makeCredentials(dir);
      server = new KubeApiServer(dir, port, [etcdClient, etcdPeer], binaries, readyTimeoutMs);
      server.#startEtcd();
      await server.startApiServer();
      for (const crd of crds) await server.#client.installCrd(crd);
      return server;
    } catch (error) {
      // The logs the error names stay for reading; only the processes go.
      if (server) await server.#kill();
      else rmSync(dir, { recursive: true, force: true });
      throw error;
    }
  }

  /**
   * A kubeconfig file that authenticates with `token`, as a ServiceAccount's workload would; to
   * `server` when given (a relay in front of this one: its certificate names 127.0.0.1, any port).
   */
  kubeconfigFor(token: string, server = this.url): string {
    return this.#writeKubeconfig(`token-${++this.#kubeconfigs}`, { token }, server);
  }

  /** A ServiceAccount's bearer token from the TokenRequest API, as `kubectl create token` gets it. */
  async token(namespace: string, serviceAccount: string, expirationSeconds = 3600): Promise<string> {
    const what = `create a token for ${namespace}/${serviceAccount}`;
    const path = `/api/v1/namespaces/${namespace}/serviceaccounts/${serviceAccount}/token`;
    const body = {
      apiVersion: "authentication.k8s.io/v1",
      kind: "TokenRequest",
      spec: { expirationSeconds },
    };
    const reply = await this.#client.expect(what, "POST", path, { body });
    const token = (reply.body.status as { token?: string } | undefined)?.token;
    if (!token) throw new Error(`failed to ${what}: the answer holds no token`);
    return token;
  }

  /** A namespace and its `default` ServiceAccount, which pods need and no controller makes here. */
  async namespace(name: string, labels: Record<string, string> = {}): Promise<void> {
    await this.apply([
      { apiVersion: "v1", kind: "Namespace", metadata: { name, labels } },
      { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "default", namespace: name } },
    ]);
  }

  /** Server-side apply as the admin, in order; returns the objects as stored. */
  apply(objects: readonly KubeObject[]): Promise<KubeObject[]> {
    return this.#client.apply(objects);
  }

  /** One request to the API server; any HTTP status is an answer, only a transport failure throws. */
  request(method: string, path: string, options: KubeRequestOptions = {}): Promise<KubeReply> {
    return this.#client.request(method, path, options);
  }

  /** Stops kube-apiserver (requests are then refused); etcd and its data stay. */
  async stopApiServer(graceMs = 15_000): Promise<void> {
    await stopChild(this.#apiServer, "SIGTERM", graceMs);
  }

  /** Starts kube-apiserver on the same port over the same etcd; resolves once /readyz answers 200. */
  async startApiServer(): Promise<void> {
    if (alive(this.#apiServer)) return;
    const [etcdClient] = this.etcdPorts;
    const file = (name: string): string => join(this.dir, name);
    this.#apiServer = this.#spawn("kube-apiserver", this.binaries.apiServer, [
      `--etcd-servers=http://127.0.0.1:${etcdClient}`,
      // Loopback is refused as the advertised address unless no endpoint reconciler runs.
      "--bind-address=127.0.0.1",
      "--advertise-address=127.0.0.1",
      "--endpoint-reconciler-type=none",
      `--secure-port=${this.port}`,
      `--tls-cert-file=${file("apiserver.crt")}`,
      `--tls-private-key-file=${file("apiserver.key")}`,
      `--client-ca-file=${file("ca.crt")}`,
      // Else it writes generated certificates to /var/run/kubernetes.
      `--cert-dir=${file("apiserver-certs")}`,
      "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
      `--service-account-key-file=${file("service-account.pub")}`,
      `--service-account-signing-key-file=${file("service-account.key")}`,
      "--authorization-mode=RBAC",
      "--service-cluster-ip-range=10.96.0.0/16",
      "--profiling=false",
    ]);
    const deadline = Date.now() + this.readyTimeoutMs;
    const servers = { etcd: this.#etcd, "kube-apiserver": this.#apiServer };
    for (;;) {
      if ((await this.request("GET", "/readyz").catch(() => undefined))?.status === 200) return;
      for (const [name, child] of Object.entries(servers))
        if (!alive(child))
          throw new Error(`failed to start the API server: ${name} ${ended(child)}; ${this.#tail(name)}`);
      if (Date.now() > deadline) {
        const tail = this.#tail("kube-apiserver");
        throw new Error(
          `failed to start the API server: not ready within ${this.readyTimeoutMs} ms; ${tail}`,
        );
      }
      await sleep(250);
    }
  }

  /** Kills both servers and removes the temporary directory with their data. */
  async stop(): Promise<void> {
    await this.#kill();
    rmSync(this.dir, { recursive: true, force: true });
  }

  async #kill(): Promise<void> {
    await stopChild(this.#apiServer, "SIGKILL", 0);
    await stopChild(this.#etcd, "SIGKILL", 0);
  }

  #startEtcd(): void {
    const [client, peer] = this.etcdPorts;
    const peerUrl = `http://127.0.0.1:${peer}`;
    this.#etcd = this.#spawn("etcd", this.binaries.etcd, [
      "--name=soc-test",
      `--data-dir=${join(this.dir, "etcd")}`,
      `--listen-client-urls=http://127.0.0.1:${client}`,
      `--advertise-client-urls=http://127.0.0.1:${client}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=soc-test=${peerUrl}`,
      // Test data is thrown away: durability would only cost an fsync per write.
      "--unsafe-no-fsync",
      "--log-level=warn",
    ]);
  }

  #spawn(name: string, binary: string, args: string[]): ChildProcess {
    const file = join(this.dir, `${name}.log`);
    const log = openSync(file, "a");
    const child = spawn(binary, args, { stdio: ["ignore", log, log] });
    closeSync(log);
    // A binary that cannot be run: said in its log, which the readiness check quotes.
    child.once("error", (error) => appendFileSync(file, `failed to run ${binary}: ${error.message}\n`));
    return track(child);
  }

  /** The log's last lines, for an error that has to say why a server did not come up. */
  #tail(name: string): string {
    const file = join(this.dir, `${name}.log`);
    const lines = readFileSync(file, "utf8").trimEnd().split("\n").slice(-15);
    return `see ${file}; last lines:\n${lines.join("\n")}`;
  }

  #base64(name: string): string {
    return readFileSync(join(this.dir, name)).toString("base64");
  }

  #writeKubeconfig(
    user: string,
    credentials: Record<string, string>,
    server = this.url,
    namespace?: string,
  ): string {
    const file = join(this.dir, `kubeconfig-${user}.yaml`);
    const config = {
      apiVersion: "v1",
      kind: "Config",
      clusters: [
        {
          name: "soc-test",
          cluster: { server, "certificate-authority-data": this.#base64("ca.crt") },
        },
      ],
      users: [{ name: user, user: credentials }],
      contexts: [
        { name: "soc-test", context: { cluster: "soc-test", user, ...(namespace ? { namespace } : {}) } },
      ],
      "current-context": "soc-test",
    };
    writeFileSync(file, stringify(config), { mode: 0o600 });
    return file;
  }
}
