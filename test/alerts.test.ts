import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { repoRoot } from "../fleet/helm.js";
import { promtoolBinary } from "../fleet/tools/prometheus.js";
import { alertRules, ruleFiles, ruleTestFiles } from "./alert-rules.js";

const log = (line: string) => process.stdout.write(`${line}\n`);
let promtool = "";

// Built once per machine (node dist/fleet/tools/install.js does it before the tests in CI).
beforeAll(() => {
  promtool = promtoolBinary(log);
}, 20 * 60_000);

/** Runs promtool; the assertion's message is everything it printed. */
function promtoolRun(args: string[]): { status: number | null; output: string } {
  const run = spawnSync(promtool, args, { encoding: "utf8", cwd: repoRoot });
  if (run.error) throw run.error;
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

interface RuleTest {
  rule_files: string[];
  tests: {
    name?: string;
    alert_rule_test?: { eval_time: string; alertname: string; exp_alerts: unknown[] }[];
  }[];
}
const ruleTests = () =>
  ruleTestFiles().map((file) => ({ file, ...(parse(readFileSync(file, "utf8")) as RuleTest) }));

const minutes = (duration: string): number => {
  const [, count = "", unit = ""] = /^(\d+)([mh])$/.exec(duration) ?? [];
  if (!count) throw new Error(`eval_time ${duration}: write it in m or h`);
  return Number(count) * (unit === "h" ? 60 : 1);
};

/** The GitHub anchors of a Markdown file's headings. */
const anchors = (markdown: string) =>
  [...markdown.matchAll(/^#+ (.+)$/gm)].map(([, title = ""]) =>
    title
      .toLowerCase()
      .replace(/[^a-z0-9 -]/g, "")
      .replaceAll(" ", "-"),
  );

describe("the chart's alert rules (files/prometheus-rules)", () => {
  it("pass promtool check rules", () => {
    const { status, output } = promtoolRun(["check", "rules", ...ruleFiles()]);
    expect(status, output).toBe(0);
  });

  it("pass their promtool test rules unit tests", () => {
    const { status, output } = promtoolRun(["test", "rules", ...ruleTestFiles()]);
    expect(status, output).toBe(0);
  });

  it("each rule file has its unit test file, which loads it", () => {
    expect(ruleTests().map((t) => basename(t.file))).toEqual(
      ruleFiles().map((file) => basename(file).replace(/\.yaml$/, ".test.yaml")),
    );
    for (const { file, rule_files: loaded } of ruleTests())
      expect(loaded, file).toEqual([`../${basename(file).replace(/\.test\.yaml$/, ".yaml")}`]);
  });

  it("every alert has a unique name, a severity, a summary, a description and a runbook section", () => {
    const rules = alertRules();
    expect(new Set(rules.map((r) => r.alert)).size).toBe(rules.length);
    for (const rule of rules) {
      expect(rule.labels?.severity, rule.alert).toMatch(/^(info|warning|critical)$/);
      expect(rule.annotations?.summary, rule.alert).toBeTruthy();
      expect(rule.annotations?.description, rule.alert).toBeTruthy();
      const [path = "", anchor = ""] = (rule.annotations?.runbook ?? "").split("#");
      expect(existsSync(join(repoRoot, path)), `${rule.alert}: runbook ${path}`).toBe(true);
      expect(anchors(readFileSync(join(repoRoot, path), "utf8")), rule.alert).toContain(anchor);
      expect(anchor, rule.alert).toBe(rule.alert.toLowerCase());
    }
  });

  it("every alert is fired by a unit test, and cleared later in the same test", () => {
    const fires = new Map<string, boolean>();
    for (const { tests } of ruleTests())
      for (const test of tests) {
        const checks = test.alert_rule_test ?? [];
        for (const fired of checks.filter((c) => c.exp_alerts.length > 0)) {
          const cleared = checks.some(
            (c) =>
              c.alertname === fired.alertname &&
              c.exp_alerts.length === 0 &&
              minutes(c.eval_time) > minutes(fired.eval_time),
          );
          fires.set(fired.alertname, (fires.get(fired.alertname) ?? false) || cleared);
        }
      }
    for (const rule of alertRules()) expect(fires.get(rule.alert), rule.alert).toBe(true);
  });
});
