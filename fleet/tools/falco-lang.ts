import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "../helm.js";
import { exec } from "./exec.js";
import { install, quiet, type CachedTool, type Log } from "./cache.js";

/** The Falco project's rules tooling and rulesets, as source snapshots beside the checkout. */
export const falcoVendor = join(repoRoot, "..", "shared", "vendor");

/** The falco-lsp commit of the snapshot (../shared/vendor/README.md). */
export const FALCO_LSP_COMMIT = "aa8c17510b13";

/** `falco-lang`, the Falco project's rules validator, built from the falco-lsp snapshot. */
export const falcoLang: CachedTool = {
  entry: `falco-lang-${FALCO_LSP_COMMIT}`,
  holds: ["falco-lang"],
  building: "building falco-lang from the falco-lsp source in ../shared/vendor (first run only, seconds)…",
  build(dir) {
    // Built in a copy: the snapshot is read-only to us, and go writes beside the module.
    const src = mkdtempSync(join(tmpdir(), "soc-falco-lsp-"));
    try {
      cpSync(join(falcoVendor, "falco-lsp"), src, { recursive: true });
      exec("go", ["build", "-trimpath", "-o", join(dir, "falco-lang"), "./cmd/falco-lang"], {
        cwd: src,
        env: { ...process.env, CGO_ENABLED: "0", GOFLAGS: `${process.env.GOFLAGS ?? ""} -modcacherw`.trim() },
      });
    } finally {
      rmSync(src, { recursive: true, force: true });
    }
  },
};

/** The falco-lang binary: SOC_FALCO_LANG_BIN, else the cached build. */
export function falcoLangBinary(log: Log = quiet): string {
  return process.env.SOC_FALCO_LANG_BIN ?? join(install(falcoLang, log), "falco-lang");
}
