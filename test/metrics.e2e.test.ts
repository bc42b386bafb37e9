import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Case } from "../contracts/case.js";
import { FleetConfig } from "../contracts/config.js";
import { components } from "../fleet/components.js";
import { loadConfig } from "../runtime/config.js";
import { exposedNames, metricNamesUsed } from "./alert-rules.js";
import { MattermostStage } from "./mattermost-harness.js";

describe("the metrics the alerts and the dashboard name, against the running fleet's /metrics", () => {
  let stage: MattermostStage;

  beforeAll(async () => {
    // The Mattermost front end exports the bot's metrics, the Wasm evaluator its bundle loads, the
    // model its features' drift; the bundled sample is the traffic.
    stage = await MattermostStage.start(
      { SOC_POLICY_EVALUATOR: "wasm", SOC_PREFILTER: "model" },
      { sample: true },
    );
  }, 240_000);
  afterAll(async () => {
    await stage.stop();
  });

  it("finds every soc_* name of an alert expression or a dashboard query in some component's exposition", async () => {
    const { fleet } = stage;
    // The sample's cases, one escalation decided in Mattermost, and a dead letter.
    await fleet.waitFor(
      () => Promise.resolve(fleet.output.some((l) => l.startsWith("sample replayed:"))),
      60_000,
      "the sample replay",
    );
    const escalated = await fleet.waitFor(
      async () => ((await fleet.soc(["cases", "--state", "escalated"])).json as { cases: Case[] }).cases[0],
      30_000,
      "an escalated case of the sample",
    );
    await stage.escalationPost(escalated.id);
    expect((await stage.command("bob", `approve ${escalated.id}`)).text).toContain(
      `${escalated.id} approved by bob`,
    );
    expect((await fleet.post({ rule: "not a Falco alert" })).status).toBe(400);

    const config = loadConfig(FleetConfig, fleet.env);
    const exposed = new Set<string>();
    const expositions = new Map<string, string>();
    for (const { name } of components) {
      const response = await fetch(`${config.opsUrl(name)}/metrics`);
      expect(response.status, name).toBe(200);
      expositions.set(name, await response.text());
      for (const metric of exposedNames(expositions.get(name) ?? "")) exposed.add(metric);
    }
    // The probe of the policy engine's bundle answers in a real fleet.
    expect(expositions.get("policy-engine")).toContain(
      'soc_policy_bundle_loaded{component="policy-engine"} 1',
    );
    const used = metricNamesUsed();
    expect(used.length).toBeGreaterThan(10);
    expect(used.filter((metric) => !exposed.has(metric))).toEqual([]);
  });
});
