import { Gauge } from "prom-client";
import { caseStatuses } from "../../contracts/case.js";
import type { Component } from "../../runtime/component.js";
import type { CaseStore } from "./store.js";

/**
 * The case store as gauges, read when scraped: cases by status (those open or reviewing are the
 * coordinator's queue), the age of the oldest of them (how far behind triage is), and the age of
 * the oldest case awaiting a human, which the escalation SLO alert watches
 * (helm/soc-fleet/files/prometheus-rules/cases.yaml).
 */
export function exportCaseGauges(
  component: Component,
  store: Pick<CaseStore, "counts" | "oldestWaiting" | "oldestUntriaged">,
  now = Date.now,
): void {
  const registers = [component.metrics.registry];
  const cases = new Gauge({
    name: "soc_cases",
    help: "Cases in the case store, by status",
    labelNames: ["status"],
    registers,
    async collect() {
      const counts = await store.counts();
      for (const status of caseStatuses) cases.set({ status }, counts[status] ?? 0);
    },
  });
  const age = (found: { created_at: string } | null) =>
    found ? Math.max(0, (now() - Date.parse(found.created_at)) / 1000) : 0;
  const untriaged = new Gauge({
    name: "soc_case_oldest_untriaged_seconds",
    help: "Age of the oldest case not yet at a verdict (open or reviewing), since it was opened; 0 when none",
    registers,
    async collect() {
      untriaged.set(age(await store.oldestUntriaged()));
    },
  });
  const oldest = new Gauge({
    name: "soc_case_oldest_awaiting_seconds",
    help: "Age of the oldest case awaiting a human decision, since it was opened; 0 when none waits",
    registers,
    async collect() {
      oldest.set(age(await store.oldestWaiting()));
    },
  });
}
