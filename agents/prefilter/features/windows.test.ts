import { describe, expect, it } from "vitest";
import { featureSeries, type Spec } from "./fixture.js";
import { FeatureExtractor } from "./index.js";

/** Feature tests for the windowed features: per pod, per container and per image, on event time. */

const S = 1000;
const MIN = 60 * S;
const pod = (name: string, extra: Spec["fields"] = {}) => ({ "k8s.pod.name": name, ...extra });
const last = (values: number[]) => values[values.length - 1];

describe("pod_rate_60s", () => {
  it("counts the pod's events of the last 60 seconds of event time, this one included", () => {
    const values = featureSeries("pod_rate_60s", [
      { at: 0 },
      { at: 10 * S },
      { at: 59 * S },
      { at: 60 * S }, // the event at 0 s has left the window
      { at: 200 * S },
    ]);
    expect(values).toEqual([1, 2, 3, 3, 1]);
  });

  it("keeps pods apart, and pod-less events fall back to the container, then the node", () => {
    const values = featureSeries("pod_rate_60s", [
      { at: 0, fields: pod("a") },
      { at: 1, fields: pod("b") },
      { at: 2, fields: { "k8s.ns.name": null, "k8s.pod.name": null, "container.id": "c1" } },
      { at: 3, fields: { "k8s.ns.name": null, "k8s.pod.name": null, "container.id": "c1" } },
      { at: 4, fields: { "k8s.pod.name": null, "container.id": "host" } },
      { at: 5, fields: { "k8s.pod.name": null, "container.id": "host" }, hostname: "worker-b1" },
      { at: 6, fields: pod("a") },
    ]);
    expect(values).toEqual([1, 1, 1, 2, 1, 1, 2]);
  });

  it("does not rewind for a late event: it counts at the latest time seen", () => {
    expect(featureSeries("pod_rate_60s", [{ at: 120 * S }, { at: 0 }])).toEqual([1, 2]);
  });
});

describe("pod_rate_zscore", () => {
  /** `perMinute` events in each of `minutes` minutes, spread over the first half of each minute. */
  const steady = (minutes: number, perMinute: number): Spec[] =>
    Array.from({ length: minutes * perMinute }, (_, i) => ({
      at: Math.floor(i / perMinute) * MIN + (i % perMinute) * S,
    }));

  it("is 0 until the pod has five completed minutes of baseline", () => {
    const values = featureSeries("pod_rate_zscore", steady(5, 3));
    expect(values.every((v) => v === 0)).toBe(true);
  });

  it("is near 0 for the pod's usual rate and large for a burst", () => {
    const extractor = new FeatureExtractor();
    featureSeries("pod_rate_zscore", steady(30, 3), extractor);
    const usual = featureSeries("pod_rate_zscore", [{ at: 30 * MIN }, { at: 30 * MIN + S }], extractor);
    // A minute with 3 events, like every other: the 60 s window holds 2–4 of them.
    expect(Math.abs(last(usual) ?? 99)).toBeLessThan(1.5);
    const burst = Array.from({ length: 40 }, (_, i) => ({ at: 31 * MIN + i * 100 }));
    expect(last(featureSeries("pod_rate_zscore", burst, extractor))).toBeGreaterThan(20);
  });

  it("counts silent minutes into the baseline, so a quiet pod's burst stands out", () => {
    const extractor = new FeatureExtractor();
    featureSeries("pod_rate_zscore", [{ at: 0 }, { at: 30 * MIN }, { at: 50 * MIN }], extractor);
    const burst = Array.from({ length: 10 }, (_, i) => ({ at: 51 * MIN + i * S }));
    // Baseline: ~50 minutes, two with one event; (10 − 0.04) / √(0.04 + 1) ≈ 9.8.
    expect(last(featureSeries("pod_rate_zscore", burst, extractor))).toBeGreaterThan(9);
  });
});

describe("pod_distinct_rules_5m", () => {
  it("counts distinct rules of the pod in the last five minutes", () => {
    const values = featureSeries("pod_distinct_rules_5m", [
      { at: 0, rule: "A" },
      { at: S, rule: "A" },
      { at: 2 * S, rule: "B" },
      { at: 3 * S, rule: "C", fields: pod("other") },
      { at: 4 * MIN, rule: "C" },
      { at: 5 * MIN + 2500, rule: "C" }, // A (0 s, 1 s) and B (2 s) have left the window
    ]);
    expect(values).toEqual([1, 1, 2, 1, 3, 1]);
  });

  it("saturates at 64 rather than growing with a flood of rule names", () => {
    const flood = Array.from({ length: 100 }, (_, i) => ({ at: i, rule: `R${i}` }));
    expect(last(featureSeries("pod_distinct_rules_5m", flood))).toBe(64);
  });
});

describe("container_distinct_tactics_15m", () => {
  it("counts the container's distinct MITRE tactics of the last 15 minutes", () => {
    const values = featureSeries("container_distinct_tactics_15m", [
      { at: 0, tags: ["mitre_execution"] },
      { at: S, tags: ["mitre_execution", "T1059"] },
      { at: 2 * S, tags: ["mitre_credential_access"] },
      { at: 3 * S, tags: ["TA0003"], fields: { "container.id": "other" } },
      { at: 4 * S, tags: ["k8s"] },
      { at: 15 * MIN + 2500, tags: ["mitre_discovery"] },
    ]);
    expect(values).toEqual([1, 1, 2, 1, 2, 1]);
  });
});

describe("proc_rarity_in_image", () => {
  it("is high for a process its image has not run and low for one it runs all the time", () => {
    const usual = Array.from({ length: 30 }, (_, i) => ({ at: i * S, fields: { "proc.name": "sh" } }));
    const values = featureSeries("proc_rarity_in_image", [
      ...usual,
      { at: 31 * S, fields: { "proc.name": "kworkerd" } },
      { at: 32 * S, fields: { "proc.name": "kworkerd", "container.image.repository": "other/image" } },
    ]);
    expect(values[29]).toBeLessThan(0.1);
    expect(values[30]).toBeGreaterThan(3);
    expect(values[31]).toBeCloseTo(Math.LN2, 12); // the first event of another image
  });

  it("counts a node's host processes as one image and is -1 without image or process", () => {
    const host = { "container.id": "host", "container.image.repository": null, "k8s.pod.name": null };
    const values = featureSeries("proc_rarity_in_image", [
      { fields: host },
      { fields: { ...host, "proc.name": "logrotate" } },
      { fields: { ...host, "proc.name": "logrotate" }, hostname: "worker-b2" },
      { fields: { "container.id": null, "container.image.repository": null } },
      { fields: { "proc.name": null } },
    ]);
    expect(values[0]).toBeCloseTo(Math.LN2, 12);
    expect(values[1]).toBeCloseTo(-Math.log(1 / 3), 6);
    expect(values[2]).toBeCloseTo(Math.LN2, 12); // another node's host is another stream
    expect(values.slice(3)).toEqual([-1, -1]);
  });
});

describe("parent_child_rarity_in_image", () => {
  it("is high for a usual child under an unusual parent", () => {
    const usual = Array.from({ length: 30 }, (_, i) => ({ at: i * S }));
    const both = (at: number, pname: string) => ({ at, fields: { "proc.pname": pname } });
    const pairs = featureSeries("parent_child_rarity_in_image", [...usual, both(31 * S, "java")]);
    const procs = featureSeries("proc_rarity_in_image", [...usual, both(31 * S, "java")]);
    expect(pairs[29]).toBeLessThan(0.1);
    expect(pairs[30]).toBeGreaterThan(3);
    expect(procs[30]).toBeLessThan(0.1); // the process alone is not rare: "sh" again
  });
});
