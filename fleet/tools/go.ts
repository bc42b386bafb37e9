import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exec } from "./exec.js";

export interface GoBuild {
  /** `module@version`, as the module proxy serves it. */
  module: string;
  /** The main package, relative to the module's root: `.` or `./cmd/…`. */
  main: string;
  /** Where the binary goes. */
  output: string;
  /** Modules to require at other versions before building (`go get`), e.g. a sibling module. */
  get?: readonly string[];
  /** Module path prefixes missing from the checksum database (pseudo-versions it never saw). */
  noSumDb?: string;
  /** cgo on or off; off by default, for a static binary. */
  cgo?: boolean;
}

/**
 * Builds a binary from its Go module's own source, as released: the module is downloaded, copied
 * out of the read-only module cache and built in place with its own go.mod, so a `replace` directive
 * (which `go install pkg@version` refuses) and the module's exact dependency versions are honoured.
 * Returns the module's folder in the module cache, for files the tool reads beside its binary.
 */
export function goBuild(build: GoBuild): string {
  const env = {
    ...process.env,
    CGO_ENABLED: build.cgo ? "1" : "0",
    // A module cache that is read-only cannot be cleaned; and the copy must be writable.
    GOFLAGS: `${process.env.GOFLAGS ?? ""} -modcacherw`.trim(),
    ...(build.noSumDb ? { GONOSUMDB: build.noSumDb } : {}),
  };
  const work = mkdtempSync(join(tmpdir(), "soc-go-build-"));
  const go = (args: string[], cwd: string): string => exec("go", args, { cwd, env });
  try {
    go(["mod", "init", "soc-fleet/go-build"], work);
    const downloaded = JSON.parse(go(["mod", "download", "-json", build.module], work)) as {
      Dir?: string;
      Error?: string;
    };
    if (!downloaded.Dir) throw new Error(`go mod download ${build.module}: ${downloaded.Error ?? "no Dir"}`);
    const src = join(work, "src");
    cpSync(downloaded.Dir, src, { recursive: true });
    // A module downloaded earlier without -modcacherw is read-only, and so would be its copy.
    exec("chmod", ["-R", "u+w", src]);
    for (const module of build.get ?? []) go(["get", module], src);
    // -mod=mod: a module's zip carries no vendor/ folder even where its go.mod would use one.
    go(["build", "-mod=mod", "-trimpath", "-o", build.output, build.main], src);
    return downloaded.Dir;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
