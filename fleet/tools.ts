import { execFileSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";

export const OPA_VERSION = "v1.22.2";

/** Where tools built from their Go modules are cached, once per machine. */
export const toolCache = join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "soc-fleet", "bin");

/**
 * Puts a built binary into the cache: copied, then renamed within the cache, as /tmp may be another
 * filesystem and a reader must never see half a file.
 */
export function installBinary(built: string, cached: string): string {
  copyFileSync(built, `${cached}.partial`);
  chmodSync(`${cached}.partial`, 0o755);
  renameSync(`${cached}.partial`, cached);
  return cached;
}

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
    installBinary(join(gobin, "opa"), cached);
  } finally {
    rmSync(gobin, { recursive: true, force: true });
  }
  return cached;
}
