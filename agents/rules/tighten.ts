import { parse, stringify } from "yaml";
import { exceptionCondition } from "./exceptions.js";
import type { Fields } from "./evaluate.js";
import { replayOn, type RecordedEvent, type Replay } from "./replay.js";
import { draftName, sharedShape } from "./shape.js";
import type { Rule, RuleSet } from "./ruleset.js";

/** Falco's priority for what the analysts found, by the analysis's severity. */
export const priorityBySeverity = {
  critical: "CRITICAL",
  high: "ERROR",
  medium: "WARNING",
  low: "NOTICE",
} as const;

export interface RuleDraft {
  /** The draft's stable name (`soc_raised_…`), the same for the same rule and shape. */
  id: string;
  name: string;
  /** Its Falco priority: what the analysis found. */
  priority: string;
  /** The shape's fields and values the new rule adds to the rule it narrows. */
  shape: [string, string][];
  yaml: string;
}

/**
 * A new rule drafted from cases analysts approved that Falco rated low: the rule that fired, narrowed
 * to the workload shape every approved event shares (as an exception is drawn, `shapeFields`), at
 * the priority the analysis found, with its MITRE technique in the tags. Built on the rule's own
 * condition, so on its macros and lists; null when the approved events share no shape.
 */
export function draftRule(
  base: Rule,
  approved: readonly Fields[],
  finding: { severity: keyof typeof priorityBySeverity; technique: string | null },
): RuleDraft | null {
  const shape = sharedShape(approved);
  if (shape.length === 0) return null;
  const what = shape.find(([field]) => field === "container.image.repository")?.[1] ?? shape[0]?.[1] ?? "";
  const name = `${base.name} in ${what} (raised by soc-fleet)`;
  const narrowing = shape.map(([field, value]) => `${field} = ${quote(value)}`).join(" and ");
  const tags = [
    ...new Set([...(base.text.tags ?? []), ...(finding.technique ? [finding.technique] : []), "soc_fleet"]),
  ];
  const item = {
    rule: name,
    desc: `${base.name}, which analysts approved as malicious for this workload: raised to ${priorityBySeverity[finding.severity]}.`,
    condition: `(${base.text.condition.trim()}) and ${narrowing}`,
    output: base.text.output ?? `${base.name} (${shape.map(([field]) => `${field}=%${field}`).join(" ")})`,
    priority: priorityBySeverity[finding.severity],
    tags,
    ...(base.text.source ? { source: base.text.source } : {}),
  };
  return {
    id: draftName("raised", [base.name, shape]),
    name,
    priority: item.priority,
    shape,
    yaml: stringify([item], { lineWidth: 0 }),
  };
}

/** The drafted rule with `desc` in other words (a language model's): the rule is otherwise the same. */
export function describedAs<D extends { yaml: string }>(draft: D, desc: string): D {
  const [item] = parse(draft.yaml) as [Record<string, unknown>];
  return { ...draft, yaml: stringify([{ ...item, desc }], { lineWidth: 0 }) };
}

/** A value as a condition reads it: bare when it can be, quoted when it cannot. */
function quote(value: string): string {
  return /^[\w./:@-]+$/.test(value) ? value : `"${value.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
}

/**
 * Replays a drafted rule on the recorded events of the rule it narrows: those events met that rule's
 * condition when Falco fired it, so what decides is the shape the draft adds, read from each record.
 */
export function replayRule(draft: RuleDraft, events: readonly RecordedEvent[], rules: RuleSet): Replay {
  const fields = draft.shape.map(([field]) => field);
  const shape = exceptionCondition({
    name: draft.name,
    fields,
    comps: fields.map(() => "="),
    values: [draft.shape.map(([, value]) => value)],
  });
  return replayOn(shape, events, rules);
}
