import {
  clockOf,
  isoNanos,
  isoNanosTrimmed,
  renderField,
  sortTags,
  type FalcoAlert,
  type FieldValue,
  type Priority,
} from "./alert.js";

/**
 * The Falco rules the sample fires, with the priority, tags and output message of
 * falcosecurity/rules (falco_rules.yaml, plus two incubating rules that are common noise).
 * Output lines carry only fields that are also in output_fields, so a reader can cross-check them.
 */
interface RuleDef {
  priority: Priority;
  tags: readonly string[];
  message: string;
  /** Rule-specific `name=%field` pairs that come before the common process fields. */
  lead: readonly (readonly [string, string])[];
}

const file = [["file", "fd.name"]] as const;
const connection = [["connection", "fd.name"]] as const;

export const syscallRules = {
  "Terminal shell in container": {
    priority: "Notice",
    tags: ["maturity_stable", "container", "shell", "mitre_execution", "T1059"],
    message: "A shell was spawned in a container with an attached terminal",
    lead: [],
  },
  "Run shell untrusted": {
    priority: "Notice",
    tags: ["maturity_stable", "host", "container", "process", "shell", "mitre_execution", "T1059.004"],
    message: "Shell spawned by untrusted binary",
    lead: [],
  },
  "Contact K8S API Server From Container": {
    priority: "Notice",
    tags: ["maturity_stable", "container", "network", "k8s", "mitre_discovery", "T1565"],
    message: "Unexpected connection to K8s API Server from container",
    lead: connection,
  },
  "Packet socket created in container": {
    priority: "Notice",
    tags: ["maturity_stable", "container", "network", "mitre_credential_access", "T1557.002"],
    message: "Packet socket was created in a container",
    lead: connection,
  },
  "Launch Package Management Process in Container": {
    priority: "Error",
    tags: ["maturity_incubating", "container", "process", "software_mgmt", "mitre_persistence", "T1505"],
    message: "Package management process launched in container",
    lead: [],
  },
  "Launch Remote File Copy Tools in Container": {
    priority: "Notice",
    tags: ["maturity_incubating", "container", "network", "process", "mitre_exfiltration", "TA0010"],
    message: "Remote file copy tool launched in container",
    lead: [],
  },
  "Launch Privileged Container": {
    priority: "Informational",
    tags: ["maturity_incubating", "container", "cis", "mitre_execution", "T1610"],
    message: "Privileged container started",
    lead: [],
  },
  "Read sensitive file untrusted": {
    priority: "Warning",
    tags: ["maturity_stable", "host", "container", "filesystem", "mitre_credential_access", "T1555"],
    message: "Sensitive file opened for reading by non-trusted program",
    lead: file,
  },
  "Search Private Keys or Passwords": {
    priority: "Warning",
    tags: [
      "maturity_stable",
      "host",
      "container",
      "process",
      "filesystem",
      "mitre_credential_access",
      "T1552.001",
    ],
    message: "Grep private keys or passwords activities found",
    lead: [],
  },
  "Find AWS Credentials": {
    priority: "Warning",
    tags: ["maturity_stable", "host", "container", "process", "aws", "mitre_credential_access", "T1552"],
    message: "Detected AWS credentials search activity",
    lead: [],
  },
  "Netcat Remote Code Execution in Container": {
    priority: "Warning",
    tags: ["maturity_stable", "container", "network", "process", "mitre_execution", "T1059"],
    message: "Netcat runs inside container that allows remote code execution",
    lead: [],
  },
  "Drop and execute new binary in container": {
    priority: "Critical",
    tags: ["maturity_stable", "container", "process", "mitre_persistence", "TA0003", "PCI_DSS_11.5.1"],
    message: "Executing binary not part of base image",
    lead: [],
  },
  "Fileless execution via memfd_create": {
    priority: "Critical",
    tags: ["maturity_stable", "host", "container", "process", "mitre_defense_evasion", "T1620"],
    message: "Fileless execution via memfd_create",
    lead: [],
  },
} as const satisfies Record<string, RuleDef>;
export type SyscallRule = keyof typeof syscallRules;

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

export interface Container {
  id: string;
  name: string;
  image: string;
  tag: string;
  namespace: string;
  pod: string;
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
