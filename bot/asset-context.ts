import type { AssetContext } from "../contracts/cluster.js";

/**
 * How one front end shows text: `value` makes a string read from outside (Falco fields, labels,
 * anything the API server holds) harmless in its medium and cuts it to `max` characters; `name`
 * sets off a field's fixed name. Everything else in the lines is our own words and numbers.
 * The status is one of a few words, but goes through `value` too so it reads as a value.
 */
export interface Medium {
  value: (raw: string, max: number) => string;
  name: (name: string) => string;
}

/** Why the context says what it says, in the analyst's words; the type checker asks for every status. */
const meaning: Record<AssetContext["status"], string> = {
  found: "the pod exists and runs the image the event names",
  not_found: "the pod named by the event does not exist in the cluster",
  image_mismatch: "the pod runs another image than the event names",
  unavailable: "the API server could not be read",
  no_cluster: "no cluster is configured, nothing was checked",
  not_a_pod: "the event names no pod, nothing to look up",
};

/** At most `items` of each list are shown, the rest counted; each cut to `each` characters. */
const shown = {
  images: { items: 6, each: 200 },
  labels: { items: 8, each: 100 },
  annotations: { items: 5, each: 100 },
  "namespace labels": { items: 6, each: 100 },
} as const;

/** A copy of the whole spec, kilobytes long: noise next to what the pod runs. */
const noisyAnnotations = new Set(["kubectl.kubernetes.io/last-applied-configuration"]);
/** Always the namespace's own name, which the case already shows. */
const noisyNamespaceLabels = new Set(["kubernetes.io/metadata.name"]);

/** The event's workload as the case names it. */
export interface Target {
  namespace: string | null;
  pod: string | null;
}

function bounded(items: readonly string[], max: number, each: number, medium: Medium): string {
  const rest = items.length - max;
  const listed = items.slice(0, max).map((item) => medium.value(item, each));
  return `${listed.join(", ")}${rest > 0 ? ` (+${rest} more)` : ""}`;
}

function pairs(record: Record<string, string>, skip: ReadonlySet<string> = new Set()): string[] {
  return Object.keys(record)
    .filter((key) => !skip.has(key))
    .sort()
    .map((key) => `${key}=${record[key] ?? ""}`);
}

/** The short form of a running image's digest, as `docker images` shows it, or what was read. */
function digestOf(imageId: string | null): string {
  const digest = /sha256:([0-9a-f]{64})/.exec(imageId ?? "")?.[1];
  if (digest) return `sha256:${digest.slice(0, 12)}`;
  return imageId ?? "digest unknown";
}

/** The owner chain top first, down to the pod, with the replicas the top owner asks for. */
function ownerChain(context: AssetContext, target: Target, medium: Medium): string {
  const ns = target.namespace ?? "-";
  const chain = [...context.owners].reverse().map((o, i) => `${o.kind} ${i === 0 ? `${ns}/` : ""}${o.name}`);
  const pod = `Pod ${chain.length ? "" : `${ns}/`}${target.pod ?? "-"}`;
  const n = context.replicas;
  const replicas = n === null ? "" : ` · ${n} ${n === 1 ? "replica" : "replicas"}`;
  const bare = chain.length ? "" : " · no owner: a bare pod";
  return `${medium.value([...chain, pod].join(" ← "), 300)}${replicas}${bare}`;
}

/**
 * The asset context as lines, the same in every front end: first the status with why and the
 * detail, then the pod's owners, placement, images, labels, relevant annotations and namespace
 * labels, each bounded. Fields with nothing in them are left out.
 */
export function contextLines(context: AssetContext, target: Target, medium: Medium): string[] {
  const { name, value } = medium;
  const lines = [
    `${name("cluster")} ${value(context.status, 20)} · ${meaning[context.status]} · ${value(context.detail, 300)}`,
  ];
  const podRead = context.status === "found" || context.status === "image_mismatch";
  if (podRead) lines.push(`${name("owners")} ${ownerChain(context, target, medium)}`);
  const placement = [
    ...(context.node === null ? [] : [`${name("node")} ${value(context.node, 100)}`]),
    ...(context.service_account === null
      ? []
      : [`${name("service account")} ${value(context.service_account, 100)}`]),
  ];
  if (placement.length) lines.push(placement.join(" · "));
  const images = context.images.map((i) => `${i.container}=${i.image} ${digestOf(i.image_id)}`);
  const lists: [keyof typeof shown, string[]][] = [
    ["images", images],
    ["labels", pairs(context.labels)],
    ["annotations", pairs(context.annotations, noisyAnnotations)],
    ["namespace labels", pairs(context.namespace_labels, noisyNamespaceLabels)],
  ];
  for (const [field, items] of lists) {
    if (items.length)
      lines.push(`${name(field)} ${bounded(items, shown[field].items, shown[field].each, medium)}`);
  }
  return lines;
}
