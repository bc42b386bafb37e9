import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Evidence } from "../contracts/analysis.js";
import type { Anomaly } from "../contracts/anomaly.js";
import { alerts } from "../fleet/alerts.js";
import { LocalFleet } from "../fleet/local.js";
import { FleetConfig } from "../contracts/config.js";
import { loadConfig } from "../runtime/config.js";
import { IsolationForest } from "../agents/prefilter/model/scorer.js";
import { DEFAULT_MODEL } from "../agents/prefilter/model-scorer.js";

/**
 * What the prefilter forwards is policy data: an operator changes the budget or the threshold in OPA
 * while the fleet runs and the prefilter follows; the floor forwards what it covers whatever its score.
 */
describe("the prefilter's forwarding, set by policy while the fleet runs", () => {
  let fleet: LocalFleet;
  const model = IsolationForest.loadFile(DEFAULT_MODEL ?? "");
  beforeAll(async () => {
    fleet = await LocalFleet.start({ env: { SOC_PREFILTER: "model", SOC_THRESHOLD_REFRESH_MS: "300" } });
  });
  afterAll(async () => {
    await fleet.stop();
  });

  const opa = () => `http://127.0.0.1:${String(Number(fleet.env.SOC_PORT_BASE) + 11)}`;
  /** Sets a live value (or removes them all) and waits for the prefilter to take the threshold it gives. */
  const live = async (
    name: "forward_budget" | "anomaly_threshold" | null,
    value: number,
    threshold: number,
  ) => {
    const response = await fetch(`${opa()}/v1/data/soc_overrides${name ? `/${name}` : ""}`, {
      method: name ? "PUT" : "DELETE",
      headers: { "content-type": "application/json" },
      body: name ? JSON.stringify(value) : null,
    });
    expect(response.status).toBe(204);
    await fleet.waitFor(
      () =>
        fleet.logs().prefilter?.some((line) => line.msg === "forwarding set" && line.threshold === threshold),
      10_000,
      `the prefilter to take threshold ${String(threshold)}`,
    );
  };
  const opened = async (caseId: string) => {
    const trace = (await fleet.soc(["trace", caseId])).json as {
      steps: { summary: string; output: unknown }[];
    };
    return { step: trace.steps[0], anomaly: trace.steps[0]?.output as Anomaly };
  };

  it("forwards a Warning or not as the policy's budget moves, without a restart", async () => {
    const pid = fleet.pid("prefilter");
    // The shipped budget, 1 % of the training window, is in force from the start.
    expect(
      fleet
        .logs()
        .prefilter?.some((l) => l.msg === "forwarding set" && l.threshold === model.thresholdFor(0.01)),
    ).toBe(true);

    await live("forward_budget", 0.001, model.thresholdFor(0.001));
    const tight = await fleet.post({ ...alerts.autoExecute(), uuid: "warning-under-tight-budget" });
    expect(tight.body).toMatchObject({ forwarded: false, case_id: null });

    await live("forward_budget", 0.05, model.thresholdFor(0.05));
    const loose = await fleet.post({ ...alerts.autoExecute(), uuid: "warning-under-loose-budget" });
    expect(loose.body).toMatchObject({ forwarded: true });
    const { step, anomaly } = await opened(loose.body.case_id as string);
    expect(anomaly).toMatchObject({
      threshold: model.thresholdFor(0.05),
      threshold_source: `live budget 0.05 on ${String(model.calibration?.rows)} training events`,
      floor: null,
      model_version: model.version,
    });
    expect(step?.summary).toMatch(
      /forwarded: score 0\.\d{4} at or above threshold 0\.\d{4} \(live budget 0\.05 /,
    );
    // Why it reached a human: the features furthest from the training window, in the evidence too.
    expect(anomaly.drivers.length).toBeGreaterThan(0);
    expect(step?.summary).toContain(`furthest from training: ${anomaly.drivers[0]?.feature ?? ""} `);
    const trace = (await fleet.soc(["trace", loose.body.case_id as string])).json as {
      steps: { skill: string; output: unknown }[];
    };
    const evidence = trace.steps.find((s) => s.skill === "gather_evidence")?.output as Evidence;
    expect(evidence.forwarded).toMatchObject({ score: anomaly.score, drivers: anomaly.drivers });

    // The threshold in force, for dashboards and alerts.
    const metrics = await (
      await fetch(`${loadConfig(FleetConfig, fleet.env).opsUrl("prefilter")}/metrics`)
    ).text();
    expect(metrics).toMatch(
      new RegExp(
        `^soc_prefilter_threshold\\{[^}]*\\} ${String(model.thresholdFor(0.05)).replaceAll(".", "\\.")}$`,
        "m",
      ),
    );

    // An explicit threshold overrides the budget.
    await live("anomaly_threshold", 0.9, 0.9);
    const strict = await fleet.post({ ...alerts.autoExecute(), uuid: "warning-under-strict-threshold" });
    expect(strict.body).toMatchObject({ forwarded: false });
    expect(fleet.pid("prefilter")).toBe(pid);
  });

  it("forwards a Critical alert of a stable rule whatever the threshold: the floor, named in the trace", async () => {
    await live("anomaly_threshold", 0.9, 0.9);
    const escape = await fleet.post({ ...alerts.containerEscape(), uuid: "escape-under-strict-threshold" });
    expect(escape.body).toMatchObject({ forwarded: true });
    const { step, anomaly } = await opened(escape.body.case_id as string);
    expect(anomaly.floor).toBe("floor: Critical or above from a maturity_stable rule");
    expect(anomaly.score).toBeLessThan(0.9);
    expect(step?.summary).toMatch(
      /forwarded: floor: Critical or above from a maturity_stable rule; furthest from training: /,
    );
    await live(null, 0, model.thresholdFor(0.01));
  });
});
