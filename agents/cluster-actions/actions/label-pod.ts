import {
  CASE_ANNOTATION,
  metadataPatch,
  PodParameters,
  podBlastRadius,
  podPath,
  QUARANTINE_LABEL,
  type KubeObject,
  type ResponseAction,
  type Verification,
} from "./action.js";

/** The pod's quarantine label and case annotation before the action: null where there was none. */
export interface LabelsBefore {
  label: string | null;
  annotation: string | null;
}

/** Marks a pod as quarantined, which a quarantine network policy (isolate_pod) then selects. */
export const labelPod: ResponseAction<PodParameters, LabelsBefore> = {
  name: "label_pod",
  title: "Label a pod as quarantined",
  description: `Sets the ${QUARANTINE_LABEL} label on a pod, and the case in the ${CASE_ANNOTATION} annotation.`,
  targets: ["Pod"],
  parameters: PodParameters,
  destructive: false,
  rbac: [{ apiGroups: [""], resources: ["pods"], verbs: ["get", "patch"] }],
  blastRadius: podBlastRadius,
  async before(params, cluster) {
    const pod = await cluster.get(podPath(params));
    return {
      label: pod?.metadata?.labels?.[QUARANTINE_LABEL] ?? null,
      annotation: pod?.metadata?.annotations?.[CASE_ANNOTATION] ?? null,
    };
  },
  requests(params, _before, caseId) {
    return [metadataPatch(podPath(params), { [QUARANTINE_LABEL]: "true" }, { [CASE_ANNOTATION]: caseId })];
  },
  async verify(params, cluster) {
    return quarantined(params, await cluster.get(podPath(params)));
  },
  undo(params, before) {
    return [
      metadataPatch(
        podPath(params),
        { [QUARANTINE_LABEL]: before.label },
        { [CASE_ANNOTATION]: before.annotation },
      ),
    ];
  },
};

/** Whether the pod as read carries the quarantine label. */
export function quarantined(params: PodParameters, pod: KubeObject | null): Verification {
  if (!pod) return { ok: false, detail: `pod ${params.namespace}/${params.name} not found` };
  const value = pod.metadata?.labels?.[QUARANTINE_LABEL];
  return value === "true"
    ? { ok: true, detail: `${QUARANTINE_LABEL}=true on ${params.namespace}/${params.name}` }
    : { ok: false, detail: `${QUARANTINE_LABEL} is ${JSON.stringify(value ?? null)}, not "true"` };
}
