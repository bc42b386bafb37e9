import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
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
  /** `-ldflags` for the build (`-s -w`, `-X pkg.name=value`); none by default. */
  ldflags?: string;
  /**
   * Edits the writable copy of the module before the build (go.mod rewrites, files to drop), for a
   * module that does not build as released; `go` runs in the copy with the build's environment.
   */
  prepare?: (src: string, go: (args: string[]) => string) => void;
}

/** The environment of every Go build: cgo as asked, and a module cache that stays writable. */
function goEnv(cgo = false, noSumDb?: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    CGO_ENABLED: cgo ? "1" : "0",
    // A module cache that is read-only cannot be cleaned; and the copy must be writable.
    GOFLAGS: `${process.env.GOFLAGS ?? ""} -modcacherw`.trim(),
    ...(noSumDb ? { GONOSUMDB: noSumDb } : {}),
  };
}

/**
 * Builds a binary from its Go module's own source, as released: the module is downloaded, copied
 * out of the read-only module cache and built in place with its own go.mod, so a `replace` directive
 * (which `go install pkg@version` refuses) and the module's exact dependency versions are honoured.
 * Returns the module's folder in the module cache, for files the tool reads beside its binary.
 */
export function goBuild(build: GoBuild): string {
  const env = goEnv(build.cgo, build.noSumDb);
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
    build.prepare?.(src, (args) => go(args, src));
    const ldflags = build.ldflags === undefined ? [] : [`-ldflags=${build.ldflags}`];
    // -mod=mod: a module's zip carries no vendor/ folder even where its go.mod would use one.
    go(["build", "-mod=mod", "-trimpath", ...ldflags, "-o", build.output, build.main], src);
    return downloaded.Dir;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export interface GoWrapperBuild {
  /** `module@version` whose package the wrapper's main calls. */
  module: string;
  /** The wrapper's `main.go`: a `package main` that imports a package of `module`. */
  main: string;
  /** Where the binary goes. */
  output: string;
  /** cgo on or off; off by default, for a static binary. */
  cgo?: boolean;
}

/**
 * Builds a binary from a throwaway module whose one file calls into `module`, for a tool whose own
 * main package cannot be built as a dependency (its go.mod's `replace` directives point into its
 * repository); the wrapper resolves the tool's sibling modules at their released versions instead.
 */
export function goBuildWrapper(build: GoWrapperBuild): void {
  const env = goEnv(build.cgo);
  const work = mkdtempSync(join(tmpdir(), "soc-go-wrapper-"));
  const go = (args: string[]): string => exec("go", args, { cwd: work, env });
  try {
    go(["mod", "init", "soc-fleet/go-wrapper"]);
    writeFileSync(join(work, "main.go"), build.main);
    go(["get", build.module]);
    go(["build", "-mod=mod", "-trimpath", "-ldflags=-s -w", "-o", build.output, "."]);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
