import {
  clockOf,
  isoNanos,
  isoNanosTrimmed,
  renderField,
  sortTags,
  type FalcoAlert,
  type FieldValue,
} from "./alert.js";

import { syscallRules, type RuleDef, type SyscallRule } from "./catalogue.js";

export { syscallRules, type SyscallRule } from "./catalogue.js";

const processPairs = [
  ["evt_type", "evt.type"],
  ["user", "user.name"],
  ["user_uid", "user.uid"],
  ["process", "proc.name"],
  ["proc_exepath", "proc.exepath"],
  ["parent", "proc.pname"],
  ["command", "proc.cmdline"],
  ["terminal", "proc.tty"],
] as const;

/** What Falco 0.40+'s default `append_output` adds to every syscall alert in place of %container.info. */
const containerPairs = [
  ["container_id", "container.id"],
  ["container_name", "container.name"],
  ["container_image_repository", "container.image.repository"],
  ["container_image_tag", "container.image.tag"],
  ["k8s_pod_name", "k8s.pod.name"],
  ["k8s_ns_name", "k8s.ns.name"],
] as const;

/** Where a syscall happened. On the host itself Falco says id and name "host" and no image or pod. */
export interface Container {
  id: string;
  name: string;
  image: string | null;
  tag: string | null;
  namespace: string | null;
  pod: string | null;
  node: string;
}

export interface Proc {
  name: string;
  cmdline: string;
  pname: string | null;
  exepath: string;
  /** 0 without a terminal; 34816 is /dev/pts/0, what `kubectl exec -it` gets. */
  tty: number;
  user: string;
  uid: number;
}

export interface SyscallEvent {
  rule: SyscallRule;
  ns: bigint;
  container: Container;
  proc: Proc;
  evtType: string;
  fd?: string;
}

export interface PrivilegedPodEvent {
  ns: bigint;
  node: string;
  user: string;
  namespace: string;
  pod: string;
  images: string;
}

function assemble(
  base: Omit<FalcoAlert, "time" | "output" | "uuid">,
  ns: bigint,
  message: string,
  uuid: string | undefined,
): FalcoAlert {
  const output = `${clockOf(ns)}: ${base.priority} ${message}`;
  const time = uuid === undefined ? isoNanos(ns) : isoNanosTrimmed(ns);
  const alert: FalcoAlert = { ...base, time, output };
  return uuid === undefined ? alert : { uuid, ...alert };
}

export function syscallAlert(event: SyscallEvent, uuid?: string): FalcoAlert {
  const rule: RuleDef = syscallRules[event.rule];
  const { container: c, proc: p } = event;
  const fields: Record<string, FieldValue> = {
    "container.id": c.id,
    "container.image.repository": c.image,
    "container.image.tag": c.tag,
    "container.name": c.name,
    "evt.time": Number(event.ns),
    "evt.type": event.evtType,
    "fd.name": event.fd ?? null,
    "k8s.ns.name": c.namespace,
    "k8s.pod.name": c.pod,
    "proc.cmdline": p.cmdline,
    "proc.exepath": p.exepath,
    "proc.name": p.name,
    "proc.pname": p.pname,
    "proc.tty": p.tty,
    "user.name": p.user,
    "user.uid": p.uid,
  };
  const pairs = [...rule.lead, ...processPairs, ...containerPairs]
    .map(([label, key]) => `${label}=${renderField(fields[key])}`)
    .join(" ");
  const base = {
    rule: event.rule,
    priority: rule.priority,
    source: "syscall" as const,
    tags: sortTags(rule.tags),
    hostname: c.node,
    output_fields: fields,
  };
  return assemble(base, event.ns, `${rule.message} | ${pairs}`, uuid);
}

/** k8s_audit rules carry only the `k8s` tag and no container or process fields. */
export function privilegedPodAlert(event: PrivilegedPodEvent, uuid?: string): FalcoAlert {
  const fields: Record<string, FieldValue> = {
    "evt.time": Number(event.ns),
    "k8s.ns.name": null,
    "ka.req.pod.containers.image": event.images,
    "ka.target.name": event.pod,
    "ka.target.namespace": event.namespace,
    "ka.target.resource": "pods",
    "ka.user.name": event.user,
  };
  const message =
    `Pod started with privileged container (user=${event.user} pod=${event.pod} resource=pods ` +
    `ns=${event.namespace} images=${event.images})`;
  const base = {
    rule: "Create Privileged Pod",
    priority: "Warning" as const,
    source: "k8s_audit" as const,
    tags: ["k8s"],
    hostname: event.node,
    output_fields: fields,
  };
  return assemble(base, event.ns, message, uuid);
}
