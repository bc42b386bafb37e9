import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { pythonEnv } from "../python.js";
import { pythonVenv, venvPython } from "./python.js";

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

describe("venvPython", () => {
  const cache = join(dir, "cache");

  it("creates a working venv keyed by the requirements, once, and reuses it", { timeout: 120_000 }, () => {
    const req = requirements("a.txt", "# no packages\n");
    const log: string[] = [];
    const python = venvPython(req, (line) => log.push(line), cache);
    expect(python).toMatch(/venv-[0-9a-f]{16}\/bin\/python$/);
    expect(log.some((line) => line.includes("creating a Python environment"))).toBe(true);
    // Made elsewhere and moved into place, it still knows where it lives.
    const prefix = execFileSync(python, ["-c", "import sys; print(sys.prefix)"], { encoding: "utf8" });
    expect(prefix.trim()).toBe(dirname(dirname(python)));

    const again: string[] = [];
    expect(venvPython(req, (line) => again.push(line), cache)).toBe(python);
    expect(again).toEqual([]);
    expect(readdirSync(cache)).toEqual([pythonVenv(req).entry]);
  });

  it("keys the venv by the requirements' content, not the file's name", () => {
    const a = pythonVenv(requirements("a.txt", "# no packages\n")).entry;
    expect(pythonVenv(requirements("a-copy.txt", "# no packages\n")).entry).toBe(a);
    expect(pythonVenv(requirements("b.txt", "# other text\n")).entry).not.toBe(a);
  });

  it(
    "rebuilds a venv whose interpreter has gone (the Python it was made from was removed)",
    { timeout: 120_000 },
    () => {
      const req = requirements("c.txt", "# moved interpreter\n");
      const python = venvPython(req, undefined, cache);
      rmSync(python);
      const log: string[] = [];
      expect(venvPython(req, (line) => log.push(line), cache)).toBe(python);
      expect(log[0]).toMatch(/bin\/python is missing or empty; rebuilding/);
      expect(execFileSync(python, ["-c", "print(6 * 7)"], { encoding: "utf8" }).trim()).toBe("42");
    },
  );

  it("fails with pip's own words when a requirement cannot be installed", { timeout: 120_000 }, () => {
    const req = requirements("bad.txt", "this is not a requirement line ((\n");
    expect(() => venvPython(req, undefined, cache)).toThrow(/failed to build venv-[^]*Invalid requirement/);
    expect(readdirSync(cache)).not.toContain(pythonVenv(req).entry);
  });
});
