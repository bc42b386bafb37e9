import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ciliumNetworkPolicyCrd, KubeApiServer, type KubeObject } from "../fleet/kube-apiserver/index.js";

const namespace = "soc-test";

function pod(name: string, labels: Record<string, string>): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace, labels },
    spec: { containers: [{ name: "app", image: "registry.example/app:1.0" }] },
  };
}

function networkPolicy(name: string, endpointSelector: unknown): KubeObject {
  return {
    apiVersion: "cilium.io/v2",
    kind: "CiliumNetworkPolicy",
    metadata: { name, namespace },
    spec: { endpointSelector, ingress: [{ fromEndpoints: [{ matchLabels: { app: "soc" } }] }] },
  };
}

const podPath = (name: string): string => `/api/v1/namespaces/${namespace}/pods/${name}`;

/** A real kube-apiserver over etcd: the first run on a machine builds both (minutes). */
describe("KubeApiServer against a real kube-apiserver", () => {
  let server: KubeApiServer | undefined;

  function kube(): KubeApiServer {
    if (!server) throw new Error("the API server did not start");
    return server;
  }

  beforeAll(async () => {
    server = await KubeApiServer.start({
      crds: [ciliumNetworkPolicyCrd()],
      log: (line) => process.stdout.write(`${line}\n`),
    });
    await server.namespace(namespace, { "soc.example/purpose": "test" });
  }, 900_000);

  afterAll(async () => {
    await server?.stop();
  }, 60_000);

  it("creates a namespace and a Pod that stays Pending, read back with its labels", async () => {
    const ns = await kube().request("GET", `/api/v1/namespaces/${namespace}`);
    expect(ns.status).toBe(200);
    expect(ns.body.metadata?.labels).toMatchObject({ "soc.example/purpose": "test" });

    await kube().apply([pod("web", { app: "web", tier: "front" })]);
    const read = await kube().request("GET", podPath("web"));
    expect(read.status).toBe(200);
    expect(read.body.metadata?.labels).toEqual({ app: "web", tier: "front" });
    // No scheduler or kubelet runs: the pod is stored and stays Pending.
    expect((read.body.status as { phase?: string }).phase).toBe("Pending");
    expect((read.body.spec as { serviceAccountName?: string }).serviceAccountName).toBe("default");
  });

  it("stores a CiliumNetworkPolicy and refuses one that breaks the CRD's schema", async () => {
    const crd = await kube().request(
      "GET",
      "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/ciliumnetworkpolicies.cilium.io",
    );
    const conditions = (crd.body.status as { conditions: { type: string; status: string }[] }).conditions;
    expect(conditions).toContainEqual(expect.objectContaining({ type: "Established", status: "True" }));

    const [stored] = await kube().apply([networkPolicy("allow-soc", { matchLabels: { app: "web" } })]);
    expect(stored?.kind).toBe("CiliumNetworkPolicy");
    const path = `/apis/cilium.io/v2/namespaces/${namespace}/ciliumnetworkpolicies`;
    const read = await kube().request("GET", `${path}/allow-soc`);
    expect(read.status).toBe(200);
    expect(read.body.spec).toMatchObject({ endpointSelector: { matchLabels: { app: "web" } } });

    const invalid = await kube().request("POST", path, { body: networkPolicy("broken", "app=web") });
    expect(invalid.status).toBe(422);
    expect(invalid.body.reason).toBe("Invalid");
    expect(invalid.body.message).toMatch(/spec\.endpointSelector.*must be of type object/);
    expect((await kube().request("GET", `${path}/broken`)).status).toBe(404);
  });

  it("enforces RBAC on a ServiceAccount's token: patch allowed, delete refused with 403", async () => {
    await kube().apply([
      pod("target", { app: "target" }),
      { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "responder", namespace } },
      {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "Role",
        metadata: { name: "pod-labeller", namespace },
        rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["get", "patch"] }],
      },
      {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "RoleBinding",
        metadata: { name: "responder-pod-labeller", namespace },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "pod-labeller" },
        subjects: [{ kind: "ServiceAccount", name: "responder", namespace }],
      },
    ]);
    const token = await kube().token(namespace, "responder");
    const config = parse(readFileSync(kube().kubeconfigFor(token), "utf8")) as {
      clusters: { cluster: { server: string } }[];
      users: { user: { token: string } }[];
    };
    expect(config.clusters[0]?.cluster.server).toBe(kube().url);
    expect(config.users[0]?.user.token).toBe(token);

    const body = { metadata: { labels: { quarantine: "true" } } };
    const patched = await kube().request("PATCH", podPath("target"), { body, token });
    expect(patched.status).toBe(200);
    expect(patched.body.metadata?.labels).toEqual({ app: "target", quarantine: "true" });

    const deleted = await kube().request("DELETE", podPath("target"), { token });
    expect(deleted.status).toBe(403);
    expect(deleted.body.reason).toBe("Forbidden");
    expect(deleted.body.message).toContain(
      `User "system:serviceaccount:${namespace}:responder" cannot delete resource "pods"`,
    );
    expect((await kube().request("GET", podPath("target"))).status).toBe(200);
  });

  it("answers a dryRun=All patch with the would-be object and persists nothing", async () => {
    await kube().apply([pod("dry", { app: "dry" })]);
    const body = { metadata: { labels: { quarantine: "true" } } };
    const dry = await kube().request("PATCH", `${podPath("dry")}?dryRun=All`, { body });
    expect(dry.status).toBe(200);
    expect(dry.body.metadata?.labels).toEqual({ app: "dry", quarantine: "true" });
    const read = await kube().request("GET", podPath("dry"));
    expect(read.body.metadata?.labels).toEqual({ app: "dry" });
  });

  it("refuses connections while the API server is stopped and serves the same data after", async () => {
    await kube().apply([pod("survivor", { app: "survivor" })]);
    await kube().stopApiServer();
    await expect(kube().request("GET", podPath("survivor"))).rejects.toThrow(/ECONNREFUSED/);
    await kube().startApiServer();
    const read = await kube().request("GET", podPath("survivor"));
    expect(read.status).toBe(200);
    expect(read.body.metadata?.labels).toEqual({ app: "survivor" });
  }, 180_000);
});
