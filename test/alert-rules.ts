import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { chartDir } from "../fleet/helm.js";

/**
 * The chart's alert rules, their promtool unit tests and its Grafana dashboard, as the tests read
 * them: files/prometheus-rules/*.yaml (each wrapped unchanged into a PrometheusRule),
 * files/prometheus-rules/tests/*.test.yaml, files/dashboards/soc-fleet.json.
 */
export const rulesDir = join(chartDir, "files", "prometheus-rules");
export const ruleTestsDir = join(rulesDir, "tests");
export const dashboardFile = join(chartDir, "files", "dashboards", "soc-fleet.json");

export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

const yamlIn = (dir: string, suffix: string) =>
  readdirSync(dir)
    .filter((name) => name.endsWith(suffix))
    .sort()
    .map((name) => join(dir, name));

export const ruleFiles = () => yamlIn(rulesDir, ".yaml");
export const ruleTestFiles = () => yamlIn(ruleTestsDir, ".test.yaml");

/** Every alerting rule of every rule file, with the file it is in. */
export function alertRules(): (AlertRule & { file: string })[] {
  return ruleFiles().flatMap((file) => {
    const { groups = [] } = parse(readFileSync(file, "utf8")) as { groups?: { rules?: AlertRule[] }[] };
    return groups.flatMap((g) => g.rules ?? []).map((rule) => ({ ...rule, file }));
  });
}

/** The fleet's own metric names (`soc_…`) in a PromQL text or a dashboard. */
export const socMetricNames = (text: string): string[] => text.match(/\bsoc_[a-z0-9_]+\b/g) ?? [];

/** Every `soc_…` metric name an alert expression or the dashboard (queries and variables) uses. */
export function metricNamesUsed(): string[] {
  const names = [
    ...alertRules().flatMap((rule) => socMetricNames(rule.expr)),
    ...socMetricNames(readFileSync(dashboardFile, "utf8")),
  ];
  return [...new Set(names)].sort();
}

/**
 * The metric names a Prometheus text exposition declares (`# TYPE name kind`), with the series
 * names a histogram or summary adds.
 */
export function exposedNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const [, name = "", kind] of exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    names.add(name);
    if (kind === "histogram") for (const suffix of ["_bucket", "_sum", "_count"]) names.add(name + suffix);
    if (kind === "summary") for (const suffix of ["_sum", "_count"]) names.add(name + suffix);
  }
  return names;
}
