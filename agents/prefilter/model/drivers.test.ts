import { describe, expect, it } from "vitest";
import { describeForwarding } from "../../../contracts/anomaly.js";
import { FalcoEvent } from "../../../contracts/falco.js";
import { alerts } from "../../../fleet/alerts.js";
import { FeatureExtractor } from "../features/index.js";
import { DEFAULT_MODEL } from "../model-scorer.js";
import { ModelScorer, thresholdOnly } from "../scorer.js";
import { DRIVER_SHARE, drivers, tailShare } from "./drivers.js";
import type { FeatureDistribution } from "./format.js";
import { IsolationForest } from "./scorer.js";

// Deciles of 0…99, and their tails.
const spread: FeatureDistribution = {
  edges: [10, 20, 30, 40, 50, 60, 70, 80, 90],
  proportions: Array<number>(10).fill(0.1),
  tails: [
    [0.001, 0.1],
    [0.01, 1],
    [0.05, 5],
    [0.95, 95],
    [0.99, 99],
    [0.999, 99.9],
  ],
};
// A flag set on 0.2 % of the training rows.
const flag: FeatureDistribution = { edges: [0], proportions: [0.998, 0.002] };

describe("the features that drove a score", () => {
  it("measures how few training rows were as far out, on the value's own side", () => {
    expect(tailShare(spread, 50)).toBeCloseTo(0.5);
    expect(tailShare(spread, 93)).toBeCloseTo(0.1);
    expect(tailShare(spread, 96)).toBe(0.05);
    expect(tailShare(spread, 1000)).toBe(0.001);
    expect(tailShare(spread, 0.05)).toBe(0.001);
    expect(tailShare(flag, 1)).toBe(0.002);
    expect(tailShare(flag, 0)).toBe(0.998);
  });

  it("names the rarest first, none commoner than the driver share, at most three", () => {
    const found = drivers(
      ["a", "b", "c", "d", "e"],
      [spread, flag, spread, spread, spread],
      [50, 1, 1000, 96, 0.05],
    );
    expect(found).toEqual([
      { feature: "c", value: 1000, training_share: 0.001 },
      { feature: "e", value: 0.05, training_share: 0.001 },
      { feature: "b", value: 1, training_share: 0.002 },
    ]);
    expect(drivers(["a"], [spread], [50])).toEqual([]);
    expect(DRIVER_SHARE).toBe(0.05);
  });

  it("explains a container escape with the committed model: a terminal and an executable written at run time", () => {
    const model = IsolationForest.loadFile(DEFAULT_MODEL ?? "");
    const judged = new ModelScorer(model, new FeatureExtractor(), thresholdOnly(0.5)).judge(
      FalcoEvent.parse(alerts.containerEscape()),
    );
    expect(judged.forward).toBe(true);
    expect(judged.drivers.map((d) => d.feature)).toEqual(
      expect.arrayContaining(["has_tty", "exe_in_writable_path"]) as unknown,
    );
    const line = describeForwarding({
      score: judged.score,
      model_version: model.version,
      threshold: 0.5,
      threshold_source: "bundle threshold",
      floor: null,
      drivers: judged.drivers,
    });
    expect(line).toMatch(
      /^score 0\.\d{4} at or above threshold 0\.5000 \(bundle threshold\); furthest from training: /,
    );
    expect(line).toMatch(/has_tty 1 \([\d.]+ % of training events\)/);
  });

  it("explains nothing that was not forwarded", () => {
    const model = IsolationForest.loadFile(DEFAULT_MODEL ?? "");
    const judged = new ModelScorer(model, new FeatureExtractor(), thresholdOnly(1)).judge(
      FalcoEvent.parse(alerts.autoExecute()),
    );
    expect(judged).toMatchObject({ forward: false, drivers: [] });
  });
});
