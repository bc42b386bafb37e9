import { emptyContext, type AssetContext } from "../../contracts/cluster.js";
import { SocError } from "../../runtime/errors.js";
import { PodParameters, type ClusterView, type KubeObject, type RbacRule } from "./actions/action.js";

/** What reading an event's workload needs: the pod, its namespace and every kind that can own it. */
export const contextRbac: readonly RbacRule[] = [
  { apiGroups: [""], resources: ["pods", "namespaces"], verbs: ["get"] },
  {
    apiGroups: ["apps"],
    resources: ["replicasets", "deployments", "statefulsets", "daemonsets"],
    verbs: ["get"],
  },
  { apiGroups: ["batch"], resources: ["jobs", "cronjobs"], verbs: ["get"] },
];

/** Where each kind of owner is read, by the API group it lives in. */
const ownerPaths: Record<string, (namespace: string, name: string) => string> = {
  ReplicaSet: (ns, name) => `/apis/apps/v1/namespaces/${ns}/replicasets/${name}`,
  Deployment: (ns, name) => `/apis/apps/v1/namespaces/${ns}/deployments/${name}`,
  StatefulSet: (ns, name) => `/apis/apps/v1/namespaces/${ns}/statefulsets/${name}`,
  DaemonSet: (ns, name) => `/apis/apps/v1/namespaces/${ns}/daemonsets/${name}`,
  Job: (ns, name) => `/apis/batch/v1/namespaces/${ns}/jobs/${name}`,
  CronJob: (ns, name) => `/apis/batch/v1/namespaces/${ns}/cronjobs/${name}`,
};

/** An image reference without its registry default, tag or digest: what Falco's repository field holds. */
export function repositoryOf(image: string): string {
  const withoutDigest = image.split("@")[0] ?? image;
  const lastSlash = withoutDigest.lastIndexOf("/");
  const colon = withoutDigest.lastIndexOf(":");
  const repository = colon > lastSlash ? withoutDigest.slice(0, colon) : withoutDigest;
  return repository.replace(/^docker\.io\/(library\/)?/, "");
}

const controllerOf = (object: KubeObject) =>
  object.metadata?.ownerReferences?.find((owner) => owner.controller) ?? null;

/**
 * Resolves an event's workload against the API server: the pod, its namespace's labels, its owner
 * chain and the top owner's replicas, and whether it runs the image Falco named. Falco's fields are
 * attacker-controlled: a name that is not a valid Kubernetes name is never looked up.
 */
export async function assetContext(
  cluster: ClusterView | null,
  event: { namespace: string | null; pod: string | null; image: string | null },
): Promise<AssetContext> {
  if (!event.namespace || !event.pod) return emptyContext("not_a_pod", "the event names no pod");
  const named = PodParameters.safeParse({ namespace: event.namespace, name: event.pod });
  if (!named.success) return emptyContext("not_found", "the event's pod is not a valid Kubernetes name");
  if (!cluster) return emptyContext("no_cluster", "no cluster is configured: the workload was not checked");
  const { namespace, name } = named.data;
  try {
    const namespaceObject = await cluster.get(`/api/v1/namespaces/${namespace}`);
    const namespaceLabels = namespaceObject?.metadata?.labels ?? {};
    const pod = await cluster.get(`/api/v1/namespaces/${namespace}/pods/${name}`);
    if (!pod) {
      const missing = emptyContext("not_found", `pod ${namespace}/${name} does not exist in the cluster`);
      return { ...missing, namespace_labels: namespaceLabels };
    }
    const owners: AssetContext["owners"] = [];
    let top: KubeObject | null = null;
    for (let owner = controllerOf(pod); owner && owners.length < 4;) {
      owners.push({ kind: owner.kind, name: owner.name });
      const path = ownerPaths[owner.kind]?.(namespace, owner.name);
      top = path ? await cluster.get(path) : null;
      owner = top ? controllerOf(top) : null;
    }
    const spec = (pod.spec ?? {}) as {
      containers?: { name: string; image: string }[];
      serviceAccountName?: string;
    };
    const statuses = ((pod.status ?? {}) as { containerStatuses?: { name: string; imageID?: string }[] })
      .containerStatuses;
    const images = (spec.containers ?? []).map((container) => ({
      container: container.name,
      image: container.image,
      image_id: statuses?.find((status) => status.name === container.name)?.imageID || null,
    }));
    const replicas = top?.spec?.replicas;
    const context: AssetContext = {
      status: "found",
      detail: `pod ${namespace}/${name}${owners.length ? ` of ${owners.map((o) => `${o.kind} ${o.name}`).join(" of ")}` : ""}`,
      labels: pod.metadata?.labels ?? {},
      annotations: pod.metadata?.annotations ?? {},
      namespace_labels: namespaceLabels,
      service_account: spec.serviceAccountName ?? null,
      node: typeof pod.spec?.nodeName === "string" ? pod.spec.nodeName : null,
      images,
      owners,
      replicas: typeof replicas === "number" ? replicas : null,
    };
    if (
      event.image &&
      !images.some((image) => repositoryOf(image.image) === repositoryOf(event.image ?? ""))
    ) {
      const running = images.map((image) => image.image).join(", ") || "no container";
      return {
        ...context,
        status: "image_mismatch",
        detail: `pod ${namespace}/${name} runs ${running}, not ${event.image}`,
      };
    }
    return context;
  } catch (error) {
    return emptyContext("unavailable", `the API server could not be read: ${SocError.from(error).message}`);
  }
}
