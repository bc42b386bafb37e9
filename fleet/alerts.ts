/**
 * Falco alerts in Falco's own JSON format (json_output: true), for tests and benchmarks. Falco cannot run
 * here (it needs a kernel driver), so tests post what its http_output would post.
 */
export interface AlertOptions {
  rule: string;
  priority: string;
  tags: string[];
  namespace?: string | null;
  pod?: string | null;
  image?: string | null;
  source?: string;
  uuid?: string;
  cmdline?: string;
  /** More `output_fields`, e.g. `fd.name` or `proc.exepath`. */
  fields?: Record<string, string | number | null>;
}

let sequence = 0;

export function falcoAlert(options: AlertOptions) {
  const {
    namespace = "shop",
    pod = "storefront-7d9c8b6f5-x2x9q",
    image = "docker.io/library/nginx",
  } = options;
  sequence++;
  const time = new Date(Date.UTC(2026, 10, 24, 9, 0, 0) + sequence * 1000)
    .toISOString()
    .replace("Z", "123456Z");
  return {
    ...(options.uuid ? { uuid: options.uuid } : {}),
    time,
    rule: options.rule,
    priority: options.priority,
    source: options.source ?? "syscall",
    tags: [...options.tags].sort(),
    hostname: "worker-1",
    output: `${options.rule} (ns=${namespace} pod=${pod})`,
    output_fields: {
      "container.id": "3ad7b26ded6d",
      "container.name": pod ? pod.split("-")[0] : null,
      "container.image.repository": image,
      "container.image.tag": "latest",
      "k8s.ns.name": namespace,
      "k8s.pod.name": pod,
      "proc.name": "bash",
      "proc.cmdline": options.cmdline ?? "bash -c id",
      "proc.pname": "runc",
      "user.name": "root",
      "user.uid": 0,
      "evt.type": "execve",
      ...options.fields,
    },
  };
}

/** One alert per verdict path, with the policy's default data. */
export const alerts = {
  /** A cgroup release_agent escape from an identity store's pod: anomalous to the model, and escalated. */
  containerEscape: () =>
    falcoAlert({
      rule: "Detect release_agent File Container Escapes",
      priority: "Critical",
      tags: ["T1611", "container", "maturity_stable", "mitre_privilege_escalation"],
      namespace: "identity",
      pod: "keycloak-0",
      image: "quay.io/keycloak/keycloak",
      cmdline: "sh -c echo /tmp/x > /sys/fs/cgroup/release_agent",
      fields: { "proc.exepath": "/tmp/x", "fd.name": "/sys/fs/cgroup/release_agent", "proc.tty": 34816 },
    }),
  /** Critical on an identity store: the policy escalates. */
  escalate: () =>
    falcoAlert({
      rule: "Drop and execute new binary in container",
      priority: "Critical",
      tags: ["container", "maturity_stable", "mitre_persistence", "process", "TA0003"],
      namespace: "identity",
      pod: "keycloak-0",
      image: "quay.io/keycloak/keycloak",
    }),
  /** Warning with a stable rule on an ordinary workload: labelled for quarantine on its own. */
  autoExecute: () =>
    falcoAlert({
      rule: "Read sensitive file untrusted",
      priority: "Warning",
      tags: ["T1555", "container", "filesystem", "host", "maturity_stable", "mitre_credential_access"],
    }),
  /** A Kubernetes audit rule without MITRE tags: nothing to act on, rejected. */
  autoReject: () =>
    falcoAlert({
      rule: "Create Privileged Pod",
      priority: "Warning",
      tags: ["k8s"],
      source: "k8s_audit",
      namespace: null,
      pod: null,
      image: null,
    }),
};
