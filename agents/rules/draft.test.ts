import { describe, expect, it } from "vitest";
import { FalcoEvent } from "../../contracts/falco.js";
import type { RecordedEvent } from "../../contracts/rules.js";
import { draft, type Draft, type DraftRequest } from "./draft.js";
import { replayFile } from "./replay-file.js";
import { RuleSet } from "./ruleset.js";

const rulesFile = `
- macro: open_read
  condition: evt.type in (open, openat, openat2) and evt.is_open_read=true
- rule: Read sensitive file untrusted
  condition: open_read and fd.name startswith /etc/shadow
  output: Sensitive file opened (file=%fd.name proc=%proc.name image=%container.image.repository)
  priority: WARNING
  tags: [filesystem, mitre_credential_access]
`;
const rules = () => new RuleSet().load(rulesFile);

/** A nightly backup reading /etc/shadow; `image` and `proc` make it another workload. */
const fields = (night: number, image = "ghcr.io/acme/backup", proc = "restic"): RecordedEvent["fields"] => ({
  "fd.name": "/etc/shadow",
  "container.image.repository": image,
  "k8s.ns.name": "ops",
  "proc.name": proc,
  "proc.pname": "sh",
  "proc.cmdline": `${proc} backup --tag night-${String(night)} /etc`,
});
const recorded = (
  case_id: string,
  night: number,
  decision: RecordedEvent["decision"],
  f = fields(night),
): RecordedEvent => ({ case_id, time: `2026-11-${String(10 + night)}T03:00:00Z`, fields: f, decision });
const request = (over: Partial<DraftRequest>): DraftRequest => ({
  case_id: "C-33333",
  trigger: "dismissed",
  event: FalcoEvent.parse({
    time: "2026-11-12T03:00:00Z",
    rule: "Read sensitive file untrusted",
    priority: "Warning",
    output_fields: fields(2),
  }),
  finding: null,
  history: [],
  ...over,
});

function drafted(result: Draft | string): Draft {
  if (typeof result === "string") throw new Error(`no draft: ${result}`);
  return result;
}

describe("drafting from a case", () => {
  it("waits for a second dismissal of the workload before drafting an exception by itself", () => {
    const once = draft(
      request({ case_id: "C-22222", history: [recorded("C-22222", 1, "dismissed")] }),
      rules(),
    );
    expect(once).toBe("1 dismissed case(s) of this workload: an exception is drafted from 2");
    // Someone asking needs one.
    expect(
      draft(
        request({ case_id: "C-22222", trigger: "asked", history: [recorded("C-22222", 1, "dismissed")] }),
        rules(),
      ),
    ).toMatchObject({ kind: "exception", cases: ["C-22222"] });
  });

  it("drafts an exception from the dismissed cases of the workload, replayed on every recorded event of the rule", () => {
    const history = [
      recorded("C-22222", 1, "dismissed"),
      recorded("C-33333", 2, "dismissed"),
      // Another workload of the rule, dismissed too: not this exception's business.
      recorded("C-44444", 3, "dismissed", fields(3, "nginx", "cat")),
      // The same workload running a command analysts dismissed, yet approved: the exception would
      // hide it, and says so.
      recorded("C-55555", 4, "approved", fields(1)),
      recorded("C-66666", 5, "open", fields(5, "ghcr.io/acme/backup", "cat")),
    ];
    const result = drafted(draft(request({ history }), rules()));
    expect(result).toMatchObject({
      kind: "exception",
      rule: { name: "Read sensitive file untrusted", priority: "WARNING" },
      cases: ["C-22222", "C-33333"],
      replay: {
        events: 5,
        dismissed: 2,
        spared_dismissed: 2,
        spared_approved: ["C-55555"],
        spared_open: [],
        hits: ["C-22222", "C-33333", "C-55555"],
        unreplayable: 0,
      },
    });
    expect(result.id).toMatch(/^soc_dismissed_[0-9a-f]{8}$/);
    expect(result.yaml).toContain("append: true");
    // The commands dismissed are pinned; the open case's other command is not spared.
    expect(result.yaml).toContain("night-1");
    expect(result.yaml).not.toContain("night-5");
  });

  it("drafts a louder rule from an approved case, at the analysis's priority and with its technique", () => {
    const history = [
      recorded("C-22222", 1, "dismissed", fields(1, "nginx", "cat")),
      recorded("C-33333", 2, "approved"),
    ];
    const result = drafted(
      draft(
        request({ trigger: "approved", history, finding: { severity: "critical", technique: "T1003.008" } }),
        rules(),
      ),
    );
    expect(result).toMatchObject({
      kind: "rule",
      rule: { name: "Read sensitive file untrusted", priority: "CRITICAL" },
      cases: ["C-33333"],
      replay: { approved: 1, matched_approved: 1, hits: ["C-33333"] },
    });
    expect(result.id).toMatch(/^soc_raised_[0-9a-f]{8}$/);
    expect(result.yaml).toContain("T1003.008");
  });

  it("says why it drafts nothing: an undecided case, a rule it does not know, no analysis to rank by", () => {
    expect(draft(request({ trigger: "asked", history: [recorded("C-33333", 2, "open")] }), rules())).toMatch(
      /is not decided/,
    );
    const unknown = request({});
    unknown.event = { ...unknown.event, rule: "Made up" };
    expect(draft(unknown, rules())).toMatch(/not in the rulesets/);
    expect(
      draft(request({ trigger: "approved", history: [recorded("C-33333", 2, "approved")] }), rules()),
    ).toMatch(/did not classify/);
  });
});

describe("replaying a rules file on falcosidekick's JSON lines", () => {
  const line = (night: number, f: RecordedEvent["fields"], rule = "Read sensitive file untrusted") =>
    JSON.stringify({
      time: `2026-11-${String(10 + night)}T03:00:00Z`,
      rule,
      priority: "Warning",
      output_fields: f,
    });

  it("counts what an exception spares and a drafted rule matches, and refuses what is not an event", () => {
    const history = [recorded("C-22222", 1, "dismissed"), recorded("C-33333", 2, "dismissed")];
    const exception = drafted(draft(request({ history }), rules()));
    const raised = drafted(
      draft(
        request({
          trigger: "approved",
          history: [recorded("C-33333", 2, "approved")],
          finding: { severity: "high", technique: null },
        }),
        rules(),
      ),
    );
    const events = [
      line(1, fields(1)),
      line(2, fields(2)),
      line(3, fields(3, "nginx", "cat")),
      line(4, { "fd.name": "/etc/shadow" }),
      line(5, fields(5), "Terminal shell in container"),
      "not json",
    ].join("\n");
    const result = replayFile(`${exception.yaml}\n${raised.yaml}`, events, rules());
    expect(result.events).toBe(5);
    expect(result.refused).toEqual([{ line: 6, error: expect.stringContaining("JSON") as unknown }]);
    // The rule drawn from one approved event is as narrow as its command line: it matches that night only.
    expect(result.changes).toEqual([
      expect.objectContaining({
        kind: "exception",
        rule: "Read sensitive file untrusted",
        events: 4,
        hits: [1, 2],
      }),
      expect.objectContaining({
        kind: "rule",
        rule: "Read sensitive file untrusted",
        events: 4,
        hits: [2],
      }),
    ]);
    expect(result.changes[0]?.unreplayable).toBe(1);
    expect(result.changes[0]?.missing_fields).toContain("container.image.repository");
  });
});
