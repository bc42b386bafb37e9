import { describe, expect, it } from "vitest";
import type { ClusterView, KubeObject } from "./actions/action.js";
import { isolatePod } from "./actions/isolate-pod.js";
import { terminatePod } from "./actions/terminate-pod.js";
import { inEffect } from "./effect.js";

const podPath = "/api/v1/namespaces/shop/pods/web-0";
const params = { namespace: "shop", name: "web-0" };
const view = (objects: Record<string, KubeObject>): ClusterView => ({
  get: (path) => Promise.resolve(objects[path] ?? null),
  list: () => Promise.resolve([]),
  serves: () => Promise.resolve(true),
});
const pod = (metadata: KubeObject["metadata"]): KubeObject => ({ metadata: { name: "web-0", ...metadata } });

describe("inEffect: a request left unanswered by a crash is judged by the live object", () => {
  const before = { labels: { label: null, annotation: null }, policy: "CiliumNetworkPolicy" as const };
  const [label, policy] = isolatePod.requests(params, before, "C-7K2F9");

  it("finds a merge patch in effect only when every field it sets (and removes) is so", async () => {
    if (!label) throw new Error("isolate_pod sends a label patch first");
    const labelled = pod({
      labels: { app: "web", "soc.fleet/quarantine": "true" },
      annotations: { "soc.fleet/case": "C-7K2F9" },
    });
    expect(await inEffect(label, view({ [podPath]: labelled }))).toBe(true);
    const otherCase = pod({
      labels: { "soc.fleet/quarantine": "true" },
      annotations: { "soc.fleet/case": "C-AAAAA" },
    });
    expect(await inEffect(label, view({ [podPath]: otherCase }))).toBe(false);
    expect(await inEffect(label, view({ [podPath]: pod({ labels: { app: "web" } }) }))).toBe(false);
    expect(await inEffect(label, view({}))).toBe(false);
  });

  it("finds a server-side apply in effect when the object holds what was applied, defaults aside", async () => {
    if (!policy) throw new Error("isolate_pod applies a policy second");
    const path = policy.path.split("?")[0] ?? "";
    const applied = structuredClone(policy.body) as KubeObject;
    applied.metadata = { ...applied.metadata, uid: "u-1", labels: { extra: "defaulted" } };
    expect(await inEffect(policy, view({ [path]: applied }))).toBe(true);
    const narrowed = structuredClone(policy.body) as { spec: { egressDeny: unknown[] } };
    narrowed.spec.egressDeny = [];
    expect(await inEffect(policy, view({ [path]: narrowed }))).toBe(false);
  });

  it("finds an eviction in effect when its pod is gone, terminating or replaced, not while it runs", async () => {
    const running = pod({ uid: "old" });
    const [evict] = terminatePod.requests(
      params,
      await terminatePod.before(params, view({ [podPath]: running })),
      "C-1",
    );
    if (!evict) throw new Error("terminate_pod sends an eviction");
    expect(await inEffect(evict, view({ [podPath]: running }))).toBe(false);
    expect(await inEffect(evict, view({}))).toBe(true);
    expect(
      await inEffect(
        evict,
        view({ [podPath]: pod({ uid: "old", deletionTimestamp: "2026-12-06T11:00:00Z" }) }),
      ),
    ).toBe(true);
    expect(await inEffect(evict, view({ [podPath]: pod({ uid: "new" }) }))).toBe(true);
  });

  it("never assumes a request it cannot judge took effect", async () => {
    expect(await inEffect({ method: "DELETE", path: podPath }, view({}))).toBe(false);
  });
});
