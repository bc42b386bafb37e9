import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { install, quiet, toolCacheDir, type CachedTool, type Log } from "./cache.js";
import { exec } from "./exec.js";

/**
 * A Python virtual environment with one requirements file installed, keyed by the file's content,
 * not its name. It is made beside its entry and renamed into place: a venv run through bin/python
 * survives the move (its prefix comes from pyvenv.cfg next to the interpreter, not from the path it
 * was made at).
 */
export function pythonVenv(requirements: string): CachedTool {
  const hash = createHash("sha256").update(readFileSync(requirements)).digest("hex").slice(0, 16);
  return {
    entry: `venv-${hash}`,
    holds: ["bin/python", "pyvenv.cfg"],
    building: `creating a Python environment for ${requirements} (first use only; pip installs it, about a minute)…`,
    build(dir, log) {
      exec("python3", ["-m", "venv", dir]);
      const pip = exec(join(dir, "bin", "python"), [
        "-m",
        "pip",
        "install",
        "--disable-pip-version-check",
        "-q",
        "-r",
        requirements,
      ]);
      for (const line of pip.split("\n").filter(Boolean)) log(line);
    },
  };
}

/** The interpreter of the venv for `requirements` under `cache`, made now if it is not there yet. */
export function venvPython(requirements: string, log: Log = quiet, cache = toolCacheDir()): string {
  return join(install(pythonVenv(requirements), log, cache), "bin", "python");
}
