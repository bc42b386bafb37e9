import { createHash } from "node:crypto";
import { stringify } from "yaml";
import {
  listOperators,
  parseCondition,
  valueOperators,
  type Condition,
  type Field,
  type ListOperator,
  type ValueOperator,
} from "./condition.js";
import { evaluate, type Fields } from "./evaluate.js";
import type { RuleSet } from "./ruleset.js";

/**
 * A Falco rule exception: the rule does not fire when, for one of `values`' tuples, each field
 * compares true with its value (`comps`, `=` by default). Falco appends it to the rule's condition
 * as `and not ((f1 = v1 and f2 = v2) or …)`.
 */
export interface Exception {
  name: string;
  fields: string[];
  comps: string[];
  values: (string | string[])[][];
}

/**
 * What describes a workload's shape, most telling first: what ran (its image), which program, under
 * which parent, and on what. A dismissal's exception is drawn from these only.
 */
export const shapeFields = [
  "container.image.repository",
  "k8s.ns.name",
  "proc.name",
  "proc.pname",
  "proc.exepath",
  "fd.name",
  "proc.cmdline",
] as const;

/** The exception as a condition: true for an event it spares. */
export function exceptionCondition(exception: Exception): Condition {
  const fields = exception.fields.map(fieldOf);
  const tuples = exception.values.map((tuple): Condition => ({
    kind: "and",
    items: fields.map((field, i): Condition => {
      const comp = exception.comps[i] ?? "=";
      const value = tuple[i] ?? "";
      if ((listOperators as readonly string[]).includes(comp))
        return { kind: "list", field, op: comp as ListOperator, items: [value].flat() };
      if (!(valueOperators as readonly string[]).includes(comp))
        throw new Error(`exception ${exception.name}: no comparison "${comp}"`);
      return {
        kind: "compare",
        field,
        op: comp as ValueOperator,
        value: { kind: "literal", value: String(value) },
      };
    }),
  }));
  return { kind: "or", items: tuples };
}

/**
 * The exception that spares events of one workload shape, drafted from the events analysts
 * dismissed: the fields of `shapeFields` whose value every dismissed event shares (the narrowest
 * description that still covers them all), with that one tuple. Null when they share none: they
 * are not one shape, and no exception should cover them together.
 */
export function draftException(rule: string, dismissed: readonly Fields[]): Exception | null {
  if (dismissed.length === 0) return null;
  const shared = shapeFields.filter((field) => {
    const values = dismissed.map((event) => event[field]);
    const first = values[0];
    return (
      (typeof first === "string" || typeof first === "number") &&
      first !== "<NA>" &&
      values.every((v) => v === first)
    );
  });
  if (shared.length === 0) return null;
  const tuple = shared.map((field) => String(dismissed[0]?.[field]));
  const digest = createHash("sha256")
    .update(JSON.stringify([rule, shared, tuple]))
    .digest("hex")
    .slice(0, 8);
  return {
    name: `soc_dismissed_${digest}`,
    fields: [...shared],
    comps: shared.map(() => "="),
    values: [tuple],
  };
}

/** The exception as a rules-file item that appends it to `rule` (Falco's `append: true`). */
export function exceptionYaml(rule: string, exception: Exception): string {
  return stringify([{ rule, exceptions: [exception], append: true }]);
}

/** A recorded event of the rule and what the analysts made of its case. */
export interface RecordedEvent {
  case_id: string;
  /** When Falco saw it. */
  time: string;
  fields: Fields;
  decision: "dismissed" | "approved" | "open";
}

export interface ExceptionReplay {
  /** Every dismissed event is spared. */
  coversDismissed: boolean;
  /** Cases the exception would have hidden, by what analysts made of them. */
  spared: Record<RecordedEvent["decision"], string[]>;
  /** Events spared per day, over the days recorded. */
  perDay: number;
  /** Events whose record lacks a field the exception reads: not replayed. */
  unreplayable: { case_id: string; missing: string[] }[];
}

/** Replays `exception` on the rule's recorded events: what it would have spared, and what it could not tell. */
export function replayException(
  exception: Exception,
  events: readonly RecordedEvent[],
  rules: RuleSet,
): ExceptionReplay {
  const condition = exceptionCondition(exception);
  const spared: ExceptionReplay["spared"] = { dismissed: [], approved: [], open: [] };
  const unreplayable: ExceptionReplay["unreplayable"] = [];
  for (const event of events) {
    const { matches, missing } = evaluate(condition, event.fields, rules);
    if (matches === null) unreplayable.push({ case_id: event.case_id, missing });
    else if (matches) spared[event.decision].push(event.case_id);
  }
  const dismissed = events.filter((e) => e.decision === "dismissed").length;
  const times = events.map((e) => Date.parse(e.time)).filter(Number.isFinite);
  const days = times.length ? Math.max(1, (Math.max(...times) - Math.min(...times)) / 86_400_000) : 1;
  const total = spared.dismissed.length + spared.approved.length + spared.open.length;
  return {
    coversDismissed: spared.dismissed.length === dismissed,
    spared,
    perDay: total / days,
    unreplayable,
  };
}

function fieldOf(text: string): Field {
  const check = parseCondition(`${text} exists`);
  if (check.kind !== "exists") throw new Error(`"${text}" is not a field`);
  return check.field;
}
