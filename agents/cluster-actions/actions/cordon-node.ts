import { z } from "zod";
import { KubeName, type ResponseAction } from "./action.js";

export const NodeParameters = z.object({ name: KubeName });
export type NodeParameters = z.infer<typeof NodeParameters>;

export interface CordonBefore {
  /** Whether the node was already unschedulable: undo leaves an earlier cordon in place. */
  unschedulable: boolean;
}

const nodePath = ({ name }: NodeParameters) => `/api/v1/nodes/${name}`;
const unschedulablePatch = (params: NodeParameters, unschedulable: boolean) => ({
  method: "PATCH" as const,
  path: nodePath(params),
  contentType: "application/merge-patch+json",
  body: { spec: { unschedulable } },
});

/** Stops new pods landing on a node; the pods already there keep running. */
export const cordonNode: ResponseAction<NodeParameters, CordonBefore> = {
  name: "cordon_node",
  title: "Cordon a node",
  description:
    "Marks the node unschedulable; pods already on it keep running. Undo makes it schedulable again.",
  targets: ["Node"],
  parameters: NodeParameters,
  destructive: true,
  rbac: [
    { apiGroups: [""], resources: ["nodes"], verbs: ["get", "patch"] },
    { apiGroups: [""], resources: ["pods"], verbs: ["list"] },
  ],
  async blastRadius(params, cluster) {
    // The pods on the node can no longer be replaced there: they, and their namespaces, are touched.
    const pods = await cluster.list("/api/v1/pods", { fieldSelector: `spec.nodeName=${params.name}` });
    const namespaces = new Set(pods.map((pod) => pod.metadata?.namespace));
    return { pods: pods.length, nodes: 1, namespaces: namespaces.size };
  },
  async before(params, cluster) {
    const node = await cluster.get(nodePath(params));
    return { unschedulable: node?.spec?.unschedulable === true };
  },
  requests(params) {
    return [unschedulablePatch(params, true)];
  },
  async verify(params, cluster) {
    const node = await cluster.get(nodePath(params));
    if (!node) return { ok: false, detail: `node ${params.name} not found` };
    return node.spec?.unschedulable === true
      ? { ok: true, detail: `node ${params.name} is unschedulable` }
      : { ok: false, detail: `node ${params.name} is still schedulable` };
  },
  undo(params, before) {
    return [unschedulablePatch(params, before.unschedulable)];
  },
};
