import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { toolCache } from "./tools.js";

export const REGAL_VERSION = "v0.35.1";

/**
 * The Regal linter: SOC_REGAL_BIN, else the cached build, else built now from its Go module
 * (about a minute, first time only). `go install` cannot be used: the module proxy refuses
 * Regal's version list, so it is fetched with `go get` into a throwaway module and built there.
 */
export function regalBinary(log: (line: string) => void = () => undefined): string {
  if (process.env.SOC_REGAL_BIN) return process.env.SOC_REGAL_BIN;
  const cached = join(toolCache, `regal-${REGAL_VERSION}`);
  if (existsSync(cached)) return cached;
  log(`building Regal ${REGAL_VERSION} from its Go module (first run only, about a minute)…`);
  mkdirSync(toolCache, { recursive: true });
  const module = mkdtempSync(join(tmpdir(), "soc-regal-"));
  const go = (...args: string[]) =>
    execFileSync("go", args, {
      cwd: module,
      env: { ...process.env, CGO_ENABLED: "0", GOFLAGS: "-mod=mod" },
      stdio: ["ignore", "ignore", "inherit"],
    });
  try {
    go("mod", "init", "soc-fleet/regal-build");
    go("get", `github.com/styrainc/regal@${REGAL_VERSION}`);
    // Built beside the cache entry, then renamed: readers never see half a binary.
    go("build", "-trimpath", "-o", `${cached}.partial`, "github.com/styrainc/regal");
    chmodSync(`${cached}.partial`, 0o755);
    renameSync(`${cached}.partial`, cached);
  } finally {
    rmSync(module, { recursive: true, force: true });
  }
  return cached;
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
