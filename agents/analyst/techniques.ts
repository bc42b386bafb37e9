/**
 * MITRE ATT&CK (Enterprise) names for the ids Falco puts in rule tags, so the analyst can say
 * "Credential Access / Unsecured Credentials: Credentials In Files" instead of "T1552.001".
 * Covers the ids in falcosecurity/rules' stable rules, most of those in its other rules, and the
 * techniques common in container attacks. It is not the whole matrix: an unknown id comes back as
 * null rather than a guessed name.
 */

/** The 14 Enterprise tactics, with the `mitre_<tactic>` spelling Falco uses in its tags. */
export const tactics = {
  TA0043: { name: "Reconnaissance", tag: "mitre_reconnaissance" },
  TA0042: { name: "Resource Development", tag: "mitre_resource_development" },
  TA0001: { name: "Initial Access", tag: "mitre_initial_access" },
  TA0002: { name: "Execution", tag: "mitre_execution" },
  TA0003: { name: "Persistence", tag: "mitre_persistence" },
  TA0004: { name: "Privilege Escalation", tag: "mitre_privilege_escalation" },
  TA0005: { name: "Defense Evasion", tag: "mitre_defense_evasion" },
  TA0006: { name: "Credential Access", tag: "mitre_credential_access" },
  TA0007: { name: "Discovery", tag: "mitre_discovery" },
  TA0008: { name: "Lateral Movement", tag: "mitre_lateral_movement" },
  TA0009: { name: "Collection", tag: "mitre_collection" },
  TA0011: { name: "Command and Control", tag: "mitre_command_and_control" },
  TA0010: { name: "Exfiltration", tag: "mitre_exfiltration" },
  TA0040: { name: "Impact", tag: "mitre_impact" },
} as const satisfies Record<string, { name: string; tag: `mitre_${string}` }>;
export type TacticId = keyof typeof tactics;

/**
 * Techniques by id. Sub-techniques hold only their own name, as ATT&CK lists them; techniqueName()
 * prefixes the parent's, which is how ATT&CK itself displays them.
 */
export const techniques = {
  T1003: "OS Credential Dumping",
  "T1003.007": "Proc Filesystem",
  "T1003.008": "/etc/passwd and /etc/shadow",
  T1005: "Data from Local System",
  T1014: "Rootkit",
  T1016: "System Network Configuration Discovery",
  T1018: "Remote System Discovery",
  T1021: "Remote Services",
  "T1021.004": "SSH",
  T1027: "Obfuscated Files or Information",
  "T1027.004": "Compile After Delivery",
  T1033: "System Owner/User Discovery",
  T1036: "Masquerading",
  T1040: "Network Sniffing",
  T1041: "Exfiltration Over C2 Channel",
  T1046: "Network Service Discovery",
  T1048: "Exfiltration Over Alternative Protocol",
  T1049: "System Network Connections Discovery",
  T1053: "Scheduled Task/Job",
  "T1053.003": "Cron",
  T1055: "Process Injection",
  "T1055.008": "Ptrace System Calls",
  T1057: "Process Discovery",
  T1059: "Command and Scripting Interpreter",
  "T1059.004": "Unix Shell",
  "T1059.006": "Python",
  T1068: "Exploitation for Privilege Escalation",
  T1069: "Permission Groups Discovery",
  T1070: "Indicator Removal",
  "T1070.002": "Clear Linux or Mac System Logs",
  "T1070.003": "Clear Command History",
  "T1070.004": "File Deletion",
  T1071: "Application Layer Protocol",
  T1072: "Software Deployment Tools",
  T1078: "Valid Accounts",
  "T1078.001": "Default Accounts",
  "T1078.003": "Local Accounts",
  "T1078.004": "Cloud Accounts",
  T1082: "System Information Discovery",
  T1083: "File and Directory Discovery",
  T1087: "Account Discovery",
  T1090: "Proxy",
  T1095: "Non-Application Layer Protocol",
  T1098: "Account Manipulation",
  "T1098.004": "SSH Authorized Keys",
  T1105: "Ingress Tool Transfer",
  T1110: "Brute Force",
  T1133: "External Remote Services",
  T1136: "Create Account",
  "T1136.001": "Local Account",
  T1140: "Deobfuscate/Decode Files or Information",
  T1190: "Exploit Public-Facing Application",
  T1204: "User Execution",
  T1205: "Traffic Signaling",
  "T1205.001": "Port Knocking",
  T1210: "Exploitation of Remote Services",
  T1222: "File and Directory Permissions Modification",
  "T1222.002": "Linux and Mac File and Directory Permissions Modification",
  T1485: "Data Destruction",
  T1486: "Data Encrypted for Impact",
  T1489: "Service Stop",
  T1496: "Resource Hijacking",
  T1499: "Endpoint Denial of Service",
  T1505: "Server Software Component",
  T1525: "Implant Internal Image",
  T1528: "Steal Application Access Token",
  T1543: "Create or Modify System Process",
  T1546: "Event Triggered Execution",
  "T1546.004": "Unix Shell Configuration Modification",
  T1547: "Boot or Logon Autostart Execution",
  "T1547.006": "Kernel Modules and Extensions",
  T1548: "Abuse Elevation Control Mechanism",
  "T1548.001": "Setuid and Setgid",
  "T1548.003": "Sudo and Sudo Caching",
  T1552: "Unsecured Credentials",
  "T1552.001": "Credentials In Files",
  "T1552.005": "Cloud Instance Metadata API",
  "T1552.007": "Container API",
  T1555: "Credentials from Password Stores",
  T1556: "Modify Authentication Process",
  T1557: "Adversary-in-the-Middle",
  "T1557.002": "ARP Cache Poisoning",
  T1562: "Impair Defenses",
  "T1562.001": "Disable or Modify Tools",
  T1564: "Hide Artifacts",
  "T1564.001": "Hidden Files and Directories",
  T1565: "Data Manipulation",
  T1571: "Non-Standard Port",
  T1574: "Hijack Execution Flow",
  "T1574.006": "Dynamic Linker Hijacking",
  T1588: "Obtain Capabilities",
  T1595: "Active Scanning",
  T1608: "Stage Capabilities",
  T1609: "Container Administration Command",
  T1610: "Deploy Container",
  T1611: "Escape to Host",
  T1612: "Build Image on Host",
  T1613: "Container and Resource Discovery",
  T1620: "Reflective Code Loading",
  T1622: "Debugger Evasion",
} as const satisfies Record<string, string>;
export type TechniqueId = keyof typeof techniques;

export interface Named {
  id: string;
  name: string;
}

const techniqueId = /^T\d{4}(?:\.\d{3})?$/;
const tacticId = /^TA\d{4}$/;

function lookup<T extends object>(table: T, key: string): T[keyof T] | undefined {
  return Object.hasOwn(table, key) ? table[key as keyof T] : undefined;
}

/** Tags come from rules files anyone can edit; compare ids case-insensitively, tactic tags in lower case. */
function normalise(tag: string): string {
  return tag.trim().toUpperCase();
}

/**
 * "Command and Scripting Interpreter" for T1059, "Command and Scripting Interpreter: Unix Shell" for
 * T1059.004; null for tactic ids, malformed ids and ids the catalogue lacks (even if the parent is
 * known: a parent name would claim a precision the id does not have).
 */
export function techniqueName(id: string): string | null {
  const key = normalise(id);
  if (!techniqueId.test(key)) return null;
  const own = lookup(techniques, key);
  if (own === undefined) return null;
  const dot = key.indexOf(".");
  if (dot < 0) return own;
  const parent = lookup(techniques, key.slice(0, dot));
  return parent === undefined ? null : `${parent}: ${own}`;
}

export function tacticName(id: string): string | null {
  return lookup(tactics, normalise(id))?.name ?? null;
}

const tacticByTag = new Map<string, TacticId>(
  (Object.keys(tactics) as TacticId[]).map((id) => [tactics[id].tag, id]),
);

/**
 * The tactic of a rule from its tags: the `mitre_*` tag first, then a bare tactic id (rules such as
 * "Drop and execute new binary in container" carry TA0003 where a technique would be).
 */
export function tacticFromTags(tags: readonly string[]): Named | null {
  for (const tag of tags) {
    const id = tacticByTag.get(tag.trim().toLowerCase());
    if (id !== undefined) return { id, name: tactics[id].name };
  }
  for (const tag of tags) {
    const id = normalise(tag);
    const tactic = tacticId.test(id) ? lookup(tactics, id) : undefined;
    if (tactic !== undefined) return { id, name: tactic.name };
  }
  return null;
}

/**
 * The most specific known technique in the tags: a sub-technique beats its parent and any other
 * technique; an unknown sub-technique falls back to its parent when that is known. A tactic id on
 * its own is not a technique, so TA0003-only rules give null.
 */
export function techniqueFromTags(tags: readonly string[]): Named | null {
  const ids = tags.map(normalise).filter((tag) => techniqueId.test(tag));
  const candidates = [...ids.filter((id) => id.includes(".")), ...ids.filter((id) => !id.includes("."))];
  for (const id of candidates) {
    const name = techniqueName(id);
    if (name !== null) return { id, name };
  }
  for (const id of candidates) {
    const parent = id.split(".")[0] ?? id;
    const name = techniqueName(parent);
    if (name !== null) return { id: parent, name };
  }
  return null;
}
