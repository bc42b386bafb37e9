import picomatch from "picomatch";
import type { Condition, Field, ListOperator, ValueOperator } from "./condition.js";
import type { RuleSet } from "./ruleset.js";

/** What an event says of its fields: falcosidekick's `output_fields`, by field as written. */
export type Fields = Readonly<
  Record<string, string | number | boolean | null | undefined | readonly (string | number)[]>
>;

/**
 * A condition's verdict on one recorded event: true, false, or null when it turns on a field the
 * event's output did not carry (Falco saw it; the record does not say). `missing` names those fields.
 */
export interface Verdict {
  matches: boolean | null;
  missing: string[];
}

/**
 * Evaluates `condition` against a recorded event, three-valued: a check on a field absent from the
 * record is unknown, and `and`, `or` and `not` combine unknowns as Kleene's logic does (false and
 * unknown is false, true or unknown is true). A field Falco could not read (null, `<NA>`) makes
 * every check on it false, and `exists` false, as in Falco.
 */
export function evaluate(condition: Condition, fields: Fields, rules: RuleSet): Verdict {
  const missing = new Set<string>();
  const matches = new Evaluator(fields, rules, missing).check(condition, []);
  return { matches, missing: [...missing].sort() };
}

type Tri = boolean | null;

class Evaluator {
  constructor(
    private readonly fields: Fields,
    private readonly rules: RuleSet,
    private readonly missing: Set<string>,
  ) {}

  check(condition: Condition, macros: readonly string[]): Tri {
    switch (condition.kind) {
      case "and":
      case "or": {
        // One false decides an and, one true an or; else an unknown leaves it unknown.
        const decisive = condition.kind === "or";
        let result: Tri = !decisive;
        for (const item of condition.items) {
          const value = this.check(item, macros);
          if (value === decisive) return decisive;
          if (value === null) result = null;
        }
        return result;
      }
      case "not": {
        const value = this.check(condition.item, macros);
        return value === null ? null : !value;
      }
      case "macro": {
        const macro = this.rules.macros.get(condition.name);
        if (!macro) throw new Error(`no macro ${condition.name}`);
        if (macros.includes(condition.name))
          throw new Error(
            `macro ${condition.name} refers to itself: ${[...macros, condition.name].join(" → ")}`,
          );
        return this.check(macro, [...macros, condition.name]);
      }
      case "exists": {
        const value = this.#read(condition.field);
        return value === undefined ? null : value !== null;
      }
      case "compare": {
        const left = this.#read(condition.field);
        const right =
          condition.value.kind === "literal" ? condition.value.value : this.#read(condition.value.field);
        if (left === undefined || right === undefined) return null;
        if (left === null || right === null) return false;
        return compare(condition.op, String(left), String(right));
      }
      case "list": {
        const value = this.#read(condition.field);
        if (value === undefined) return null;
        if (value === null) return false;
        return inList(condition.op, value, this.rules.expand(condition.items));
      }
    }
  }

  /**
   * A field's value as recorded: undefined when the record does not carry it, null when Falco could
   * not read it, several for a field of many values (an array in the record).
   */
  #read(field: Field): string | string[] | null | undefined {
    if (!Object.hasOwn(this.fields, field.text)) {
      this.missing.add(field.text);
      return undefined;
    }
    const raw = this.fields[field.text];
    if (raw === null || raw === undefined || raw === "<NA>") return null;
    return Array.isArray(raw) ? raw.map(String) : String(raw);
  }
}

function compare(op: ValueOperator, left: string, right: string): boolean {
  const numbers = numeric(left) && numeric(right);
  switch (op) {
    case "=":
    case "==":
      return numbers ? Number(left) === Number(right) : left === right;
    case "!=":
      return numbers ? Number(left) !== Number(right) : left !== right;
    case "<":
      return numbers && Number(left) < Number(right);
    case "<=":
      return numbers && Number(left) <= Number(right);
    case ">":
      return numbers && Number(left) > Number(right);
    case ">=":
      return numbers && Number(left) >= Number(right);
    case "contains":
    case "bcontains":
      return left.includes(right);
    case "icontains":
      return left.toLowerCase().includes(right.toLowerCase());
    case "startswith":
    case "bstartswith":
      return left.startsWith(right);
    case "istartswith":
      return left.toLowerCase().startsWith(right.toLowerCase());
    case "endswith":
    case "bendswith":
      return left.endsWith(right);
    case "iendswith":
      return left.toLowerCase().endsWith(right.toLowerCase());
    case "glob":
      return glob(right)(left);
    case "iglob":
      return glob(right.toLowerCase())(left.toLowerCase());
    case "regex":
      return compiled(regexes, right, (pattern) => new RegExp(pattern)).test(left);
  }
}

/**
 * `in`: the value is one of the items (every value, for a field of many); `intersects`: one of the
 * values is (for a field of one value, as `in`); `pmatch`: the value is an item or under one (a
 * path prefix).
 */
function inList(op: ListOperator, value: string | string[], items: readonly string[]): boolean {
  const values = Array.isArray(value) ? value : [value];
  switch (op) {
    case "in":
      return values.length > 0 && values.every((v) => items.includes(v));
    case "intersects":
      return values.some((v) => items.includes(v));
    case "pmatch":
      return values.some((v) =>
        items.some((item) => v === item || v.startsWith(item.endsWith("/") ? item : `${item}/`)),
      );
  }
}

const numeric = (text: string) => /^-?\d+(\.\d+)?$/.test(text);

/** A rule's pattern is compiled once, however many events it is replayed on. */
function compiled<T>(cache: Map<string, T>, pattern: string, compile: (pattern: string) => T): T {
  let found = cache.get(pattern);
  if (found === undefined) {
    found = compile(pattern);
    cache.set(pattern, found);
  }
  return found;
}

const regexes = new Map<string, RegExp>();

/** fnmatch(3) without FNM_PATHNAME, as Falco's glob: `*` crosses '/'. */
const globs = new Map<string, (text: string) => boolean>();
const glob = (pattern: string) => compiled(globs, pattern, (p) => picomatch(p, { bash: true, dot: true }));
