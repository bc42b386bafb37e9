import { appendFileSync, cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { Outcome } from "../contracts/policy.js";
import { inputDigest, type DecisionRecord } from "../agents/policy-engine/decision-log.js";
import { policyCases } from "../agents/policy-engine/policy-cases.js";
import { policiesDir } from "../agents/policy-engine/server.js";
import { policyCommand, policyDiff, renderDiff, type DiffReport } from "./policy-diff.js";
import { opaBinary } from "./tools/opa.js";

const revision = (JSON.parse(readFileSync(join(policiesDir(), ".manifest"), "utf8")) as { revision: string })
  .revision;
let opa = "";
let log = "";

const caseId = (name: string) => `case-${policyCases.findIndex((c) => c.name === name)}`;

function record(index: number, outcome: Outcome, extra: Partial<DecisionRecord> = {}): DecisionRecord {
  const input = policyCases[index]?.input;
  return {
    time: new Date(Date.UTC(2026, 0, 1, 0, index)).toISOString(),
    trace_id: `trace-${index}`,
    case_id: `case-${index}`,
    input_digest: inputDigest(input),
    input,
    outcome,
    reasons: [],
    policy_version: revision,
    evaluator: "wasm",
    failsafe: null,
    latency_ms: 0.01,
    ...extra,
  };
}

/** A private copy of policies/ with one settings change (or none). */
function proposed(change: (settings: Record<string, unknown>) => void = () => undefined): string {
  const dir = join(mkdtempSync(join(tmpdir(), "soc-proposed-")), "policies");
  cpSync(policiesDir(), dir, { recursive: true });
  const path = join(dir, "soc", "settings", "data.json");
  const settings = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
  change(settings);
  writeFileSync(path, JSON.stringify(settings));
  return dir;
}

const counted = (outcome: Outcome) => policyCases.filter((c) => c.outcome === outcome).length;
const flipped = (report: DiffReport) =>
  report.flips.map((f) => `${f.case_id} ${f.before.outcome}→${f.after.outcome}`).sort();

beforeAll(() => {
  opa = opaBinary();
  // Every row of the shared case table, as the engine recorded it; then a line that is not JSON.
  log = join(mkdtempSync(join(tmpdir(), "soc-diff-log-")), "decisions.jsonl");
  writeFileSync(log, policyCases.map((c, i) => JSON.stringify(record(i, c.outcome))).join("\n") + "\n");
}, 180_000);

describe("policyDiff", () => {
  it("finds no flips against an unchanged copy and counts outcomes as the case table has them", async () => {
    const report = await policyDiff({ bundleDir: proposed(), decisionLog: log, opaBin: opa });
    const counts = {
      auto_execute: counted("auto_execute"),
      auto_reject: counted("auto_reject"),
      escalate: counted("escalate"),
    };
    expect(report.replayed).toBe(policyCases.length);
    expect(report.last).toBe(1000);
    expect(report.skipped).toEqual([]);
    expect(report.before).toMatchObject({ revision, counts });
    expect(report.after).toMatchObject({ revision, counts });
    expect(report.recorded).toEqual({ counts, differs_from_before: 0 });
    expect(report.flips).toEqual([]);
    expect(report.reasons_changed).toBe(0);
    expect(renderDiff(report)).toContain("no verdict flips");
    // The report is plain JSON for --json.
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  }, 60_000);

  it("a lower confidence threshold flips exactly the low-confidence case to auto_execute", async () => {
    const bundleDir = proposed((s) => {
      s.confidence_threshold = 0.5;
    });
    const report = await policyDiff({ bundleDir, decisionLog: log, opaBin: opa });
    expect(flipped(report)).toEqual([`${caseId("low confidence")} escalate→auto_execute`]);
    const [flip] = report.flips;
    expect(flip).toMatchObject({
      trace_id: `trace-${policyCases.findIndex((c) => c.name === "low confidence")}`,
      recorded: { outcome: "escalate", policy_version: revision },
      after: {
        outcome: "auto_execute",
        reasons: ["action isolate_pod allowed within limits"],
        fired: [
          {
            rule: "execute.allowed",
            outcome: "auto_execute",
            reason: "action isolate_pod allowed within limits",
          },
        ],
      },
    });
    expect(flip?.before.reasons.join(" ")).toMatch(/confidence/);
    expect(report.after.counts.escalate).toBe(report.before.counts.escalate - 1);
    expect(report.after.counts.auto_execute).toBe(report.before.counts.auto_execute + 1);
    const text = renderDiff(report);
    expect(text).toContain("1 verdict flip(s)");
    expect(text).toContain(`${caseId("low confidence")}  trace trace-`);
    expect(text).toContain("escalate → auto_execute");
    expect(text).toContain("execute.allowed [auto_execute]");
  }, 60_000);

  it("an always-escalate namespace flips exactly the auto_execute cases in it", async () => {
    const bundleDir = proposed((s) => {
      const always = s.always_escalate as { namespaces: string[] };
      always.namespaces.push("shop");
    });
    const report = await policyDiff({ bundleDir, decisionLog: log, opaBin: opa });
    const expected = policyCases
      .map((c, i) => ({ c, i }))
      .filter(({ c }) => c.outcome === "auto_execute" && c.input.action.target.namespace === "shop")
      .map(({ i }) => `case-${i} auto_execute→escalate`)
      .sort();
    expect(expected.length).toBeGreaterThan(1);
    expect(flipped(report)).toEqual(expected);
    for (const flip of report.flips) {
      expect(flip.after.fired?.map((f) => f.rule)).toContain("escalate.namespace");
    }
    // Escalations already in shop pick up one more reason without changing outcome.
    expect(report.reasons_changed).toBeGreaterThan(0);
  }, 60_000);

  it("compares against the re-evaluated current bundle, not the recorded outcome, and honours --last", async () => {
    const dir = mkdtempSync(join(tmpdir(), "soc-diff-log-"));
    const drifted = join(dir, "decisions.jsonl");
    // An older line beyond --last, a fail-safe escalation of an auto_execute case, and a broken line.
    const lines = [
      JSON.stringify(record(11, "escalate")),
      JSON.stringify(record(0, "escalate", { failsafe: "unreachable", policy_version: "unavailable" })),
      "{not json",
      JSON.stringify({ ...record(1, "auto_execute"), input: undefined }),
    ];
    writeFileSync(drifted, lines.join("\n") + "\n");
    const report = await policyDiff({ bundleDir: proposed(), decisionLog: drifted, last: 3, opaBin: opa });
    expect(report.replayed).toBe(1);
    expect(report.skipped).toEqual([
      { line: 3, error: "not JSON" },
      { line: 4, error: "no recorded input" },
    ]);
    expect(report.recorded).toEqual({
      counts: { auto_execute: 0, auto_reject: 0, escalate: 1 },
      differs_from_before: 1,
    });
    expect(report.before.counts).toEqual({ auto_execute: 1, auto_reject: 0, escalate: 0 });
    expect(report.flips).toEqual([]);
    expect(renderDiff(report)).toMatch(/1 recorded outcome\(s\) differ/);
  }, 60_000);

  it("refuses a proposed bundle that does not compile, with OPA's message", async () => {
    const bundleDir = proposed();
    appendFileSync(join(bundleDir, "soc", "verdict", "verdict.rego"), "\nthis is not rego\n");
    await expect(policyDiff({ bundleDir, decisionLog: log, opaBin: opa })).rejects.toThrow(
      /the proposed bundle .* is refused: opa build failed: .*rego_parse_error/s,
    );
  }, 60_000);

  it("refuses a missing decision log and a directory that is not a bundle", async () => {
    await expect(
      policyDiff({ bundleDir: proposed(), decisionLog: join(tmpdir(), "no-such-log.jsonl"), opaBin: opa }),
    ).rejects.toThrow(/no decision log/);
    await expect(policyDiff({ bundleDir: tmpdir(), decisionLog: log, opaBin: opa })).rejects.toThrow(
      /has no \.manifest/,
    );
  }, 60_000);
});

describe("policyCommand exit status", () => {
  const sink = () => {
    const chunks: string[] = [];
    return { chunks, write: (text: string) => chunks.push(text) };
  };

  it("0 without flips, 1 with flips (--json on stdout), 2 on usage and bundle errors", async () => {
    const out = sink();
    const err = sink();
    expect(await policyCommand(["diff", proposed(), "--log", log], out, err)).toBe(0);
    expect(out.chunks.join("")).toContain("no verdict flips");

    const lowered = proposed((s) => {
      s.confidence_threshold = 0.5;
    });
    const json = sink();
    expect(await policyCommand(["diff", lowered, "--log", log, "--json", "--last", "50"], json, err)).toBe(1);
    const report = JSON.parse(json.chunks.join("")) as DiffReport;
    expect(report.flips).toHaveLength(1);
    expect(report.last).toBe(50);

    expect(await policyCommand(["diff"], out, err)).toBe(2);
    expect(await policyCommand(["diff", lowered, "--last", "0"], out, err)).toBe(2);
    expect(await policyCommand(["diff", lowered, "--bogus"], out, err)).toBe(2);
    expect(await policyCommand(["show", lowered], out, err)).toBe(2);

    const broken = proposed();
    appendFileSync(join(broken, "soc", "verdict", "verdict.rego"), "\nthis is not rego\n");
    const brokenErr = sink();
    expect(await policyCommand(["diff", broken, "--log", log], out, brokenErr)).toBe(2);
    expect(brokenErr.chunks.join("")).toMatch(/opa build failed: .*rego_parse_error/s);
  }, 120_000);
});
