import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alerts } from "../fleet/alerts.js";
import { LocalFleet } from "../fleet/local.js";

/** The anomaly threshold is policy data: an operator changes it in OPA and the prefilter follows. */
describe("the prefilter's threshold, set by policy while the fleet runs", () => {
  let fleet: LocalFleet;
  beforeAll(async () => {
    fleet = await LocalFleet.start({ env: { SOC_PREFILTER: "model", SOC_THRESHOLD_REFRESH_MS: "300" } });
  });
  afterAll(async () => {
    await fleet.stop();
  });

  const override = async (value: number) => {
    const opa = `http://127.0.0.1:${String(Number(fleet.env.SOC_PORT_BASE) + 11)}`;
    const response = await fetch(`${opa}/v1/data/soc_overrides/anomaly_threshold`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(value),
    });
    expect(response.status).toBe(204);
    await fleet.waitFor(
      () =>
        fleet
          .logs()
          .prefilter?.some((line) => line.msg === "anomaly threshold set" && line.threshold === value),
      10_000,
      `the prefilter to take threshold ${String(value)}`,
    );
  };

  it("forwards the same kind of event or not as the policy's threshold moves, without a restart", async () => {
    const pid = fleet.pid("prefilter");
    await override(0.9);
    const strict = await fleet.post({ ...alerts.containerEscape(), uuid: "escape-under-strict-policy" });
    expect(strict.body).toMatchObject({ forwarded: false, case_id: null });

    await override(0.3);
    const loose = await fleet.post({ ...alerts.containerEscape(), uuid: "escape-under-loose-policy" });
    expect(loose.body).toMatchObject({ forwarded: true });
    const trace = (await fleet.soc(["trace", loose.body.case_id as string])).json as {
      steps: { output: unknown }[];
    };
    const opened = trace.steps[0]?.output as { threshold: number; model_version: string };
    expect(opened.threshold).toBe(0.3);
    expect(opened.model_version).toMatch(/^\d{8}-[0-9a-f]{8}$/);
    expect(fleet.pid("prefilter")).toBe(pid);
  });
});
