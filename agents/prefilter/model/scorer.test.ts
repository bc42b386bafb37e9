import { describe, expect, it } from "vitest";
import type { ModelFile } from "./format.js";
import { IsolationForest, float32AtOrBelow } from "./scorer.js";
import { nextUp32, nextUp64 } from "./synthetic.js";

/** Just above 0.5 in float64, below the next float32: only float32 rounding sends 0.5+2^-52 left. */
const T0 = nextUp64(0.5);

/**
 * Two small trees whose every path is known by hand:
 *   tree 0: x0 <= T0 → 2 ; else x1 <= 0.1 → 3.5 (NaN goes left here) ; else 1.25
 *   tree 1: a single leaf, 8
 * denominator 10, so ratio = (tree 0 leaf + 8) / 10.
 */
function model(): ModelFile {
  return {
    format: "soc-iforest/1",
    version: "20260101-0123abcd",
    sklearn_version: "1.9.1",
    feature_names: ["a", "b"],
    n_estimators: 2,
    max_samples: 256,
    denominator: 10,
    offset: -0.5,
    trees: [
      {
        feature: [0, -2, 1, -2, -2],
        threshold: [T0, -2, 0.1, -2, -2],
        left: [1, -1, 3, -1, -1],
        right: [2, -1, 4, -1, -1],
        missing_left: [0, 0, 1, 0, 0],
        value: [1, 2, 2, 3.5, 1.25],
      },
      { feature: [-2], threshold: [-2], left: [-1], right: [-1], missing_left: [0], value: [8] },
    ],
    distribution: [
      { edges: [0, 1], proportions: [0.5, 0.25, 0.25] },
      { edges: [0.1], proportions: [0.5, 0.5] },
    ],
  };
}

const x = (a: number, b: number): Float64Array => Float64Array.from([a, b]);

describe("IsolationForest scoring", () => {
  const forest = IsolationForest.load(model());

  it("sums the leaf values of every tree and divides by the denominator", () => {
    expect(forest.ratio(x(0, 0))).toBe(1);
    expect(forest.ratio(x(1, 0.05))).toBe(1.15);
    expect(forest.ratio(x(1, 1))).toBe(0.925);
    expect(forest.score(x(1, 1))).toBe(2 ** -0.925);
  });

  it("calls outliers as sklearn does: score_samples below the offset, not at it", () => {
    expect(forest.score(x(0, 0))).toBe(0.5);
    expect(forest.isOutlier(x(0, 0))).toBe(false);
    expect(forest.isOutlier(x(1, 1))).toBe(true);
    expect(forest.isOutlier(x(1, 0.05))).toBe(false);
  });

  it("rounds inputs to float32 before comparing, as sklearn casts them", () => {
    // 0.5 + 2^-52 > T0 as a double, but it is 0.5 as a float32, and 0.5 <= T0.
    expect(forest.ratio(x(nextUp64(T0), 0))).toBe(1);
    expect(forest.ratio(x(nextUp32(0.5), 0))).toBe(1.15);
  });

  it("sends NaN where sklearn's missing_go_to_left says", () => {
    expect(forest.ratio(x(1, Number.NaN))).toBe(1.15);
    expect(forest.ratio(x(Number.NaN, 1))).toBe(0.925);
  });

  it("gives ratio 1 when the denominator is 0, as sklearn's divide(where=…) does", () => {
    const one = IsolationForest.load({ ...model(), denominator: 0 });
    expect(one.ratio(x(5, 5))).toBe(1);
  });

  it("refuses an input with the wrong number of features", () => {
    expect(() => forest.ratio(Float64Array.from([1, 2, 3]))).toThrow(RangeError);
  });

  it("exposes what anomalies record and drift needs", () => {
    const fromText = IsolationForest.load(JSON.stringify(model()));
    expect(fromText.version).toBe("20260101-0123abcd");
    expect(fromText.featureNames).toEqual(["a", "b"]);
    expect(fromText.nFeatures).toBe(2);
    expect(fromText.distribution[1]?.edges).toEqual([0.1]);
  });
});

describe("float32AtOrBelow", () => {
  it("is the largest float32 not above t, so float32 inputs branch as against t itself", () => {
    for (const t of [0.1, 0.3, -0.1, -0.3, T0, 1e-45, -1e-45, -1e-50, 3.5e38, 1e39, -1e39, 0.5]) {
      const below = float32AtOrBelow(t);
      expect(Math.fround(below)).toBe(below);
      expect(below <= t).toBe(true);
      expect(nextUp32(below) > t).toBe(true);
    }
    expect(float32AtOrBelow(0.5)).toBe(0.5);
    expect(float32AtOrBelow(-1e-50)).toBe(-(2 ** -149));
    expect(float32AtOrBelow(1e39)).toBe(3.4028234663852886e38);
  });
});

describe("IsolationForest.load validation", () => {
  const broken: [string, (m: ModelFile) => void, RegExp][] = [
    ["another format", (m) => void Object.assign(m, { format: "soc-iforest/2" }), /format/],
    [
      "a child before its parent (a loop)",
      (m) => void m.trees[0]?.left.splice(2, 1, 0),
      /children must follow/,
    ],
    ["a child outside the tree", (m) => void m.trees[0]?.right.splice(0, 1, 9), /children must follow/],
    ["a node with two parents", (m) => void m.trees[0]?.right.splice(2, 1, 3), /exactly one parent/],
    ["a feature out of range", (m) => void m.trees[0]?.feature.splice(2, 1, 2), /feature 2 out of range/],
    ["arrays of different lengths", (m) => void m.trees[0]?.value.pop(), /equal in length/],
    ["n_estimators not the trees given", (m) => (m.n_estimators = 3), /n_estimators/],
    ["a missing distribution", (m) => void m.distribution.pop(), /one distribution per feature/],
    [
      "proportions not summing to 1",
      (m) => void m.distribution[0]?.proportions.splice(0, 1, 0.9),
      /sum to 1/,
    ],
    ["a bad version", (m) => (m.version = "latest"), /version/],
  ];
  it.each(broken)("rejects %s", (_, breakIt, message) => {
    const m = model();
    breakIt(m);
    expect(() => IsolationForest.load(m)).toThrow(message);
  });

  it("rejects text that is not JSON", () => {
    expect(() => IsolationForest.load("{not json")).toThrow();
  });
});
