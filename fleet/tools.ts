import { execFileSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";

export const OPA_VERSION = "v1.22.2";

/** Where tools built from their Go modules are cached, once per machine. */
export const toolCache = join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "soc-fleet", "bin");

/**
 * The OPA binary: SOC_OPA_BIN, else the cached build, else built now from its Go module with
 * `go install` (about two minutes, first time only).
 */
export function opaBinary(log: (line: string) => void = () => undefined): string {
  if (process.env.SOC_OPA_BIN) return process.env.SOC_OPA_BIN;
  const cached = join(toolCache, `opa-${OPA_VERSION}`);
  if (existsSync(cached)) return cached;
  log(`building OPA ${OPA_VERSION} from its Go module (first run only, about two minutes)…`);
  mkdirSync(toolCache, { recursive: true });
  const gobin = mkdtempSync(join(tmpdir(), "soc-opa-"));
  try {
    execFileSync("go", ["install", `github.com/open-policy-agent/opa@${OPA_VERSION}`], {
      env: { ...process.env, GOBIN: gobin, CGO_ENABLED: "0" },
      stdio: ["ignore", "ignore", "inherit"],
    });
    // Copy, then rename within the cache: /tmp may be another filesystem, and readers never see half a file.
    copyFileSync(join(gobin, "opa"), `${cached}.partial`);
    chmodSync(`${cached}.partial`, 0o755);
    renameSync(`${cached}.partial`, cached);
  } finally {
    rmSync(gobin, { recursive: true, force: true });
  }
  return cached;
}
