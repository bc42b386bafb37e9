import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { ConditionError, parseCondition, type Condition } from "./condition.js";
import { exceptionCondition, type Exception } from "./exceptions.js";

/** One item of a Falco rules file, as far as conditions go. */
interface RulesItem {
  list?: string;
  items?: (string | number)[];
  macro?: string;
  rule?: string;
  condition?: string;
  append?: boolean;
  override?: Record<string, "append" | "replace">;
  enabled?: boolean;
  exceptions?: Exception[];
  desc?: string;
  output?: string;
  priority?: string;
  tags?: string[];
  source?: string;
}

/** What a rule says besides its condition, as its defining item has it. */
export type RuleText = Pick<RulesItem, "desc" | "output" | "priority" | "tags" | "source"> & {
  /** Its condition as written, appends included. */
  condition: string;
};

export interface Rule {
  name: string;
  /** What fires it: its condition and not any of its exceptions. */
  condition: Condition;
  exceptions: Exception[];
  text: RuleText;
}

/**
 * Rules files as Falco loads them, in order: lists (items naming another list expand to its items),
 * macros and rules, each `append: true` or `override: {condition|items: append|replace}` applied to
 * the one defined before. Conditions are parsed as they are read: a file that does not parse is
 * refused with the item and the parser's words.
 */
export class RuleSet {
  readonly lists = new Map<string, string[]>();
  readonly macros = new Map<string, Condition>();
  readonly rules = new Map<string, Rule>();
  readonly #macroText = new Map<string, string>();
  readonly #ruleText = new Map<string, string>();
  readonly #exceptions = new Map<string, Exception[]>();
  readonly #ruleItems = new Map<string, RulesItem>();
  #expanded = new WeakMap<readonly string[], string[]>();

  /** The rules files at `paths`, loaded in order as Falco loads them. */
  static fromFiles(paths: readonly string[]): RuleSet {
    return paths.reduce((set, path) => set.load(readFileSync(path, "utf8"), path), new RuleSet());
  }

  /** Reads `yamlText` (one rules file) over what is loaded already. */
  load(yamlText: string, source = "rules"): this {
    // Lists may change below: what was expanded before is expanded again.
    this.#expanded = new WeakMap();
    const items = (parse(yamlText) as RulesItem[] | null) ?? [];
    for (const item of items) {
      if (item.list !== undefined) this.#list(item);
      else if (item.macro !== undefined) this.#define(item, item.macro, this.#macroText, source);
      else if (item.rule !== undefined) {
        this.#define(item, item.rule, this.#ruleText, source);
        this.#addExceptions(item.rule, item);
        if (item.append !== true && !item.override) this.#ruleItems.set(item.rule, item);
      }
    }
    for (const [name, text] of this.#macroText)
      this.macros.set(name, this.#parse(text, `macro ${name}`, source));
    for (const [name, text] of this.#ruleText) {
      const base = this.#parse(text, `rule ${name}`, source);
      const exceptions = this.#exceptions.get(name) ?? [];
      const spared: Condition = { kind: "or", items: exceptions.map(exceptionCondition) };
      const condition: Condition = exceptions.length
        ? { kind: "and", items: [base, { kind: "not", item: spared }] }
        : base;
      const { desc, output, priority, tags, source: eventSource } = this.#ruleItems.get(name) ?? {};
      const ruleText = { condition: text, desc, output, priority, tags, source: eventSource };
      this.rules.set(name, { name, condition, exceptions, text: ruleText });
    }
    return this;
  }

  /**
   * A list's items with every list it names expanded (Falco expands lists textually, in order); a
   * condition's list is expanded once, however many events it is evaluated on.
   */
  expand(items: readonly string[]): string[] {
    let expanded = this.#expanded.get(items);
    if (!expanded) {
      expanded = items.flatMap((item) => this.lists.get(item) ?? [item]);
      this.#expanded.set(items, expanded);
    }
    return expanded;
  }

  #addExceptions(rule: string, item: RulesItem): void {
    if (!item.exceptions) return;
    const appending = item.append === true || item.override?.exceptions === "append";
    this.#exceptions.set(rule, [
      ...(appending ? (this.#exceptions.get(rule) ?? []) : []),
      ...item.exceptions,
    ]);
  }

  #list(item: RulesItem): void {
    const name = item.list as string;
    const own = this.expand((item.items ?? []).map(String));
    const appending = item.append === true || item.override?.items === "append";
    this.lists.set(name, appending ? [...(this.lists.get(name) ?? []), ...own] : own);
  }

  #define(item: RulesItem, name: string, texts: Map<string, string>, source: string): void {
    if (item.condition === undefined) return;
    const appending = item.append === true || item.override?.condition === "append";
    const before = texts.get(name);
    if (appending && before === undefined)
      throw new ConditionError(`${source}: ${name} appends to a condition never defined`, 0);
    texts.set(name, appending ? `${before ?? ""} ${item.condition}` : item.condition);
  }

  #parse(text: string, what: string, source: string): Condition {
    try {
      return parseCondition(text);
    } catch (error) {
      throw new ConditionError(
        `${source}: ${what}: ${error instanceof Error ? error.message : String(error)}`,
        0,
      );
    }
  }
}
