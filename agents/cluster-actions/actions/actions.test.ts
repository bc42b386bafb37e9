import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { actionTypes } from "../../../contracts/analysis.js";
import type { KubeRequest } from "../../../contracts/cluster.js";
import type { ClusterView, KubeObject, ResponseAction } from "./action.js";
import { cordonNode } from "./cordon-node.js";
import { responseActions } from "./index.js";
import { isolatePod, quarantinePolicyName } from "./isolate-pod.js";
import { labelPod } from "./label-pod.js";
import { scaleToZero } from "./scale-to-zero.js";
import { terminatePod } from "./terminate-pod.js";

/** A cluster held in memory: objects by path, served resources by group version. */
function cluster(
  objects: Record<string, KubeObject>,
  served: string[] = ["cilium.io/v2/ciliumnetworkpolicies"],
) {
  const reads: string[] = [];
  const view: ClusterView = {
    get(path) {
      reads.push(path);
      return Promise.resolve(objects[path] ?? null);
    },
    list(path, selectors) {
      reads.push(path);
      const node = selectors?.fieldSelector?.replace("spec.nodeName=", "");
      return Promise.resolve(
        Object.entries(objects)
          .filter(([key, object]) => key.includes("/pods/") && object.spec?.nodeName === node)
          .map(([, object]) => object),
      );
    },
    serves: (groupVersion, resource) => Promise.resolve(served.includes(`${groupVersion}/${resource}`)),
  };
  return { view, reads };
}

const podPath = "/api/v1/namespaces/shop/pods/storefront-7d9c8b6f5-x2x9q";
const pod: KubeObject = {
  metadata: { name: "storefront-7d9c8b6f5-x2x9q", namespace: "shop", labels: { app: "storefront" } },
  spec: { nodeName: "worker-a1", containers: [{ name: "web", image: "ghcr.io/acme/storefront:1.4" }] },
};
const params = { namespace: "shop", name: "storefront-7d9c8b6f5-x2x9q" };

/** Applies merge patches to the in-memory objects, as the API server would. */
function applyMergePatch(objects: Record<string, KubeObject>, request: KubeRequest): void {
  const merge = (target: Record<string, unknown>, patch: Record<string, unknown>) => {
    for (const [key, value] of Object.entries(patch)) {
      if (value === null) Reflect.deleteProperty(target, key);
      else if (typeof value === "object" && !Array.isArray(value)) {
        target[key] ??= {};
        merge(target[key] as Record<string, unknown>, value as Record<string, unknown>);
      } else target[key] = value;
    }
  };
  const object = objects[request.path];
  if (!object) throw new Error(`no object at ${request.path}`);
  merge(object as Record<string, unknown>, request.body as Record<string, unknown>);
}

describe("the registry", () => {
  it("holds one action per action type of the contracts, each under its own name", () => {
    expect(Object.keys(responseActions).sort()).toEqual(actionTypes.filter((t) => t !== "none").sort());
    for (const [name, action] of Object.entries(responseActions)) expect(action.name).toBe(name);
  });

  it("agrees with the policy on which actions are destructive, and the policy allows none it lacks", () => {
    const settings = JSON.parse(
      readFileSync(join(import.meta.dirname, "../../../policies/soc/settings/data.json"), "utf8"),
    ) as { allowed_actions: string[]; destructive_actions: string[] };
    const destructive = Object.values(responseActions as Record<string, ResponseAction>)
      .filter((action) => action.destructive)
      .map((action) => action.name);
    expect(settings.destructive_actions.sort()).toEqual(destructive.sort());
    expect(Object.keys(responseActions)).toEqual(expect.arrayContaining(settings.allowed_actions));
  });

  it.each([
    ["a path in the name", { namespace: "shop", name: "../../nodes/worker-a1" }],
    ["a query in the name", { namespace: "shop", name: "x?dryRun=All" }],
    ["an upper-case namespace", { namespace: "Shop", name: "web" }],
    ["no namespace", { namespace: null, name: "web" }],
    ["a name longer than 253", { namespace: "shop", name: "a".repeat(254) }],
  ])("refuses %s: only valid Kubernetes names reach a path", (_what, target) => {
    for (const action of [isolatePod, labelPod, terminatePod]) {
      expect(action.parameters.safeParse(target).success, action.name).toBe(false);
    }
  });

  it("takes only the named fields of a target, never its free text", () => {
    const parsed = labelPod.parameters.parse({ ...params, labels: { x: "y" }, image: "IGNORE THIS" });
    expect(parsed).toEqual(params);
  });
});

describe("label_pod", () => {
  it("sets the quarantine label and the case, and undo restores exactly what was there", async () => {
    const objects = { [podPath]: structuredClone(pod) };
    const { view } = cluster(objects);
    const before = await labelPod.before(params, view);
    expect(before).toEqual({ label: null, annotation: null });
    expect(await labelPod.verify(params, view, "C-7K2F9")).toMatchObject({ ok: false });
    for (const request of labelPod.requests(params, before, "C-7K2F9")) applyMergePatch(objects, request);
    expect(objects[podPath]?.metadata?.labels).toEqual({ app: "storefront", "soc.fleet/quarantine": "true" });
    expect(objects[podPath]?.metadata?.annotations).toEqual({ "soc.fleet/case": "C-7K2F9" });
    expect(await labelPod.verify(params, view, "C-7K2F9")).toMatchObject({ ok: true });
    for (const request of labelPod.undo(params, before, "C-7K2F9")) applyMergePatch(objects, request);
    expect(objects[podPath]?.metadata?.labels).toEqual({ app: "storefront" });
    expect(objects[podPath]?.metadata?.annotations).toEqual({});
  });

  it("leaves an earlier case's quarantine in place on undo", async () => {
    const earlier = structuredClone(pod);
    earlier.metadata = {
      ...earlier.metadata,
      labels: { app: "storefront", "soc.fleet/quarantine": "true" },
      annotations: { "soc.fleet/case": "C-AAAAA" },
    };
    const objects = { [podPath]: earlier };
    const before = await labelPod.before(params, cluster(objects).view);
    for (const request of labelPod.requests(params, before, "C-BBBBB")) applyMergePatch(objects, request);
    for (const request of labelPod.undo(params, before, "C-BBBBB")) applyMergePatch(objects, request);
    expect(objects[podPath]?.metadata).toEqual(earlier.metadata);
  });
});

describe("isolate_pod", () => {
  it("applies a CiliumNetworkPolicy where Cilium is installed, selecting exactly the label it sets", async () => {
    const { view } = cluster({ [podPath]: structuredClone(pod) });
    const before = await isolatePod.before(params, view);
    expect(before.policy).toBe("CiliumNetworkPolicy");
    const [label, policy, ...rest] = isolatePod.requests(params, before, "C-7K2F9");
    expect(rest).toEqual([]);
    expect(label?.path).toBe(podPath);
    expect(policy).toMatchObject({
      method: "PATCH",
      path: "/apis/cilium.io/v2/namespaces/shop/ciliumnetworkpolicies/soc-quarantine-c-7k2f9?fieldManager=soc-fleet&force=true",
      contentType: "application/apply-patch+yaml",
      body: {
        kind: "CiliumNetworkPolicy",
        spec: { endpointSelector: { matchLabels: { "soc.fleet/quarantine": "true" } } },
      },
    });
  });

  it("falls back to a Kubernetes NetworkPolicy denying both directions where Cilium is absent", async () => {
    const { view } = cluster({ [podPath]: structuredClone(pod) }, []);
    const before = await isolatePod.before(params, view);
    expect(before.policy).toBe("NetworkPolicy");
    const policy = isolatePod.requests(params, before, "C-7K2F9")[1];
    expect(policy?.path).toMatch(
      /^\/apis\/networking\.k8s\.io\/v1\/namespaces\/shop\/networkpolicies\/soc-quarantine-c-7k2f9/,
    );
    expect(policy?.body).toMatchObject({
      spec: {
        podSelector: { matchLabels: { "soc.fleet/quarantine": "true" } },
        policyTypes: ["Ingress", "Egress"],
      },
    });
    expect((policy?.body as { spec: object }).spec).not.toHaveProperty("ingress");
  });

  it("is verified only when the policy exists and selects the pod, and undo deletes the case's policy", async () => {
    const objects: Record<string, KubeObject> = { [podPath]: structuredClone(pod) };
    const { view } = cluster(objects);
    const before = await isolatePod.before(params, view);
    const [label, apply] = isolatePod.requests(params, before, "C-7K2F9");
    if (!label || !apply) throw new Error("two requests expected");
    applyMergePatch(objects, label);
    expect(await isolatePod.verify(params, view, "C-7K2F9")).toMatchObject({
      ok: false,
      detail: /no quarantine policy/,
    });
    objects["/apis/cilium.io/v2/namespaces/shop/ciliumnetworkpolicies/soc-quarantine-c-7k2f9"] =
      apply.body as KubeObject;
    expect(await isolatePod.verify(params, view, "C-7K2F9")).toMatchObject({ ok: true });
    const [remove] = isolatePod.undo(params, before, "C-7K2F9");
    expect(remove).toEqual({
      method: "DELETE",
      path: `/apis/cilium.io/v2/namespaces/shop/ciliumnetworkpolicies/${quarantinePolicyName("C-7K2F9")}`,
    });
  });

  it("names the policy after the case, so different cases never overwrite each other", async () => {
    const { view } = cluster({ [podPath]: structuredClone(pod) });
    const before = await isolatePod.before(params, view);
    const a = JSON.stringify(isolatePod.requests(params, before, "C-AAAAA"));
    expect(a).toContain("soc-quarantine-c-aaaaa");
    expect(a).not.toContain("c-bbbbb");
    expect(isolatePod.requests(params, before, "C-AAAAA")).toEqual(
      isolatePod.requests(params, before, "C-AAAAA"),
    );
  });
});

describe("terminate_pod", () => {
  it("evicts that pod alone (its UID), and undo recreates a bare pod without what the server assigned", async () => {
    const live = structuredClone(pod);
    live.metadata = { ...live.metadata, uid: "9f3c1a7e-0d4b-4c55-8a0e-6f1d2b3c4d5e" };
    const { view } = cluster({ [podPath]: live });
    const before = await terminatePod.before(params, view);
    expect(terminatePod.requests(params, before, "C-7K2F9")).toEqual([
      {
        method: "POST",
        path: `${podPath}/eviction`,
        contentType: "application/json",
        body: {
          apiVersion: "policy/v1",
          kind: "Eviction",
          metadata: params,
          deleteOptions: { preconditions: { uid: "9f3c1a7e-0d4b-4c55-8a0e-6f1d2b3c4d5e" } },
        },
      },
    ]);
    const [recreate] = terminatePod.undo(params, before, "C-7K2F9");
    expect(recreate?.path).toBe("/api/v1/namespaces/shop/pods");
    expect(recreate?.body).toMatchObject({
      kind: "Pod",
      metadata: { name: params.name },
      spec: { containers: [{ name: "web" }] },
    });
    expect((recreate?.body as { spec: object }).spec).not.toHaveProperty("nodeName");
    expect((recreate?.body as { metadata: object }).metadata).not.toHaveProperty("uid");
  });

  it("leaves a pod a controller owns to its controller on undo", async () => {
    const owned = structuredClone(pod);
    owned.metadata = {
      ...owned.metadata,
      ownerReferences: [{ kind: "ReplicaSet", name: "storefront-7d9c8b6f5", controller: true }],
    };
    const before = await terminatePod.before(params, cluster({ [podPath]: owned }).view);
    expect(terminatePod.undo(params, before, "C-7K2F9")).toEqual([]);
  });
});

describe("scale_to_zero", () => {
  const scalePath = "/apis/apps/v1/namespaces/shop/deployments/storefront/scale";
  const workload = { kind: "Deployment" as const, namespace: "shop", name: "storefront" };

  it("records the replicas, scales to zero, is verified by the scale, and undo restores the count", async () => {
    const objects: Record<string, KubeObject> = { [scalePath]: { spec: { replicas: 4 } } };
    const { view } = cluster(objects);
    expect(await scaleToZero.blastRadius(workload, view)).toEqual({ pods: 4, nodes: 4, namespaces: 1 });
    const before = await scaleToZero.before(workload, view);
    expect(before).toEqual({ replicas: 4 });
    for (const request of scaleToZero.requests(workload, before, "C-7K2F9"))
      applyMergePatch(objects, request);
    expect(await scaleToZero.verify(workload, view, "C-7K2F9")).toMatchObject({ ok: true });
    for (const request of scaleToZero.undo(workload, before, "C-7K2F9")) applyMergePatch(objects, request);
    expect(objects[scalePath]?.spec?.replicas).toBe(4);
  });

  it("addresses a StatefulSet through its own scale subresource", () => {
    const [request] = scaleToZero.requests({ ...workload, kind: "StatefulSet" }, { replicas: 2 }, "C-7K2F9");
    expect(request?.path).toBe("/apis/apps/v1/namespaces/shop/statefulsets/storefront/scale");
  });
});

describe("cordon_node", () => {
  it("counts the pods and namespaces on the node, cordons it, and undo keeps an earlier cordon", async () => {
    const objects: Record<string, KubeObject> = {
      "/api/v1/nodes/worker-a1": { spec: {} },
      [podPath]: structuredClone(pod),
      "/api/v1/namespaces/payments/pods/ledger-0": {
        metadata: { namespace: "payments" },
        spec: { nodeName: "worker-a1" },
      },
      "/api/v1/namespaces/shop/pods/elsewhere": {
        metadata: { namespace: "shop" },
        spec: { nodeName: "worker-b2" },
      },
    };
    const { view } = cluster(objects);
    const node = { name: "worker-a1" };
    expect(await cordonNode.blastRadius(node, view)).toEqual({ pods: 2, nodes: 1, namespaces: 2 });
    const before = await cordonNode.before(node, view);
    for (const request of cordonNode.requests(node, before, "C-7K2F9")) applyMergePatch(objects, request);
    expect(await cordonNode.verify(node, view, "C-7K2F9")).toMatchObject({ ok: true });
    for (const request of cordonNode.undo(node, before, "C-7K2F9")) applyMergePatch(objects, request);
    expect(objects["/api/v1/nodes/worker-a1"]?.spec?.unschedulable).toBe(false);
    expect(cordonNode.undo(node, { unschedulable: true }, "C-7K2F9")[0]?.body).toEqual({
      spec: { unschedulable: true },
    });
  });
});
