import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { installBinary, toolCache } from "./tools.js";

export const KYVERNO_VERSION = "v1.19.1";

/**
 * The Kyverno CLI (`kubectl-kyverno`): SOC_KYVERNO_BIN, else the cached build, else built now from
 * its Go module (about five and a half minutes and a 400 MB binary, first time only). `go install`
 * refuses the module (its go.mod has a `replace`), so the module is downloaded, copied and built
 * in place.
 */
export function kyvernoBinary(log: (line: string) => void = () => undefined): string {
  if (process.env.SOC_KYVERNO_BIN) return process.env.SOC_KYVERNO_BIN;
  const cached = join(toolCache, `kubectl-kyverno-${KYVERNO_VERSION}`);
  if (existsSync(cached)) return cached;
  log(`building the Kyverno CLI ${KYVERNO_VERSION} from its Go module (first run only, about six minutes)…`);
  mkdirSync(toolCache, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), "soc-kyverno-"));
  // The module cache is read-only unless -modcacherw; keep it writable so it can be cleaned.
  const env = { ...process.env, GOFLAGS: `${process.env.GOFLAGS ?? ""} -modcacherw`.trim() };
  try {
    const module = JSON.parse(
      execFileSync("go", ["mod", "download", "-json", `github.com/kyverno/kyverno@${KYVERNO_VERSION}`], {
        cwd: work,
        env,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "inherit"],
      }),
    ) as { Dir?: string; Error?: string };
    if (!module.Dir)
      throw new Error(`go mod download kyverno ${KYVERNO_VERSION}: ${module.Error ?? "no Dir"}`);
    const src = join(work, "src");
    cpSync(module.Dir, src, { recursive: true });
    // A module downloaded earlier without -modcacherw is read-only, and so would be its copy.
    execFileSync("chmod", ["-R", "u+w", src]);
    const built = join(work, "kubectl-kyverno");
    execFileSync("go", ["build", "-o", built, "./cmd/cli/kubectl-kyverno"], {
      cwd: src,
      env,
      stdio: ["ignore", "ignore", "inherit"],
    });
    installBinary(built, cached);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return cached;
}
