import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The package root, from the source (fleet/) or the build (dist/fleet/). */
const root = [join(import.meta.dirname, ".."), join(import.meta.dirname, "..", "..")].find((dir) =>
  existsSync(join(dir, "training", "requirements.txt")),
);

/** Where virtual environments live, once per machine and per requirements file. */
export const venvCache = join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "soc-fleet");

/** Written last into a finished venv: a directory without it is a crashed install, never used. */
const MARKER = "soc-fleet-complete";

export function trainingDir(): string {
  if (!root) throw new Error("training/ not found next to fleet/ (is this a packaged build?)");
  return join(root, "training");
}

/**
 * The Python interpreter that trains and checks the prefilter's model: SOC_PYTHON if set (an
 * interpreter that already has training/requirements.txt), else a virtual environment keyed by
 * the hash of that file, made on first use (about a minute: pip downloads scikit-learn).
 */
export function pythonEnv(log: (line: string) => void = () => undefined): string {
  if (process.env.SOC_PYTHON) return process.env.SOC_PYTHON;
  return venvFor(join(trainingDir(), "requirements.txt"), venvCache, log);
}

/** Where the venv for a requirements file lives: keyed by its content, not its name. */
export function venvDir(requirements: string, cacheDir: string): string {
  const hash = createHash("sha256").update(readFileSync(requirements)).digest("hex").slice(0, 16);
  return join(cacheDir, `venv-${hash}`);
}

/** The venv for one requirements file under `cacheDir`, made now if it is not there yet. */
export function venvFor(requirements: string, cacheDir: string, log: (line: string) => void): string {
  const venv = venvDir(requirements, cacheDir);
  const python = join(venv, "bin", "python");
  if (existsSync(join(venv, MARKER))) return python;
  log(`creating the Python environment ${venv} (first use only; pip installs ${requirements})…`);
  mkdirSync(cacheDir, { recursive: true });
  // Built beside the final path, then renamed: a second process racing us never sees half a venv,
  // and whichever finishes second throws its copy away. A venv run through bin/python survives the
  // rename (its prefix comes from pyvenv.cfg next to the interpreter, not from the path it was made at).
  const partial = `${venv}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  try {
    execFileSync("python3", ["-m", "venv", partial], { stdio: ["ignore", "ignore", "pipe"] });
    const pip = execFileSync(
      join(partial, "bin", "python"),
      ["-m", "pip", "install", "--disable-pip-version-check", "-q", "-r", requirements],
      { stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" },
    );
    for (const line of pip.split("\n").filter(Boolean)) log(line);
    writeFileSync(join(partial, MARKER), `${requirements}\n`);
    if (existsSync(join(venv, MARKER))) {
      rmSync(partial, { recursive: true, force: true });
      return python;
    }
    // Not ours and not finished (made by hand, or by an older layout): replace it.
    rmSync(venv, { recursive: true, force: true });
    renameSync(partial, venv);
  } catch (error) {
    rmSync(partial, { recursive: true, force: true });
    if (existsSync(join(venv, MARKER))) return python;
    throw new Error(`could not create the Python environment ${venv}: ${describe(error)}`, { cause: error });
  }
  return python;
}

/** Runs one of the scripts in training/ with the environment's interpreter; returns its stdout. */
export function runTraining(
  script: "train.py" | "score.py",
  args: string[],
  log: (line: string) => void = () => undefined,
): string {
  try {
    return execFileSync(pythonEnv(log), [join(trainingDir(), script), ...args], {
      encoding: "utf8",
      maxBuffer: 1 << 30,
      stdio: ["ignore", "pipe", "pipe"],
    });
  } catch (error) {
    throw new Error(`${script} failed: ${describe(error)}`, { cause: error });
  }
}

function describe(error: unknown): string {
  if (error && typeof error === "object" && "stderr" in error) {
    const stderr = String(error.stderr).trim();
    if (stderr) return stderr.split("\n").slice(-15).join("\n");
  }
  return error instanceof Error ? error.message : String(error);
}

// `node dist/fleet/python.js train --features f.csv --out model.json`: training as one command,
// in the right environment, without knowing where the venv is.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [command, ...args] = process.argv.slice(2);
  if (command !== "train" && command !== "score") {
    console.error("usage: node dist/fleet/python.js train|score [script options…]  (see training/README.md)");
    process.exit(2);
  }
  const python = pythonEnv((line) => console.error(line));
  const run = spawnSync(python, [join(trainingDir(), `${command}.py`), ...args], { stdio: "inherit" });
  process.exit(run.status ?? 1);
}
