import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseCondition } from "./condition.js";
import { evaluate } from "./evaluate.js";
import type { RecordedEvent } from "./replay.js";
import { RuleSet } from "./ruleset.js";
import { draftRule, replayRule } from "./tighten.js";

const stable = new RuleSet().load(
  readFileSync(
    join(import.meta.dirname, "..", "..", "..", "shared", "vendor", "falco-rules", "falco_rules.yaml"),
    "utf8",
  ),
);
const terminal = stable.rules.get("Terminal shell in container");

/** A shell in the payments image, the kind analysts approved as malicious though Falco said Notice. */
const shell = (n: number): RecordedEvent["fields"] => ({
  "container.image.repository": "ghcr.io/acme/payments",
  "k8s.ns.name": "payments",
  "proc.name": "bash",
  "proc.pname": n % 2 ? "runc" : "containerd-shim",
  "proc.cmdline": `bash -i ${String(n)}`,
});

describe("rules drafted from approved cases Falco rated low", () => {
  it("narrows the rule that fired to the approved shape, at the analysis's priority, its technique in the tags", () => {
    if (!terminal) throw new Error("no such official rule");
    const draft = draftRule(terminal, [shell(1), shell(2)], { severity: "high", technique: "T1059" });
    expect(draft?.name).toBe("Terminal shell in container in ghcr.io/acme/payments (raised by soc-fleet)");
    expect(draft?.shape).toEqual([
      ["container.image.repository", "ghcr.io/acme/payments"],
      ["k8s.ns.name", "payments"],
      ["proc.name", "bash"],
    ]);
    const loaded = new RuleSet()
      .load(
        readFileSync(
          join(import.meta.dirname, "..", "..", "..", "shared", "vendor", "falco-rules", "falco_rules.yaml"),
          "utf8",
        ),
      )
      .load(draft?.yaml ?? "");
    const rule = loaded.rules.get(draft?.name ?? "");
    expect(rule?.text.priority).toBe("ERROR");
    expect(rule?.text.tags).toEqual(expect.arrayContaining(["T1059", "soc_fleet", "mitre_execution"]));
    expect(rule?.text.output).toBe(terminal.text.output);
    // Its condition is the rule's, and the shape: where the rule would not fire, neither does it.
    const everything = { ...shell(1), "evt.type": "execve", "evt.dir": "<", "proc.tty": 34816 };
    expect(rule && evaluate(rule.condition, { ...everything, "proc.tty": 0 }, loaded).matches).not.toBe(true);
  });

  it("quotes values a condition cannot take bare, and drafts nothing for approvals of no one shape", () => {
    if (!terminal) throw new Error("no such official rule");
    const odd = { ...shell(1), "container.image.repository": 'reg.example/a b"c' };
    const yaml = draftRule(terminal, [odd], { severity: "critical", technique: null })?.yaml ?? "";
    const item = (parse(yaml) as { condition: string }[])[0];
    // Read back, the condition compares the value as it was, quotes and blanks included.
    expect(JSON.stringify(parseCondition(item?.condition ?? ""))).toContain(
      JSON.stringify({ kind: "literal", value: 'reg.example/a b"c' }),
    );
    const other = {
      "container.image.repository": "nginx",
      "k8s.ns.name": "web",
      "proc.name": "sh",
      "proc.pname": "x",
      "proc.cmdline": "sh",
    };
    expect(draftRule(terminal, [shell(1), other], { severity: "high", technique: null })).toBeNull();
  });

  it("replays on the rule's recorded events: the approved it catches, the others, what could not be read", () => {
    if (!terminal) throw new Error("no such official rule");
    const draft = draftRule(terminal, [shell(1), shell(2)], { severity: "high", technique: "T1059" });
    if (!draft) throw new Error("no draft");
    const event = (
      case_id: string,
      fields: RecordedEvent["fields"],
      decision: RecordedEvent["decision"],
    ): RecordedEvent => ({
      case_id,
      time: "2026-11-24T09:00:00Z",
      fields,
      decision,
    });
    expect(
      replayRule(
        draft,
        [
          event("C-22222", shell(1), "approved"),
          event("C-33333", shell(2), "approved"),
          event("C-44444", { ...shell(3), "k8s.ns.name": "dev" }, "dismissed"),
          event("C-55555", shell(4), "open"),
          event("C-66666", { "proc.name": "bash" }, "open"),
        ],
        stable,
      ),
    ).toEqual({
      hits: { approved: ["C-22222", "C-33333"], dismissed: [], open: ["C-55555"] },
      perDay: 3,
      unreplayable: [{ case_id: "C-66666", missing: ["container.image.repository", "k8s.ns.name"] }],
    });
  });
});
