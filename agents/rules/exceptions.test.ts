import { describe, expect, it } from "vitest";
import { evaluate, type Fields } from "./evaluate.js";
import { draftException, exceptionYaml, MAX_COMMANDS, replayException } from "./exceptions.js";
import type { RecordedEvent } from "./replay.js";
import { RuleSet } from "./ruleset.js";

const rulesFile = `
- macro: open_read
  condition: evt.type in (open, openat, openat2) and evt.is_open_read=true
- rule: Read sensitive file untrusted
  condition: open_read and fd.name startswith /etc/shadow
  output: Sensitive file opened (file=%fd.name proc=%proc.name)
  priority: WARNING
`;

/** A nightly backup reading /etc/shadow: the same image and program each night, another command line. */
const backup = (night: number): RecordedEvent["fields"] => ({
  "evt.type": "openat",
  "evt.is_open_read": "true",
  "fd.name": "/etc/shadow",
  "container.image.repository": "ghcr.io/acme/backup",
  "k8s.ns.name": "ops",
  "proc.name": "restic",
  "proc.pname": "sh",
  "proc.cmdline": `restic backup --tag night-${String(night)} /etc`,
});

describe("exceptions drafted from dismissed cases", () => {
  it("describes the shape every dismissed event shares, and pins each command line it ran", () => {
    const drafted = draftException("Read sensitive file untrusted", [backup(1), backup(2), backup(3)]);
    expect(drafted?.name).toMatch(/^soc_dismissed_[0-9a-f]{8}$/);
    const shape = ["ghcr.io/acme/backup", "ops", "restic", "sh", "/etc/shadow"];
    expect(drafted).toEqual({
      name: drafted?.name,
      fields: [
        "container.image.repository",
        "k8s.ns.name",
        "proc.name",
        "proc.pname",
        "fd.name",
        "proc.cmdline",
      ],
      comps: ["=", "=", "=", "=", "=", "="],
      values: [1, 2, 3].map((night) => [...shape, `restic backup --tag night-${String(night)} /etc`]),
    });
    // The same draft from the same cases, in whatever order they are given.
    expect(draftException("Read sensitive file untrusted", [backup(3), backup(1), backup(2)])?.name).toBe(
      drafted?.name,
    );
  });

  it("lists no command line when every dismissed event ran the same one, and drafts nothing for too many", () => {
    const same = draftException("Read sensitive file untrusted", [backup(1), backup(1)]);
    expect(same?.values).toEqual([
      ["ghcr.io/acme/backup", "ops", "restic", "sh", "/etc/shadow", backup(1)["proc.cmdline"]],
    ]);
    const nights = Array.from({ length: MAX_COMMANDS + 1 }, (_, night) => backup(night));
    expect(draftException("Read sensitive file untrusted", nights)).toBeNull();
    expect(draftException("Read sensitive file untrusted", nights.slice(1))?.values).toHaveLength(
      MAX_COMMANDS,
    );
  });

  it("drafts nothing for dismissals that share no shape", () => {
    const other = { ...backup(1), "container.image.repository": "nginx", "k8s.ns.name": "web" };
    const unlike = {
      ...other,
      "proc.name": "cat",
      "proc.pname": "bash",
      "fd.name": "/etc/shadow-",
      "proc.cmdline": "cat /etc/shadow-",
    };
    expect(draftException("Read sensitive file untrusted", [backup(1), unlike])).toBeNull();
    expect(draftException("Read sensitive file untrusted", [])).toBeNull();
  });

  it("is a rules-file item Falco's loader appends to the rule: the rule then spares the shape, and only it", () => {
    const drafted = draftException("Read sensitive file untrusted", [backup(1), backup(2)]);
    if (!drafted) throw new Error("no draft");
    const yaml = exceptionYaml("Read sensitive file untrusted", drafted);
    expect(yaml).toContain("append: true");
    const rules = new RuleSet().load(rulesFile).load(yaml, "soc_rules.yaml");
    const rule = rules.rules.get("Read sensitive file untrusted");
    expect(rule?.exceptions).toEqual([drafted]);
    const fires = (fields: Fields) => rule && evaluate(rule.condition, fields, rules).matches;
    expect(fires(backup(1))).toBe(false);
    expect(fires(backup(2))).toBe(false);
    // What was never dismissed still fires: another command of the same program, another program.
    expect(fires(backup(9))).toBe(true);
    expect(fires({ ...backup(1), "proc.name": "cat" })).toBe(true);
    expect(fires({ ...backup(1), "container.image.repository": "ghcr.io/acme/backup-evil" })).toBe(true);
  });

  it("replays on the recorded events: covers the dismissed, names any approved or open case it would hide, and what it could not tell", () => {
    const drafted = draftException("Read sensitive file untrusted", [backup(1), backup(2)]);
    if (!drafted) throw new Error("no draft");
    const rules = new RuleSet().load(rulesFile);
    const event = (
      case_id: string,
      day: number,
      fields: RecordedEvent["fields"],
      decision: RecordedEvent["decision"],
    ) => ({
      case_id,
      time: `2026-11-${String(20 + day)}T03:00:00Z`,
      fields,
      decision,
    });
    const replay = replayException(
      drafted,
      [
        event("C-22222", 0, backup(1), "dismissed"),
        event("C-33333", 1, backup(2), "dismissed"),
        event("C-44444", 2, { ...backup(3), "proc.name": "cat" }, "approved"),
        event("C-55555", 3, backup(2), "open"),
        event("C-66666", 4, { "fd.name": "/etc/shadow", "proc.name": "restic" }, "open"),
      ],
      rules,
    );
    expect(replay).toEqual({
      coversDismissed: true,
      hits: { dismissed: ["C-22222", "C-33333"], approved: [], open: ["C-55555"] },
      perDay: 0.75,
      unreplayable: [
        {
          case_id: "C-66666",
          missing: ["container.image.repository", "k8s.ns.name", "proc.cmdline", "proc.pname"],
        },
      ],
    });
    const approvedToo = replayException(drafted, [event("C-44444", 0, backup(1), "approved")], rules);
    expect(approvedToo.hits.approved).toEqual(["C-44444"]);
    expect(approvedToo.coversDismissed).toBe(true);
  });
});
