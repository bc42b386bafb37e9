import type { Priority } from "./alert.js";

/**
 * The Falco rules the sample and the corpus fire, with the priority, tags and output message of
 * falcosecurity/rules (falco_rules.yaml: stable rules, and incubating or sandbox ones that are
 * common noise or that event-generator's actions trigger).
 * Output lines carry only fields that are also in output_fields, so a reader can cross-check them.
 */
export interface RuleDef {
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
  "Clear Log Activities": {
    priority: "Warning",
    tags: [
      "maturity_stable",
      "host",
      "container",
      "filesystem",
      "mitre_defense_evasion",
      "T1070",
      "NIST_800-53_AU-10",
    ],
    message: "Log files were tampered",
    lead: file,
  },
  "Delete or rename shell history": {
    priority: "Warning",
    tags: [
      "maturity_incubating",
      "host",
      "container",
      "process",
      "filesystem",
      "mitre_defense_evasion",
      "T1070",
    ],
    message: "Shell history deleted or renamed",
    lead: file,
  },
  "Linux Kernel Module Injection Detected": {
    priority: "Warning",
    tags: ["maturity_stable", "host", "container", "process", "mitre_persistence", "TA0003"],
    message: "Linux Kernel Module injection from container",
    lead: [],
  },
  "Mount Launched in Privileged Container": {
    priority: "Warning",
    tags: ["maturity_incubating", "container", "cis", "filesystem", "mitre_privilege_escalation", "T1611"],
    message: "Mount was executed inside a privileged container",
    lead: [],
  },
  "Detect release_agent File Container Escapes": {
    priority: "Critical",
    tags: ["maturity_stable", "container", "process", "mitre_privilege_escalation", "T1611"],
    message: "Detect an attempt to exploit a container escape using release_agent file",
    lead: file,
  },
  "Launch Ingress Remote File Copy Tools in Container": {
    priority: "Notice",
    tags: ["maturity_incubating", "container", "network", "process", "mitre_command_and_control", "TA0011"],
    message: "Ingress remote file copy tool launched in container",
    lead: [],
  },
  "Launch Suspicious Network Tool in Container": {
    priority: "Notice",
    tags: ["maturity_incubating", "container", "network", "process", "mitre_execution", "T1059"],
    message: "Network tool launched in container",
    lead: [],
  },
  "Redirect STDOUT/STDIN to Network Connection in Container": {
    priority: "Notice",
    tags: ["maturity_stable", "container", "network", "process", "mitre_execution", "T1059"],
    message: "Redirect stdout/stdin to network connection",
    lead: connection,
  },
  "PTRACE attached to process": {
    priority: "Warning",
    tags: ["maturity_stable", "host", "container", "process", "mitre_privilege_escalation", "T1055.008"],
    message: "Detected ptrace PTRACE_ATTACH attempt",
    lead: [],
  },
  "Execution from /dev/shm": {
    priority: "Warning",
    tags: ["maturity_incubating", "host", "container", "mitre_execution", "T1059.004"],
    message: "File execution detected from /dev/shm",
    lead: file,
  },
  "Read environment variable from /proc files": {
    priority: "Warning",
    tags: ["maturity_incubating", "container", "filesystem", "process", "mitre_discovery", "T1083"],
    message: "Environment variables were retrieved from /proc files",
    lead: file,
  },
  "The docker client is executed in a container": {
    priority: "Warning",
    tags: ["maturity_sandbox", "container", "mitre_execution", "T1610"],
    message: "Docker or kubernetes client executed in container",
    lead: [],
  },
} as const satisfies Record<string, RuleDef>;
export type SyscallRule = keyof typeof syscallRules;
