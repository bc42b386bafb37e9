import { describe, expect, it } from "vitest";
import { DriftWindow, PSI_FLOOR, binOf, psi } from "./drift.js";
import type { FeatureDistribution } from "./format.js";

describe("binOf", () => {
  const edges = [0, 1, 5];

  it("puts a value in the first bin whose edge is at or above it, as train.py counts", () => {
    expect(binOf(edges, -3)).toBe(0);
    expect(binOf(edges, 0)).toBe(0);
    expect(binOf(edges, 0.5)).toBe(1);
    expect(binOf(edges, 1)).toBe(1);
    expect(binOf(edges, 5)).toBe(2);
    expect(binOf(edges, 5.0001)).toBe(3);
  });

  it("sends NaN to the last bin and handles a feature with no edges", () => {
    expect(binOf(edges, Number.NaN)).toBe(3);
    expect(binOf([], 42)).toBe(0);
  });
});

describe("psi", () => {
  it("is 0 for identical shares and grows with the shift", () => {
    expect(psi([0.5, 0.5], [0.5, 0.5])).toBe(0);
    const small = psi([0.5, 0.5], [0.55, 0.45]);
    const large = psi([0.5, 0.5], [0.9, 0.1]);
    expect(small).toBeGreaterThan(0);
    expect(large).toBeGreaterThan(small);
  });

  it("matches the definition Σ (a − e) ln(a / e)", () => {
    const expected = 0.4 * Math.log(0.9 / 0.5) + -0.4 * Math.log(0.1 / 0.5);
    expect(psi([0.5, 0.5], [0.9, 0.1])).toBeCloseTo(expected, 12);
  });

  it("stays finite when a bin is empty on either side", () => {
    const value = psi([0, 1], [1, 0]);
    expect(Number.isFinite(value)).toBe(true);
    expect(value).toBeCloseTo(2 * (1 - PSI_FLOOR) * Math.log(1 / PSI_FLOOR), 9);
  });

  it("refuses shares over different bins", () => {
    expect(() => psi([1], [0.5, 0.5])).toThrow(RangeError);
  });
});

describe("DriftWindow", () => {
  // Feature 0: ≤0 half the time, (0,1] and above a quarter each. Feature 1: a flag, 90 % zero.
  const distribution: FeatureDistribution[] = [
    { edges: [0, 1], proportions: [0.5, 0.25, 0.25] },
    { edges: [0], proportions: [0.9, 0.1] },
  ];
  const row = (a: number, b: number): Float64Array => Float64Array.from([a, b]);
  /** 20 rows in exactly the training proportions. */
  function asTrained(window: DriftWindow): void {
    for (let i = 0; i < 20; i++)
      window.observe(row(i % 4 < 2 ? -1 : i % 4 === 2 ? 0.5 : 3, i % 10 === 0 ? 1 : 0));
  }

  it("reads NaN until it has seen an event", () => {
    const window = new DriftWindow(distribution, 20);
    expect(Array.from(window.psi())).toEqual([Number.NaN, Number.NaN]);
  });

  it("reads 0 when the window matches training, and a large PSI when one feature moves", () => {
    const window = new DriftWindow(distribution, 20);
    asTrained(window);
    expect(Array.from(window.psi())).toEqual([0, 0]);
    for (let i = 0; i < 20; i++) window.observe(row(i % 4 < 2 ? -1 : i % 4 === 2 ? 0.5 : 3, 1));
    const [stable = Number.NaN, moved = Number.NaN] = window.psi();
    expect(stable).toBe(0);
    expect(moved).toBeGreaterThan(0.25);
  });

  it("forgets what slid out of the window", () => {
    const window = new DriftWindow(distribution, 20);
    for (let i = 0; i < 50; i++) window.observe(row(100, 1));
    expect(window.psi()[0]).toBeGreaterThan(1);
    asTrained(window);
    expect(window.count).toBe(20);
    expect(Array.from(window.psi())).toEqual([0, 0]);
  });

  it("writes into a caller's array, so a scrape need not allocate", () => {
    const window = new DriftWindow(distribution, 5);
    window.observe(row(0, 0));
    const out = new Float64Array(2);
    expect(window.psi(out)).toBe(out);
    expect(out[1]).toBeCloseTo(psi([0.9, 0.1], [1, 0]), 12);
  });

  it("refuses a window of no events and rows of the wrong width", () => {
    expect(() => new DriftWindow(distribution, 0)).toThrow(RangeError);
    expect(() => new DriftWindow(distribution, 3).observe(Float64Array.from([1]))).toThrow(RangeError);
  });
});
