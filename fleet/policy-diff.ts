import { bundleIgnoreArgs } from "../agents/policy-engine/bundle.js";
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { outcomes, PolicyDecision, type Outcome } from "../contracts/policy.js";
import type { DecisionRecord } from "../agents/policy-engine/decision-log.js";
import {
  PolicyExplanation,
  PolicyUnavailable,
  entrypoints,
  failsafeDecision,
  parseAnswer,
} from "../agents/policy-engine/evaluator.js";
import { policiesDir } from "../agents/policy-engine/server.js";
import { WasmPolicy } from "../agents/policy-engine/wasm.js";
import { opaBinary } from "./tools/opa.js";

/**
 * `soc policy diff`: replays the recorded policy inputs of the last N decisions against the
 * current bundle and a proposed one and reports what would change.
 *
 * "Before" is the current bundle (the repo's `policies/` unless told otherwise) evaluated again,
 * not the outcome recorded in the log: a recorded outcome may come from an older revision or be a
 * fail-safe escalation (OPA down), so comparing against it would report flips the proposed change
 * did not cause. Re-evaluating both bundles over the same inputs makes "before" reproducible and
 * every flip attributable to the change. The recorded outcomes are still counted, with how many
 * differ from the re-evaluated "before", so a drift between the log and the repo is visible.
 *
 * Both bundles are loaded exactly as the policy engine loads one (`WasmPolicy`: `opa build` to
 * Wasm, a `.manifest` revision, every entrypoint the engine asks for, the empty-input probe): a
 * bundle the engine would refuse is refused here, with OPA's message, so a pipeline stops before
 * shipping it. An input the policy cannot answer becomes the engine's fail-safe escalation.
 */

/** One rule that fired, as `data.soc.verdict.explanation.fired` lists it. */
export type FiredRule = PolicyExplanation["fired"][number];

/** What one bundle gave over the replayed inputs. */
export interface SideSummary {
  bundle: string;
  revision: string;
  counts: Record<Outcome, number>;
}

/** One decision whose outcome differs between the current and the proposed bundle. */
export interface Flip {
  case_id: string;
  trace_id: string | null;
  time: string;
  /** The outcome written to the log when the decision was made, with the revision it was made with. */
  recorded: { outcome: Outcome; policy_version: string };
  before: { outcome: Outcome; reasons: string[] };
  after: {
    outcome: Outcome;
    reasons: string[];
    /** Every rule that fired under the proposed bundle (`data.soc.verdict.explanation`), null if it has no answer. */
    fired: FiredRule[] | null;
  };
}

/** The result of a diff; plain JSON (what `--json` prints). */
export interface DiffReport {
  decision_log: string;
  /** Decisions asked for (`--last`). */
  last: number;
  /** Decisions replayed: the last `last` lines of the log that hold a recorded input. */
  replayed: number;
  /** Lines among the last `last` that could not be replayed (not JSON, or no input), by 1-based line number. */
  skipped: { line: number; error: string }[];
  recorded: { counts: Record<Outcome, number>; differs_from_before: number };
  before: SideSummary;
  after: SideSummary;
  /** Decisions whose outcome stays the same but whose reasons change. */
  reasons_changed: number;
  flips: Flip[];
}

export interface DiffOptions {
  /** The proposed bundle directory (with its `.manifest`). */
  bundleDir: string;
  /** Path of `decisions.jsonl`. */
  decisionLog: string;
  /** How many of the most recent decisions to replay; 1000 by default. */
  last?: number;
  /** The OPA binary; `opaBinary()` by default. */
  opaBin?: string;
  /** The bundle in force; the repo's `policies/` by default. */
  currentDir?: string;
}

/** Why a diff could not be made: bad arguments, an unreadable log or a refused bundle (exit 2). */
export class PolicyDiffError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "PolicyDiffError";
  }
}

export const DEFAULT_LAST = 1000;

export async function policyDiff(options: DiffOptions): Promise<DiffReport> {
  const last = options.last ?? DEFAULT_LAST;
  if (!Number.isInteger(last) || last < 1) {
    throw new PolicyDiffError(`--last must be a positive integer, not ${last}`);
  }
  const { records, skipped } = readLast(options.decisionLog, last);
  const opa = options.opaBin ?? opaBinary();
  const currentDir = resolve(options.currentDir ?? policiesDir());
  const proposedDir = resolve(options.bundleDir);
  const [current, proposed] = await Promise.all([
    load(opa, currentDir, "current"),
    load(opa, proposedDir, "proposed"),
  ]);

  const recordedCounts = zeroCounts();
  const beforeCounts = zeroCounts();
  const afterCounts = zeroCounts();
  let differsFromBefore = 0;
  let reasonsChanged = 0;
  const flips: Flip[] = [];
  for (const record of records) {
    const before = await decide(current.policy, record.input);
    const after = await decide(proposed.policy, record.input);
    if (record.outcome in recordedCounts) recordedCounts[record.outcome] += 1;
    beforeCounts[before.outcome] += 1;
    afterCounts[after.outcome] += 1;
    if (record.outcome !== before.outcome) differsFromBefore += 1;
    if (before.outcome === after.outcome) {
      if (JSON.stringify(before.reasons) !== JSON.stringify(after.reasons)) reasonsChanged += 1;
      continue;
    }
    flips.push({
      case_id: record.case_id,
      trace_id: record.trace_id ?? null,
      time: record.time,
      recorded: { outcome: record.outcome, policy_version: record.policy_version },
      before: { outcome: before.outcome, reasons: before.reasons },
      after: {
        outcome: after.outcome,
        reasons: after.reasons,
        fired: await explain(proposed.policy, record.input),
      },
    });
  }
  return {
    decision_log: resolve(options.decisionLog),
    last,
    replayed: records.length,
    skipped,
    recorded: { counts: recordedCounts, differs_from_before: differsFromBefore },
    before: { bundle: currentDir, revision: current.revision, counts: beforeCounts },
    after: { bundle: proposedDir, revision: proposed.revision, counts: afterCounts },
    reasons_changed: reasonsChanged,
    flips,
  };
}

/**
 * The CLI's exit status for a report: 0 when no verdict flips, 1 when some do. (2, for a usage
 * error, an unreadable log or a refused bundle, is `policyCommand`'s.)
 */
export function exitStatus(report: DiffReport): 0 | 1 {
  return report.flips.length === 0 ? 0 : 1;
}

export function renderDiff(report: DiffReport): string {
  const lines: string[] = [];
  lines.push(
    `replayed ${report.replayed} decision(s) of the last ${report.last} in ${report.decision_log}` +
      (report.skipped.length > 0 ? ` (${report.skipped.length} line(s) skipped)` : ""),
  );
  lines.push(`current  ${report.before.revision}  ${report.before.bundle}`);
  lines.push(`proposed ${report.after.revision}  ${report.after.bundle}`);
  lines.push("");
  const width = Math.max(...outcomes.map((o) => o.length));
  lines.push(
    `${"outcome".padEnd(width)}  ${"recorded".padStart(8)}  ${"before".padStart(8)}  ${"after".padStart(8)}  change`,
  );
  for (const outcome of outcomes) {
    const change = report.after.counts[outcome] - report.before.counts[outcome];
    lines.push(
      `${outcome.padEnd(width)}  ${String(report.recorded.counts[outcome]).padStart(8)}  ` +
        `${String(report.before.counts[outcome]).padStart(8)}  ${String(report.after.counts[outcome]).padStart(8)}  ` +
        (change > 0 ? `+${change}` : String(change)),
    );
  }
  if (report.recorded.differs_from_before > 0) {
    lines.push(
      `note: ${report.recorded.differs_from_before} recorded outcome(s) differ from the current bundle ` +
        "(older revision or fail-safe escalation); before/after both use the bundles as they are now",
    );
  }
  if (report.reasons_changed > 0) {
    lines.push(`${report.reasons_changed} decision(s) keep their outcome with different reasons`);
  }
  lines.push("");
  if (report.flips.length === 0) {
    lines.push("no verdict flips");
    return lines.join("\n");
  }
  lines.push(`${report.flips.length} verdict flip(s):`);
  for (const flip of report.flips) {
    lines.push(
      `  ${flip.case_id}  trace ${flip.trace_id ?? "-"}  ${flip.before.outcome} → ${flip.after.outcome}  (${flip.time})`,
    );
    if (flip.after.fired) {
      for (const rule of flip.after.fired) {
        const lost = rule.outcome === flip.after.outcome ? "" : ", lost on precedence";
        lines.push(`      ${rule.rule} [${rule.outcome}${lost}]: ${rule.reason}`);
      }
    } else {
      for (const reason of flip.after.reasons) lines.push(`      ${reason}`);
    }
  }
  return lines.join("\n");
}

const usage =
  "usage: soc policy diff <bundle-dir> [--last N] [--log decisions.jsonl] [--current bundle-dir] [--json]";

interface Output {
  write(text: string): unknown;
}

/**
 * `soc policy …`, given the arguments after `policy`. Exit status, for a GitOps pipeline:
 *   0  no verdict flips (the proposed bundle decides every replayed case as the current one does)
 *   1  some verdict flips (listed; with `--json`, the report on stdout)
 *   2  usage error, unreadable decision log, or a bundle that fails to compile or load (OPA's
 *      message on stderr)
 * The log is `--log`, else `$SOC_HOME/data/decisions.jsonl` (SOC_HOME defaults to `./.soc`).
 */
export async function policyCommand(
  argv: string[],
  out: Output = process.stdout,
  err: Output = process.stderr,
): Promise<number> {
  const [verb, bundleDir, ...rest] = argv;
  const values = new Map<string, string>();
  let json = false;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i] ?? "";
    if (arg === "--json") {
      json = true;
    } else if (["--last", "--log", "--current"].includes(arg) && rest[i + 1] !== undefined) {
      values.set(arg, rest[i + 1] ?? "");
      i++;
    } else {
      err.write(`unknown argument ${arg}\n${usage}\n`);
      return 2;
    }
  }
  const last = values.has("--last") ? Number(values.get("--last")) : DEFAULT_LAST;
  if (verb !== "diff" || !bundleDir || bundleDir.startsWith("--") || !Number.isInteger(last) || last < 1) {
    err.write(`${usage}\n`);
    return 2;
  }
  const decisionLog =
    values.get("--log") ?? join(resolve(process.env.SOC_HOME ?? "./.soc"), "data", "decisions.jsonl");
  try {
    const report = await policyDiff({ bundleDir, decisionLog, last, currentDir: values.get("--current") });
    out.write(`${json ? JSON.stringify(report) : renderDiff(report)}\n`);
    return exitStatus(report);
  } catch (error) {
    err.write(`soc policy diff: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
}

type Replayable = Pick<
  DecisionRecord,
  "case_id" | "trace_id" | "time" | "input" | "outcome" | "policy_version"
>;

/** The last `last` non-empty lines of the log, parsed; lines without a usable record are skipped and listed. */
function readLast(path: string, last: number): { records: Replayable[]; skipped: DiffReport["skipped"] } {
  if (!existsSync(path)) throw new PolicyDiffError(`no decision log at ${path}`);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new PolicyDiffError(`cannot read the decision log ${path}: ${String(error)}`, { cause: error });
  }
  const lines = text
    .split("\n")
    .map((line, index) => ({ line: index + 1, text: line }))
    .filter((l) => l.text.trim() !== "")
    .slice(-last);
  const records: Replayable[] = [];
  const skipped: DiffReport["skipped"] = [];
  for (const { line, text: raw } of lines) {
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      skipped.push({ line, error: "not JSON" });
      continue;
    }
    const record = value as Partial<Replayable> | null;
    if (
      record === null ||
      typeof record !== "object" ||
      record.input === undefined ||
      record.input === null
    ) {
      skipped.push({ line, error: "no recorded input" });
      continue;
    }
    records.push({
      case_id: typeof record.case_id === "string" ? record.case_id : "?",
      trace_id: typeof record.trace_id === "string" ? record.trace_id : null,
      time: typeof record.time === "string" ? record.time : "?",
      input: record.input,
      outcome: record.outcome as Outcome,
      policy_version: typeof record.policy_version === "string" ? record.policy_version : "?",
    });
  }
  return { records, skipped };
}

async function load(
  opa: string,
  dir: string,
  role: string,
): Promise<{ policy: WasmPolicy; revision: string }> {
  if (!existsSync(join(dir, ".manifest"))) {
    throw new PolicyDiffError(`the ${role} bundle ${dir} has no .manifest: not a bundle directory`);
  }
  const policy = new WasmPolicy(opa, dir);
  const result = await policy.load();
  if (result.ok) return { policy, revision: result.revision };
  const why = result.error.startsWith("opa build failed") ? await buildOutput(opa, dir) : null;
  throw new PolicyDiffError(
    `the ${role} bundle ${dir} is refused: ${why ? `opa build failed: ${why}` : result.error}`,
  );
}

/**
 * OPA's own message for a bundle that does not build. `compileBundle` reports only stderr, and
 * `opa build` 1.x prints its errors on stdout, so the same build is run again (failures only) to
 * capture both. Null if that gives nothing.
 */
async function buildOutput(opa: string, dir: string): Promise<string | null> {
  const out = await mkdtemp(join(tmpdir(), "soc-diff-build-"));
  try {
    const args = ["build", "-t", "wasm", ...Object.values(entrypoints).flatMap((e) => ["-e", e])];
    args.push(...bundleIgnoreArgs(), "-b", basename(dir), "-o", join(out, "bundle.tar.gz"));
    const text = await new Promise<string>((done) => {
      execFile(opa, args, { cwd: dirname(dir), encoding: "utf8" }, (_error, stdout, stderr) =>
        done(`${stdout}\n${stderr}`.trim()),
      );
    });
    return text === "" ? null : text;
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

/** The decision as the engine would give it: the policy's answer or the fail-safe escalation. */
async function decide(policy: WasmPolicy, input: unknown): Promise<PolicyDecision> {
  try {
    return parseAnswer(PolicyDecision, await policy.query(entrypoints.decision, input), "decision");
  } catch (error) {
    if (error instanceof PolicyUnavailable) return failsafeDecision(error);
    throw error;
  }
}

/** The rules that fired, or null when the bundle gives no well-formed explanation for this input. */
async function explain(policy: WasmPolicy, input: unknown): Promise<FiredRule[] | null> {
  try {
    return parseAnswer(PolicyExplanation, await policy.query(entrypoints.explanation, input), "explanation")
      .fired;
  } catch (error) {
    if (error instanceof PolicyUnavailable) return null;
    throw error;
  }
}

function zeroCounts(): Record<Outcome, number> {
  return { auto_execute: 0, auto_reject: 0, escalate: 0 };
}
