/**
 * Falco's condition language, parsed as the rules engine reads it (libsinsp's filter grammar):
 *
 *   expr    := and ('or' and)*
 *   and     := not ('and' not)*
 *   not     := 'not' not | check
 *   check   := '(' expr ')' | macro | field 'exists' | field op value | field listop list
 *   field   := name ('[' arg ']')? | transformer '(' field ')'
 *   list    := '(' (quoted | bare) (','? (quoted | bare))* ')'
 *
 * A name with a dot is a field (`proc.name`, `proc.aname[2]`), one without is a macro. A bare value
 * runs to the next blank, ',' or ')'; a list item that names a list is expanded by the rule set.
 */

export const valueOperators = [
  "=",
  "==",
  "!=",
  "<",
  "<=",
  ">",
  ">=",
  "contains",
  "icontains",
  "bcontains",
  "startswith",
  "istartswith",
  "bstartswith",
  "endswith",
  "iendswith",
  "bendswith",
  "glob",
  "iglob",
  "regex",
] as const;
export const listOperators = ["in", "intersects", "pmatch"] as const;
const transformers = ["tolower", "toupper", "b64", "basename", "len"] as const;

export type ValueOperator = (typeof valueOperators)[number];
export type ListOperator = (typeof listOperators)[number];

/** A field as written: `proc.aname[2]` is name proc.aname, arg 2; `tolower(fd.name)` a transformer of it. */
export interface Field {
  name: string;
  arg: string | null;
  transformer: (typeof transformers)[number] | null;
  /** As written, the key falcosidekick's output_fields carry it under. */
  text: string;
}

export type Value = { kind: "literal"; value: string } | { kind: "field"; field: Field };

export type Condition =
  | { kind: "and" | "or"; items: Condition[] }
  | { kind: "not"; item: Condition }
  | { kind: "macro"; name: string }
  | { kind: "exists"; field: Field }
  | { kind: "compare"; field: Field; op: ValueOperator; value: Value }
  | { kind: "list"; field: Field; op: ListOperator; items: string[] };

export class ConditionError extends Error {
  constructor(
    message: string,
    readonly at: number,
  ) {
    super(`${message} at offset ${String(at)}`);
    this.name = "ConditionError";
  }
}

/** The condition `source` as a tree; a ConditionError says where it stops making sense. */
export function parseCondition(source: string): Condition {
  const parser = new Parser(source);
  const condition = parser.expression();
  parser.end();
  return condition;
}

/** A field as written (`proc.aname[2]`, `tolower(fd.name)`), alone. */
export function parseField(text: string): Field {
  const check = parseCondition(`${text} exists`);
  if (check.kind !== "exists") throw new ConditionError(`"${text}" is not a field`, 0);
  return check.field;
}

const IDENTIFIER = /[A-Za-z_][\w.]*/y;
const SYMBOL_OPERATOR = /(==|!=|<=|>=|=|<|>)/y;
const WORD = /[a-z]+/y;
const BARE = /[^\s,()'"]+/y;

class Parser {
  #at = 0;

  constructor(private readonly source: string) {}

  expression(): Condition {
    const items = [this.#and()];
    while (this.#keyword("or")) items.push(this.#and());
    return items.length === 1 ? (items[0] as Condition) : { kind: "or", items };
  }

  end(): void {
    this.#space();
    if (this.#at < this.source.length)
      this.#fail(`unexpected "${this.source.slice(this.#at, this.#at + 20)}"`);
  }

  #and(): Condition {
    const items = [this.#not()];
    while (this.#keyword("and")) items.push(this.#not());
    return items.length === 1 ? (items[0] as Condition) : { kind: "and", items };
  }

  #not(): Condition {
    if (this.#keyword("not")) return { kind: "not", item: this.#not() };
    return this.#check();
  }

  #check(): Condition {
    this.#space();
    if (this.#take("(")) {
      const inner = this.expression();
      this.#expect(")");
      return inner;
    }
    const start = this.#at;
    const name = this.#match(IDENTIFIER);
    if (!name) this.#fail("expected a field, a macro or '('");
    if (!name.includes(".") && !this.#peek("(")) {
      if ((["and", "or", "not"] as string[]).includes(name))
        this.#fail(`"${name}" where a check belongs`, start);
      return { kind: "macro", name };
    }
    this.#at = start;
    const field = this.#field();
    this.#space();
    const symbol = this.#match(SYMBOL_OPERATOR);
    const op = symbol ?? this.#operatorWord();
    if (op === "exists") return { kind: "exists", field };
    if ((listOperators as readonly string[]).includes(op))
      return { kind: "list", field, op: op as ListOperator, items: this.#list() };
    if (!(valueOperators as readonly string[]).includes(op)) this.#fail(`unknown operator "${op}"`);
    return { kind: "compare", field, op: op as ValueOperator, value: this.#value() };
  }

  #field(): Field {
    this.#space();
    const start = this.#at;
    const name = this.#match(IDENTIFIER);
    if (!name) this.#fail("expected a field");
    if ((transformers as readonly string[]).includes(name) && this.#take("(")) {
      const inner = this.#field();
      this.#expect(")");
      return {
        ...inner,
        transformer: name as Field["transformer"],
        text: this.source.slice(start, this.#at),
      };
    }
    if (!name.includes(".")) this.#fail(`"${name}" is not a field`, start);
    let arg: string | null = null;
    if (this.source[this.#at] === "[") {
      const close = this.source.indexOf("]", this.#at);
      if (close < 0) this.#fail("unclosed '[' in a field's argument");
      arg = this.source.slice(this.#at + 1, close);
      this.#at = close + 1;
    }
    return { name, arg, transformer: null, text: this.source.slice(start, this.#at) };
  }

  #operatorWord(): string {
    const word = this.#match(WORD);
    if (!word) this.#fail("expected an operator");
    return word;
  }

  #value(): Value {
    this.#space();
    const quoted = this.#quoted();
    if (quoted !== null) return { kind: "literal", value: quoted };
    const start = this.#at;
    const word = this.#match(IDENTIFIER);
    if (word && word === "val" && this.#take("(")) {
      const field = this.#field();
      this.#expect(")");
      return { kind: "field", field };
    }
    if (word && (transformers as readonly string[]).includes(word) && this.#peek("(")) {
      this.#at = start;
      return { kind: "field", field: this.#field() };
    }
    this.#at = start;
    const bare = this.#match(BARE);
    if (!bare) this.#fail("expected a value");
    return { kind: "literal", value: bare };
  }

  #list(): string[] {
    this.#space();
    this.#expect("(");
    const items: string[] = [];
    for (;;) {
      this.#space();
      if (this.#take(")")) return items;
      if (this.#take(",")) continue;
      const quoted = this.#quoted();
      if (quoted !== null) {
        items.push(quoted);
        continue;
      }
      const bare = this.#match(BARE);
      if (!bare) this.#fail("expected a list item or ')'");
      items.push(bare);
    }
  }

  /** A quoted string, its escapes read, or null when none starts here. */
  #quoted(): string | null {
    const quote = this.source[this.#at];
    if (quote !== '"' && quote !== "'") return null;
    let value = "";
    for (let i = this.#at + 1; i < this.source.length; i++) {
      const c = this.source[i] as string;
      if (c === "\\" && i + 1 < this.source.length) {
        const next = this.source[++i] as string;
        value += next === "n" ? "\n" : next === "t" ? "\t" : next;
      } else if (c === quote) {
        this.#at = i + 1;
        return value;
      } else value += c;
    }
    this.#fail("unclosed string");
  }

  #keyword(word: string): boolean {
    this.#space();
    const after = this.#at + word.length;
    if (this.source.startsWith(word, this.#at) && !/[\w.]/.test(this.source[after] ?? "")) {
      this.#at = after;
      return true;
    }
    return false;
  }

  #match(pattern: RegExp): string | null {
    pattern.lastIndex = this.#at;
    const found = pattern.exec(this.source);
    if (!found) return null;
    this.#at = pattern.lastIndex;
    return found[0];
  }

  #peek(text: string): boolean {
    let i = this.#at;
    while (/\s/.test(this.source[i] ?? "")) i++;
    return this.source.startsWith(text, i);
  }

  #take(text: string): boolean {
    this.#space();
    if (!this.source.startsWith(text, this.#at)) return false;
    this.#at += text.length;
    return true;
  }

  #expect(text: string): void {
    if (!this.#take(text)) this.#fail(`expected '${text}'`);
  }

  #space(): void {
    while (/\s/.test(this.source[this.#at] ?? "")) this.#at++;
  }

  #fail(message: string, at = this.#at): never {
    throw new ConditionError(message, at);
  }
}
