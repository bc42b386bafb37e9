import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { venvPython } from "./tools/python.js";

/** The package root, from the source (fleet/) or the build (dist/fleet/). */
const root = [join(import.meta.dirname, ".."), join(import.meta.dirname, "..", "..")].find((dir) =>
  existsSync(join(dir, "training", "requirements.txt")),
);

export function trainingDir(): string {
  if (!root) throw new Error("training/ not found next to fleet/ (is this a packaged build?)");
  return join(root, "training");
}

/**
 * The Python interpreter that trains and checks the prefilter's model: SOC_PYTHON if set (an
 * interpreter that already has training/requirements.txt), else the cached virtual environment for
 * that file, made on first use (about a minute: pip downloads scikit-learn).
 */
export function pythonEnv(log: (line: string) => void = () => undefined): string {
  return process.env.SOC_PYTHON ?? venvPython(join(trainingDir(), "requirements.txt"), log);
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
