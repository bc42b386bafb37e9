import { z } from "zod";
import { KubeName, type ResponseAction } from "./action.js";

export const WorkloadParameters = z.object({
  kind: z.enum(["Deployment", "StatefulSet"]),
  namespace: KubeName,
  name: KubeName,
});
export type WorkloadParameters = z.infer<typeof WorkloadParameters>;

export interface ScaleBefore {
  /** The replicas the workload asked for before: what undo restores. */
  replicas: number;
}

const resources = { Deployment: "deployments", StatefulSet: "statefulsets" } as const;
const workloadPath = ({ kind, namespace, name }: WorkloadParameters) =>
  `/apis/apps/v1/namespaces/${namespace}/${resources[kind]}/${name}`;

function replicasOf(object: { spec?: Record<string, unknown> } | null): number {
  const replicas = object?.spec?.replicas;
  return typeof replicas === "number" ? replicas : 0;
}

/** Stops every pod of a workload through its scale subresource, remembering the replicas to restore. */
export const scaleToZero: ResponseAction<WorkloadParameters, ScaleBefore> = {
  name: "scale_to_zero",
  title: "Scale a workload to zero",
  description:
    "Sets the replicas of a Deployment or StatefulSet to 0 through its scale subresource; undo restores the recorded count.",
  targets: ["Deployment", "StatefulSet"],
  parameters: WorkloadParameters,
  destructive: true,
  rbac: [
    {
      apiGroups: ["apps"],
      resources: ["deployments/scale", "statefulsets/scale"],
      verbs: ["get", "patch"],
    },
  ],
  async blastRadius(params, cluster) {
    // Every replica stops; each may be on its own node, all in one namespace.
    const replicas = replicasOf(await cluster.get(`${workloadPath(params)}/scale`));
    return { pods: replicas, nodes: replicas, namespaces: 1 };
  },
  async before(params, cluster) {
    return { replicas: replicasOf(await cluster.get(`${workloadPath(params)}/scale`)) };
  },
  requests(params) {
    return [
      {
        method: "PATCH",
        path: `${workloadPath(params)}/scale`,
        contentType: "application/merge-patch+json",
        body: { spec: { replicas: 0 } },
      },
    ];
  },
  async verify(params, cluster) {
    const scale = await cluster.get(`${workloadPath(params)}/scale`);
    if (!scale) return { ok: false, detail: `${params.kind} ${params.namespace}/${params.name} not found` };
    const replicas = replicasOf(scale);
    return replicas === 0
      ? { ok: true, detail: `${params.kind} ${params.namespace}/${params.name} asks for 0 replicas` }
      : {
          ok: false,
          detail: `${params.kind} ${params.namespace}/${params.name} asks for ${replicas} replicas`,
        };
  },
  undo(params, before) {
    return [
      {
        method: "PATCH",
        path: `${workloadPath(params)}/scale`,
        contentType: "application/merge-patch+json",
        body: { spec: { replicas: before.replicas } },
      },
    ];
  },
};
