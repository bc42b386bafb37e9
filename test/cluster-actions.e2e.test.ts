import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ResponseAction } from "../agents/cluster-actions/actions/action.js";
import { responseActions } from "../agents/cluster-actions/actions/index.js";
import { carryOut, undoCase, type ClusterApi, type Executor } from "../agents/cluster-actions/execute.js";
import { ActionJournal } from "../agents/cluster-actions/journal.js";
import { KubeApi } from "../runtime/kube.js";
import { ciliumNetworkPolicyCrd, KubeApiServer, type KubeObject } from "../fleet/kube-apiserver/index.js";
import { chartRbac } from "./cluster-fixture.js";

const log = (line: string) => process.stdout.write(`${line}\n`);
const work = mkdtempSync(join(tmpdir(), "soc-cluster-actions-"));
let server: KubeApiServer | undefined;
/** The remediation ServiceAccount with the chart's RBAC for every action, and one with the default (isolation). */
let everyAction: KubeApi;
let isolationOnly: KubeApi;
let journal: ActionJournal | undefined;

const actions = responseActions as Record<string, ResponseAction>;
const pod = (name: string, extra: Partial<KubeObject> = {}): KubeObject => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace: "shop", labels: { app: "storefront" } },
  spec: { containers: [{ name: "web", image: "ghcr.io/acme/storefront:1.4" }], ...(extra.spec as object) },
});

async function actingAs(cluster: KubeApiServer, account: string): Promise<KubeApi> {
  const api = KubeApi.load(cluster.kubeconfigFor(await cluster.token("soc-fleet", account)));
  if (!api) throw new Error("no API from the kubeconfig");
  return api;
}

function executor(mode: Executor["mode"], cluster: ClusterApi | null = everyAction): Executor {
  if (!journal) throw new Error("no journal: setup failed");
  return { mode, cluster, journal };
}

function kube(): KubeApiServer {
  if (!server) throw new Error("the API server did not start");
  return server;
}

/** The same cluster, with requests sent through `send`: to count them, or to die between two. */
function withSend(api: ClusterApi, send: ClusterApi["send"]): ClusterApi {
  return {
    get: (path) => api.get(path),
    list: (path, selectors) => api.list(path, selectors),
    serves: (groupVersion, resource) => api.serves(groupVersion, resource),
    send,
  };
}

async function unschedulable(): Promise<unknown> {
  const node = await read("/api/v1/nodes/worker-a1");
  return (node?.spec as { unschedulable?: boolean } | undefined)?.unschedulable;
}

async function read(path: string): Promise<KubeObject | null> {
  const reply = await kube().request("GET", path);
  return reply.status === 404 ? null : reply.body;
}

const podPath = (name: string) => `/api/v1/namespaces/shop/pods/${name}`;
const scalePath = "/apis/apps/v1/namespaces/shop/deployments/storefront/scale";

/** A fresh API server with the test's workloads, and the two ServiceAccounts with the chart's RBAC. */
async function startCluster(crds: KubeObject[]): Promise<KubeApiServer> {
  const started = await KubeApiServer.start({ crds, log });
  await started.namespace("shop");
  await started.namespace("soc-fleet");
  await started.apply([
    { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "soc-remediate", namespace: "soc-fleet" } },
    { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "soc-isolation", namespace: "soc-fleet" } },
    ...chartRbac("soc-every-action", "soc-remediate", Object.keys(responseActions)),
    ...chartRbac("soc-isolation", "soc-isolation", ["isolate_pod", "label_pod"]),
    { apiVersion: "v1", kind: "Node", metadata: { name: "worker-a1" } },
    pod("storefront-7d9c8b6f5-x2x9q", { spec: { nodeName: "worker-a1" } }),
    pod("cart-0", { spec: { nodeName: "worker-a1" } }),
    // Not on a node: with no kubelet to finish a graceful deletion, only an unscheduled pod goes at once.
    pod("checkout"),
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "storefront", namespace: "shop" },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: "storefront" } },
        template: { metadata: { labels: { app: "storefront" } }, spec: pod("template").spec },
      },
    },
  ]);
  return started;
}

beforeAll(async () => {
  server = await startCluster([ciliumNetworkPolicyCrd()]);
  everyAction = await actingAs(server, "soc-remediate");
  isolationOnly = await actingAs(server, "soc-isolation");
  journal = new ActionJournal(join(work, "cluster-actions.db"));
}, 900_000);

afterAll(async () => {
  journal?.close();
  await server?.stop();
  rmSync(work, { recursive: true, force: true });
}, 60_000);

const target = { namespace: "shop", name: "storefront-7d9c8b6f5-x2x9q" };

describe("response actions against a real kube-apiserver, as the remediation ServiceAccount with the chart's RBAC", () => {
  it("dry run: the server validates every action's requests and stores nothing", async () => {
    const before = await read(podPath(target.name));
    const cases: [string, unknown][] = [
      ["isolate_pod", target],
      ["label_pod", target],
      ["terminate_pod", target],
      ["scale_to_zero", { kind: "Deployment", namespace: "shop", name: "storefront" }],
      ["cordon_node", { name: "worker-a1" }],
    ];
    for (const [name, parameters] of cases) {
      const action = actions[name];
      if (!action) throw new Error(name);
      const record = await carryOut(action, parameters, "C-DRY01", `C-DRY01/${name}`, executor("dry-run"));
      expect(
        record.answers.every((answer) => answer.status < 300),
        name,
      ).toBe(true);
      expect(record.answers).toHaveLength(record.requests.length);
    }
    const after = await read(podPath(target.name));
    expect(after?.metadata?.labels).toEqual(before?.metadata?.labels);
    expect(after?.metadata?.resourceVersion).toBe(before?.metadata?.resourceVersion);
    expect((await read(scalePath))?.spec).toMatchObject({ replicas: 3 });
    expect(await unschedulable()).toBeUndefined();
  });

  it("isolates a pod with a CiliumNetworkPolicy, verified, once, and undo lifts it", async () => {
    const record = await carryOut(
      responseActions.isolate_pod,
      target,
      "C-ISO01",
      "C-ISO01/remediate",
      executor("enforce"),
    );
    expect(record.verification).toMatchObject({ ok: true });
    expect(record.answers.map((answer) => answer.status)).toEqual([200, 201]);
    const policy = "/apis/cilium.io/v2/namespaces/shop/ciliumnetworkpolicies/soc-quarantine-c-iso01";
    expect((await read(policy))?.spec).toMatchObject({
      endpointSelector: { matchLabels: { "soc.fleet/quarantine": "true" } },
    });
    const version = (await read(podPath(target.name)))?.metadata?.resourceVersion;

    const again = await carryOut(
      responseActions.isolate_pod,
      target,
      "C-ISO01",
      "C-ISO01/remediate",
      executor("enforce"),
    );
    expect(again.replayed).toBe(true);
    expect((await read(podPath(target.name)))?.metadata?.resourceVersion).toBe(version);

    const undone = await undoCase("C-ISO01", "alice", executor("enforce"));
    expect(undone.map((r) => r.state)).toEqual(["undone"]);
    expect(await read(policy)).toBeNull();
    expect((await read(podPath(target.name)))?.metadata?.labels).toEqual({ app: "storefront" });
    expect(await undoCase("C-ISO01", "alice", executor("enforce"))).toEqual([]);
  });

  it("scales a Deployment to zero and back to the replicas it had", async () => {
    const parameters = { kind: "Deployment", namespace: "shop", name: "storefront" };
    const record = await carryOut(
      responseActions.scale_to_zero,
      parameters,
      "C-SCA01",
      "k",
      executor("enforce"),
    );
    expect(record.before).toEqual({ replicas: 3 });
    expect(record.verification).toMatchObject({ ok: true });
    // Zero is left out of the answer (omitempty).
    expect((await read(scalePath))?.spec).toEqual({});
    await undoCase("C-SCA01", "alice", executor("enforce"));
    expect((await read(scalePath))?.spec).toMatchObject({ replicas: 3 });
  });

  it("cordons a node, counting the pods on it, and undo makes it schedulable", async () => {
    expect(await responseActions.cordon_node.blastRadius({ name: "worker-a1" }, everyAction)).toEqual({
      pods: 2,
      nodes: 1,
      namespaces: 1,
    });
    await carryOut(responseActions.cordon_node, { name: "worker-a1" }, "C-COR01", "k", executor("enforce"));
    expect(await unschedulable()).toBe(true);
    await undoCase("C-COR01", "alice", executor("enforce"));
    expect(await unschedulable()).toBeFalsy();
  });

  it("terminates a bare pod through eviction, and undo recreates it", async () => {
    const parameters = { namespace: "shop", name: "checkout" };
    const record = await carryOut(
      responseActions.terminate_pod,
      parameters,
      "C-TER01",
      "k",
      executor("enforce"),
    );
    expect(record.verification).toMatchObject({ ok: true });
    expect(await read(podPath("checkout"))).toBeNull();
    await undoCase("C-TER01", "alice", executor("enforce"));
    expect((await read(podPath("checkout")))?.metadata?.labels).toEqual({ app: "storefront" });
  });

  it("refuses an action outside the grant with the server's reason, and never retries it blindly", async () => {
    const refused = carryOut(
      responseActions.terminate_pod,
      target,
      "C-RBA01",
      "k",
      executor("enforce", isolationOnly),
    );
    await expect(refused).rejects.toMatchObject({ code: "kube_refused" });
    await expect(refused).rejects.toThrow(/403 Forbidden.*cannot create resource "pods\/eviction"/);
    let sent = 0;
    const counting = withSend(isolationOnly, (request, options) => {
      sent++;
      return isolationOnly.send(request, options);
    });
    await expect(
      carryOut(responseActions.terminate_pod, target, "C-RBA01", "k", executor("enforce", counting)),
    ).rejects.toMatchObject({ code: "kube_refused" });
    expect(sent).toBe(0);
    expect(await read(podPath(target.name))).not.toBeNull();
  });

  it("after a crash between the first request and the end, acts on what is missing and never twice", async () => {
    // The process dies after its first request: the label is set, the policy is not.
    let sends = 0;
    const dying = withSend(everyAction, (request, options) => {
      if (sends++ === 1) throw new Error("killed");
      return everyAction.send(request, options);
    });
    await expect(
      carryOut(responseActions.isolate_pod, target, "C-CRA01", "k", executor("enforce", dying)),
    ).rejects.toThrow("killed");
    const sent: string[] = [];
    const counting = withSend(everyAction, (request, options) => {
      sent.push(`${request.method} ${request.path}`);
      return everyAction.send(request, options);
    });
    const retried = await carryOut(
      responseActions.isolate_pod,
      target,
      "C-CRA01",
      "k",
      executor("enforce", counting),
    );
    expect(retried.verification).toMatchObject({ ok: true });
    // The label's answer was recorded before the crash: only the policy is sent.
    expect(sent).toEqual([expect.stringMatching(/^PATCH .*ciliumnetworkpolicies\/soc-quarantine-c-cra01/)]);
    // What undo restores is what was there before the first attempt, not what the crash left.
    expect(retried.before).toMatchObject({ labels: { label: null } });
    await undoCase("C-CRA01", "alice", executor("enforce"));
    expect((await read(podPath(target.name)))?.metadata?.labels).toEqual({ app: "storefront" });
  });

  it("says the API server cannot be reached when it is down, and acts once it is back", async () => {
    await kube().stopApiServer();
    try {
      await expect(
        carryOut(responseActions.label_pod, target, "C-DWN01", "k", executor("enforce")),
      ).rejects.toMatchObject({ code: "kube_unreachable" });
    } finally {
      await kube().startApiServer();
    }
    const record = await carryOut(responseActions.label_pod, target, "C-DWN01", "k", executor("enforce"));
    expect(record.verification).toMatchObject({ ok: true });
  });
});

describe("isolation where Cilium is not installed (a second API server, without its CRD)", () => {
  let bare: KubeApiServer | undefined;
  let remediation: KubeApi | undefined;

  beforeAll(async () => {
    bare = await startCluster([]);
    remediation = await actingAs(bare, "soc-remediate");
  }, 300_000);

  afterAll(async () => {
    await bare?.stop();
  }, 60_000);

  it("isolates with a Kubernetes NetworkPolicy denying both directions, verified, and undo lifts it", async () => {
    if (!bare || !remediation) throw new Error("the second API server did not start");
    const record = await carryOut(
      responseActions.isolate_pod,
      target,
      "C-NET01",
      "k",
      executor("enforce", remediation),
    );
    expect(record.before).toMatchObject({ policy: "NetworkPolicy" });
    expect(record.verification).toMatchObject({ ok: true });
    const path = "/apis/networking.k8s.io/v1/namespaces/shop/networkpolicies/soc-quarantine-c-net01";
    const policy = await bare.request("GET", path);
    expect(policy.body.spec).toMatchObject({ policyTypes: ["Ingress", "Egress"] });
    await undoCase("C-NET01", "alice", executor("enforce", remediation));
    expect((await bare.request("GET", path)).status).toBe(404);
  });
});
