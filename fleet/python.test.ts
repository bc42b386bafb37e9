import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { pythonEnv, venvDir, venvFor } from "./python.js";

const dir = mkdtempSync(join(tmpdir(), "soc-python-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A requirements file with nothing to download: the venv is real, pip runs, no network is needed. */
function requirements(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe("pythonEnv", () => {
  it("returns SOC_PYTHON as given, making nothing", () => {
    const saved = process.env.SOC_PYTHON;
    process.env.SOC_PYTHON = "/opt/elsewhere/bin/python3";
    try {
      const log: string[] = [];
      expect(pythonEnv((line) => log.push(line))).toBe("/opt/elsewhere/bin/python3");
      expect(log).toEqual([]);
    } finally {
      if (saved === undefined) delete process.env.SOC_PYTHON;
      else process.env.SOC_PYTHON = saved;
    }
  });
});

describe("venvFor", () => {
  const cache = join(dir, "cache");

  it("creates a working venv keyed by the requirements, once, and reuses it", { timeout: 120_000 }, () => {
    const req = requirements("a.txt", "# no packages\n");
    const log: string[] = [];
    const python = venvFor(req, cache, (line) => log.push(line));
    expect(python).toMatch(/venv-[0-9a-f]{16}\/bin\/python$/);
    expect(log.some((line) => line.includes("creating the Python environment"))).toBe(true);
    const prefix = execFileSync(python, ["-c", "import sys; print(sys.prefix)"], { encoding: "utf8" });
    expect(prefix.trim()).toBe(dirname(dirname(python)));

    const again: string[] = [];
    expect(venvFor(req, cache, (line) => again.push(line))).toBe(python);
    expect(again).toEqual([]);
    // Nothing half-built is left beside it.
    expect(existsSync(`${dirname(dirname(python))}.partial-${process.pid}`)).toBe(false);
  });

  it("keys the venv by the requirements' content, not the file's name", () => {
    const a = venvDir(requirements("a.txt", "# no packages\n"), cache);
    expect(venvDir(requirements("a-copy.txt", "# no packages\n"), cache)).toBe(a);
    expect(venvDir(requirements("b.txt", "# other text\n"), cache)).not.toBe(a);
  });

  it(
    "replaces an unfinished venv (no completion marker) instead of trusting it",
    { timeout: 120_000 },
    () => {
      const req = requirements("c.txt", "# crashed install\n");
      const venv = venvDir(req, cache);
      mkdirSync(join(venv, "bin"), { recursive: true });
      writeFileSync(join(venv, "bin", "python"), "not an interpreter");
      const python = venvFor(req, cache, () => undefined);
      expect(execFileSync(python, ["-c", "print(6 * 7)"], { encoding: "utf8" }).trim()).toBe("42");
    },
  );

  it("fails with pip's own words when a requirement cannot be installed", { timeout: 120_000 }, () => {
    const req = requirements("bad.txt", "this is not a requirement line ((\n");
    expect(() => venvFor(req, cache, () => undefined)).toThrow(
      /could not create the Python environment[^]*Invalid requirement/,
    );
    expect(existsSync(venvDir(req, cache))).toBe(false);
  });
});
