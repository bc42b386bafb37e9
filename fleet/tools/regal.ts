import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { install, quiet, type CachedTool, type Log } from "./cache.js";
import { goBuild } from "./go.js";

export const REGAL_VERSION = "v0.35.1";

/** Regal, the Rego linter the policies are held to. */
export const regal: CachedTool = {
  entry: `regal-${REGAL_VERSION}`,
  holds: ["regal"],
  building: `building Regal ${REGAL_VERSION} from its Go module (first run only, about a minute)…`,
  build(dir) {
    goBuild({ module: `github.com/styrainc/regal@${REGAL_VERSION}`, main: ".", output: join(dir, "regal") });
  },
};

/** The Regal binary: SOC_REGAL_BIN, else the cached build. */
export function regalBinary(log: Log = quiet): string {
  return process.env.SOC_REGAL_BIN ?? join(install(regal, log), "regal");
}

/** One finding of `regal lint --format json`. */
export interface RegalViolation {
  title: string;
  description: string;
  category: string;
  level: string;
  location: { file: string; row: number; col: number };
}

export interface RegalReport {
  violations: RegalViolation[];
  summary: { files_scanned: number; files_failed: number; rules_skipped: number; num_violations: number };
}

/**
 * Lints `dir` with Regal and returns its JSON report. Regal exits 3 when it finds violations,
 * which is an answer here, not a failure; any other non-zero status is.
 */
export function regalLint(dir: string, cwd: string, binary = regalBinary()): RegalReport {
  const run = spawnSync(binary, ["lint", "--format", "json", dir], { cwd, encoding: "utf8" });
  if (run.error) throw run.error;
  if (run.status !== 0 && run.status !== 3) {
    throw new Error(`regal lint exited ${String(run.status)}: ${run.stderr}`);
  }
  const report = JSON.parse(run.stdout) as Partial<RegalReport>;
  return { violations: report.violations ?? [], summary: report.summary ?? emptySummary };
}

const emptySummary = { files_scanned: 0, files_failed: 0, rules_skipped: 0, num_violations: 0 };

/** Formats violations as `file:row:col level title: description`, one a line, for test failures. */
export function describeViolations(violations: readonly RegalViolation[]): string[] {
  return violations.map(
    (v) => `${v.location.file}:${v.location.row}:${v.location.col} ${v.level} ${v.title}: ${v.description}`,
  );
}
