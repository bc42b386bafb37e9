import { stringify } from "yaml";
import {
  listOperators,
  parseField,
  valueOperators,
  type Condition,
  type ListOperator,
  type ValueOperator,
} from "./condition.js";
import type { Fields } from "./evaluate.js";
import type { RuleSet } from "./ruleset.js";
import { replayOn, type RecordedEvent, type Replay } from "./replay.js";
import { draftName, sharedShape } from "./shape.js";

/**
 * A Falco rule exception: the rule does not fire when, for one of `values`' tuples, each field
 * compares true with its value (`comps`, `=` by default). Falco appends it to the rule's condition
 * as `and not ((f1 = v1 and f2 = v2) or …)`.
 */
export interface Exception {
  name: string;
  fields: string[];
  comps?: string[];
  values: (string | string[])[][];
}

/** The exception as a condition: true for an event it spares. */
export function exceptionCondition(exception: Exception): Condition {
  const fields = exception.fields.map(parseField);
  const tuples = exception.values.map((tuple): Condition => ({
    kind: "and",
    items: fields.map((field, i): Condition => {
      const comp = exception.comps?.[i] ?? "=";
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
 * description that still covers them all), and, unless they share their command line, each command
 * line they ran as a tuple of its own: what was done, not only who did it. Null when they share no
 * field, or ran more than MAX_COMMANDS commands: they are not one routine, and no exception should
 * cover them together.
 */
export function draftException(rule: string, dismissed: readonly Fields[]): Exception | null {
  const shape = sharedShape(dismissed);
  if (shape.length === 0) return null;
  const fields = shape.map(([field]) => field);
  const tuple = shape.map(([, value]) => value);
  // Pinned already, or the rule's output never carries the command line.
  if (fields.includes("proc.cmdline") || dismissed.every((e) => e["proc.cmdline"] === undefined)) {
    return {
      name: draftName("dismissed", [rule, fields, [tuple]]),
      fields,
      comps: fields.map(() => "="),
      values: [tuple],
    };
  }
  // Who ran it is not what was done: an attacker in the same pod runs the same program under the
  // same parent. The commands analysts dismissed are pinned, each a tuple of its own.
  const commands = [...new Set(dismissed.map((e) => e["proc.cmdline"]))];
  if (commands.length > MAX_COMMANDS || !commands.every((c) => typeof c === "string" && c !== "<NA>"))
    return null;
  const pinned = [...fields, "proc.cmdline"];
  const values = (commands as string[]).sort().map((command) => [...tuple, command]);
  return {
    name: draftName("dismissed", [rule, pinned, values]),
    fields: pinned,
    comps: pinned.map(() => "="),
    values,
  };
}

/**
 * The most command lines one exception lists: dismissed cases that ran more distinct commands than
 * this are not one routine but many, and no exception describes them narrowly.
 */
export const MAX_COMMANDS = 20;

/** The exception as a rules-file item that appends it to `rule` (Falco's `append: true`). */
export function exceptionYaml(rule: string, exception: Exception): string {
  return stringify([{ rule, exceptions: [exception], append: true }]);
}

export interface ExceptionReplay extends Replay {
  /** Every dismissed event is spared (hits are the events it spares). */
  coversDismissed: boolean;
}

/** Replays `exception` on the rule's recorded events: what it would have spared, and what it could not tell. */
export function replayException(
  exception: Exception,
  events: readonly RecordedEvent[],
  rules: RuleSet,
): ExceptionReplay {
  const replay = replayOn(exceptionCondition(exception), events, rules);
  const dismissed = events.filter((e) => e.decision === "dismissed").length;
  return { ...replay, coversDismissed: replay.hits.dismissed.length === dismissed };
}
