import { describe, expect, it } from "vitest";
import type { ModelFile } from "./format.js";
import {
  SYNTHETIC_FEATURES,
  float32Around,
  nextDown64,
  nextUp32,
  nextUp64,
  probeRows,
  syntheticDataset,
  toCsv,
} from "./synthetic.js";

describe("float neighbours", () => {
  it("steps one double up and down", () => {
    expect(nextUp64(1)).toBe(1 + Number.EPSILON);
    expect(nextDown64(1)).toBe(1 - Number.EPSILON / 2);
    expect(nextUp64(0)).toBe(Number.MIN_VALUE);
    expect(nextUp64(-1)).toBe(-1 + Number.EPSILON / 2);
  });

  it("steps one float32 up, through zero and across signs", () => {
    expect(nextUp32(1)).toBe(1 + 2 ** -23);
    expect(nextUp32(0)).toBe(2 ** -149);
    expect(nextUp32(-(2 ** -149))).toBe(-0);
    expect(nextUp32(-1)).toBe(-1 + 2 ** -24);
  });

  it("finds the float32 pair that straddles any double threshold", () => {
    for (const t of [0.1, 0.3, -0.1, 1.5, nextUp64(0.5), 123456.789, -7e-30]) {
      const [below, above] = float32Around(t);
      expect(Math.fround(below)).toBe(below);
      expect(Math.fround(above)).toBe(above);
      expect(below <= t && t < above).toBe(true);
      expect(nextUp32(below)).toBe(above);
    }
  });
});

describe("syntheticDataset", () => {
  it("is the same for the same seed and different for another", () => {
    const a = syntheticDataset(3, 50, 5);
    expect(syntheticDataset(3, 50, 5).rows).toEqual(a.rows);
    expect(syntheticDataset(4, 50, 5).rows).not.toEqual(a.rows);
  });

  it("has 17 finite features per row and labels the attack rows", () => {
    const { names, rows, labels } = syntheticDataset(1, 100, 10);
    expect(names).toHaveLength(17);
    expect(rows.every((r) => r.length === 17 && r.every(Number.isFinite))).toBe(true);
    expect(labels.filter((l) => l !== "benign")).toHaveLength(10);
  });
});

describe("probeRows", () => {
  // One split on feature 1 at 0.1 (not a float32), then leaves.
  const model = {
    trees: [
      {
        feature: [1, -2, -2],
        threshold: [0.1, -2, -2],
        left: [1, -1, -1],
        right: [2, -1, -1],
        missing_left: [0, 0, 0],
        value: [1, 1, 1],
      },
    ],
  } as unknown as ModelFile;

  it("pins split features to values right at the threshold", () => {
    const base = [Float64Array.from([5, 5, 5])];
    const rows = probeRows(model, base, 400, 1);
    expect(rows).toHaveLength(400);
    const [below, above] = float32Around(0.1);
    const pinned = new Set(rows.map((r) => r[1]).filter((v) => v !== 5));
    expect(pinned).toEqual(new Set([below, above, nextUp64(0.1), nextDown64(0.1), 0.1, Number.NaN]));
  });
});

describe("toCsv", () => {
  it("writes a header, exact doubles and an optional label column", () => {
    const csv = toCsv(["a", "b"], [Float64Array.from([0.1, nextUp64(0.1)])], ["benign"]);
    expect(csv).toBe(`a,b,label\n0.1,${nextUp64(0.1)},benign\n`);
    expect(Number(csv.split("\n")[1]?.split(",")[1])).toBe(nextUp64(0.1));
    expect(toCsv(SYNTHETIC_FEATURES, []).split(",")).toHaveLength(17);
  });
});
