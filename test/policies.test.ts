import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { opaBinary } from "../fleet/tools.js";

const opa = (...args: string[]) =>
  execFileSync(opaBinary(), args, { cwd: import.meta.dirname + "/..", encoding: "utf8" });

describe("the Rego in policies/, with real OPA", () => {
  it("passes opa test with --fail-on-empty at ≥ 95 % coverage", () => {
    const report = JSON.parse(
      opa("test", "policies/", "--ignore", "kyverno", "--fail-on-empty", "--coverage", "--threshold", "95"),
    ) as { coverage: number };
    expect(report.coverage).toBeGreaterThanOrEqual(95);
    expect(opa("test", "policies/", "--ignore", "kyverno", "--fail-on-empty", "-v")).toMatch(
      /PASS: \d+\/\d+/,
    );
  });

  it("is strict-checked and formatted", () => {
    expect(() => opa("check", "--strict", "--ignore", "kyverno", "policies/")).not.toThrow();
    expect(opa("fmt", "--list", "--fail", "policies/").trim()).toBe("");
  });
});
