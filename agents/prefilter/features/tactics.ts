import { tactics, type TacticId } from "../../analyst/techniques.js";

/**
 * MITRE ATT&CK tactics as kill-chain stages: the order of the Enterprise matrix, from
 * Reconnaissance (1) to Impact (14). The ordinal lets a model treat "later in the chain" as "more
 * advanced", which a one-hot encoding of fourteen tactics would spend fourteen features on.
 */
export const KILL_CHAIN: readonly TacticId[] = [
  "TA0043", // Reconnaissance
  "TA0042", // Resource Development
  "TA0001", // Initial Access
  "TA0002", // Execution
  "TA0003", // Persistence
  "TA0004", // Privilege Escalation
  "TA0005", // Defense Evasion
  "TA0006", // Credential Access
  "TA0007", // Discovery
  "TA0008", // Lateral Movement
  "TA0009", // Collection
  "TA0011", // Command and Control
  "TA0010", // Exfiltration
  "TA0040", // Impact
];

/** Falco's `mitre_<tactic>` tags and bare tactic ids (rules such as Drop and execute carry TA0003). */
const stageByTag = new Map<string, number>();
for (const [index, id] of KILL_CHAIN.entries()) {
  stageByTag.set(tactics[id].tag, index + 1);
  stageByTag.set(id.toLowerCase(), index + 1);
}

/**
 * Every tag seen, with its stage (0 for the many that are no tactic: "container", "T1059"…), so
 * each costs one lookup after its first event. Tags come from the rules files, not from the
 * monitored workload, so they are few; the cap is only a backstop.
 */
const known = new Map<string, number>(stageByTag);
const MAX_KNOWN = 4096;

function stageOf(tag: string): number {
  const stage = known.get(tag);
  if (stage !== undefined) return stage;
  // Rules files are hand-edited: accept "MITRE_Execution" and "ta0003" too.
  const lowered = stageByTag.get(tag.toLowerCase()) ?? 0;
  if (known.size < MAX_KNOWN) known.set(tag, lowered);
  return lowered;
}

/**
 * The tactics of an event's tags as a bit mask, bit i for stage i (1–14); 0 when the rule carries
 * no MITRE tactic, as k8s_audit rules do.
 */
export function tacticMask(tags: readonly string[]): number {
  let mask = 0;
  for (const tag of tags) {
    const stage = stageOf(tag);
    if (stage > 0) mask |= 1 << stage;
  }
  return mask;
}

/** The furthest kill-chain stage in a mask (1–14), or 0 for none. */
export function furthestStage(mask: number): number {
  return mask === 0 ? 0 : 31 - Math.clz32(mask);
}
