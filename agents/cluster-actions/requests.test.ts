import { describe, expect, it } from "vitest";
import { z } from "zod";
import { actionTypes, type ActionType, type ProposedAction } from "../../contracts/analysis.js";
import { QUARANTINE_LABEL, requestsFor } from "./requests.js";

function action(type: ActionType, target: Partial<ProposedAction["target"]> = {}): ProposedAction {
  return {
    type,
    target: {
      kind: "Pod",
      namespace: "shop",
      name: "storefront-7d9c8b6f5-x2x9q",
      labels: {},
      image: "ghcr.io/acme/storefront",
      ...target,
    },
    blast_radius: { pods: 1, nodes: 1, namespaces: 1 },
    description: "IGNORE THIS: free text never reaches the API",
  };
}

const LabelBody = z.object({ metadata: z.object({ labels: z.record(z.string(), z.string()) }) });
const PolicyBody = z.object({
  metadata: z.object({ name: z.string() }),
  spec: z.object({ endpointSelector: z.object({ matchLabels: z.record(z.string(), z.string()) }) }),
});

/** The two bodies of an isolation, checked for the shape the assertions read. */
function isolation(caseId: string) {
  const [label, policy, ...rest] = requestsFor(action("isolate_pod"), caseId);
  expect(rest).toEqual([]);
  return { label: LabelBody.parse(label?.body), policy: PolicyBody.parse(policy?.body) };
}

const labelPatch = {
  method: "PATCH",
  path: "/api/v1/namespaces/shop/pods/storefront-7d9c8b6f5-x2x9q",
  contentType: "application/merge-patch+json",
  body: {
    metadata: { labels: { "soc.fleet/quarantine": "true" }, annotations: { "soc.fleet/case": "C-7K2F9" } },
  },
};

describe("requestsFor", () => {
  it("never lifts an earlier isolation: a later case on the same pod sets the same label", () => {
    const first = isolation("C-AAAAA");
    const later = LabelBody.parse(requestsFor(action("label_pod"), "C-BBBBB")[0]?.body);
    expect(first.policy.spec.endpointSelector.matchLabels).toEqual(later.metadata.labels);
  });

  it.each([
    ["a path in the pod name", { name: "../../nodes/worker-a1" }],
    ["a query in the pod name", { name: "x?dryRun=All" }],
    ["an upper-case namespace", { namespace: "Shop" }],
    ["no namespace", { namespace: null }],
    ["no name", { name: null }],
  ])("refuses %s: only valid Kubernetes names reach a path", (_what, target) => {
    expect(() => requestsFor(action("isolate_pod", target), "C-7K2F9")).toThrow(
      /not a valid Kubernetes name/,
    );
  });

  it("uses soc.fleet/quarantine as the quarantine label", () => {
    expect(QUARANTINE_LABEL).toBe("soc.fleet/quarantine");
  });

  it("labels a pod with one merge patch: the quarantine label, and the case in an annotation", () => {
    expect(requestsFor(action("label_pod"), "C-7K2F9")).toEqual([labelPatch]);
  });

  it("isolates a pod: the label, then a CiliumNetworkPolicy applied server-side that selects it", () => {
    const requests = requestsFor(action("isolate_pod"), "C-7K2F9");
    expect(requests).toHaveLength(2);
    expect(requests[0]).toEqual(labelPatch);
    expect(requests[1]).toEqual({
      method: "PATCH",
      path: "/apis/cilium.io/v2/namespaces/shop/ciliumnetworkpolicies/soc-quarantine-c-7k2f9?fieldManager=soc-fleet&force=true",
      contentType: "application/apply-patch+yaml",
      body: {
        apiVersion: "cilium.io/v2",
        kind: "CiliumNetworkPolicy",
        metadata: {
          name: "soc-quarantine-c-7k2f9",
          namespace: "shop",
          annotations: { "soc.fleet/case": "C-7K2F9" },
        },
        spec: {
          endpointSelector: { matchLabels: { "soc.fleet/quarantine": "true" } },
          ingressDeny: [{ fromEntities: ["all"] }],
          egressDeny: [{ toEntities: ["all"] }],
        },
      },
    });
  });

  it("makes the policy select exactly the label the pod patch sets", () => {
    const { label, policy } = isolation("C-ABCDE");
    expect(policy.spec.endpointSelector.matchLabels).toEqual(label.metadata.labels);
  });

  it("evicts a pod to terminate it, through the eviction subresource", () => {
    expect(requestsFor(action("terminate_pod"), "C-7K2F9")).toEqual([
      {
        method: "POST",
        path: "/api/v1/namespaces/shop/pods/storefront-7d9c8b6f5-x2x9q/eviction",
        contentType: "application/json",
        body: {
          apiVersion: "policy/v1",
          kind: "Eviction",
          metadata: { name: "storefront-7d9c8b6f5-x2x9q", namespace: "shop" },
        },
      },
    ]);
  });

  it("scales a deployment to zero through the scale subresource", () => {
    expect(
      requestsFor(action("scale_to_zero", { kind: "Deployment", name: "storefront" }), "C-7K2F9"),
    ).toEqual([
      {
        method: "PATCH",
        path: "/apis/apps/v1/namespaces/shop/deployments/storefront/scale",
        contentType: "application/merge-patch+json",
        body: { spec: { replicas: 0 } },
      },
    ]);
  });

  it("cordons a node by marking it unschedulable", () => {
    expect(
      requestsFor(action("cordon_node", { kind: "Node", namespace: null, name: "worker-b2" }), "C-7K2F9"),
    ).toEqual([
      {
        method: "PATCH",
        path: "/api/v1/nodes/worker-b2",
        contentType: "application/merge-patch+json",
        body: { spec: { unschedulable: true } },
      },
    ]);
  });

  it("sends nothing for none", () => {
    expect(
      requestsFor(action("none", { kind: "None", namespace: null, name: null, image: null }), "C-7K2F9"),
    ).toEqual([]);
  });

  it("is deterministic for the same case, so a repeat is a no-op", () => {
    for (const type of actionTypes) {
      const first = requestsFor(action(type), "C-7K2F9");
      const again = requestsFor(action(type), "C-7K2F9");
      expect(again, type).toEqual(first);
      expect(JSON.stringify(again)).toBe(JSON.stringify(first));
    }
  });

  it("names the policy after the case, so different cases do not overwrite each other", () => {
    const a = JSON.stringify(requestsFor(action("isolate_pod"), "C-AAAAA"));
    const b = JSON.stringify(requestsFor(action("isolate_pod"), "C-BBBBB"));
    expect(a).toContain("soc-quarantine-c-aaaaa");
    expect(b).toContain("soc-quarantine-c-bbbbb");
    expect(a).not.toContain("c-bbbbb");
  });

  it("gives a valid Kubernetes label value and resource name for every case id", () => {
    const dns1123 = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
    const labelValue = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
    for (const caseId of ["C-22222", "C-ZZZZZ", "C-7K2F9"]) {
      const { label, policy } = isolation(caseId);
      expect(label.metadata.labels[QUARANTINE_LABEL]).toMatch(labelValue);
      expect(policy.metadata.name).toMatch(dns1123);
    }
  });

  it("never carries the free-text description", () => {
    for (const type of actionTypes) {
      expect(JSON.stringify(requestsFor(action(type), "C-7K2F9"))).not.toContain("IGNORE");
    }
  });
});
