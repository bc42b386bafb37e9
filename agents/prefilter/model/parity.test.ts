import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runTraining } from "../../../fleet/python.js";
import { ModelFile } from "./format.js";
import { IsolationForest } from "./scorer.js";
import { binOf } from "./drift.js";
import { probeRows, syntheticDataset, toCsv, type Dataset } from "./synthetic.js";

/**
 * The TypeScript scorer against scikit-learn itself: a model trained by training/train.py in the
 * real venv, 3000 rows scored by training/score.py (sklearn's score_samples, predict and ratio)
 * and by IsolationForest. Slow on a fresh machine: the first run creates the venv.
 */
const dir = mkdtempSync(join(tmpdir(), "soc-parity-"));
let file: ModelFile;
let forest: IsolationForest;
let rows: Float64Array[];
let sklearn: { ratio: number; scoreSamples: number; outlier: boolean }[];
let data: Dataset;
let report: TrainReport;

/** What train.py prints: the evaluation at each --threshold. */
interface TrainReport {
  version: string;
  trained_rows: number;
  training_set: { thresholds: { threshold: number; benign_above: number; attack_above: number }[] };
}

beforeAll(() => {
  data = syntheticDataset(20_240_611, 6000, 120);
  writeFileSync(join(dir, "train.csv"), toCsv(data.names, data.rows, data.labels));
  report = JSON.parse(
    runTraining("train.py", [
      ...["--features", join(dir, "train.csv"), "--out", join(dir, "model.json")],
      ...["--sklearn-out", join(dir, "model.pkl"), "--seed", "7", "--threshold", "0.6"],
    ]),
  ) as TrainReport;
  file = ModelFile.parse(JSON.parse(readFileSync(join(dir, "model.json"), "utf8")));
  forest = IsolationForest.load(file);
  const held = syntheticDataset(99, 400, 100).rows;
  rows = [...held, ...probeRows(file, data.rows, 2500, 5)];
  writeFileSync(join(dir, "samples.csv"), toCsv(data.names, rows));
  const out = runTraining("score.py", [
    "--sklearn",
    join(dir, "model.pkl"),
    "--csv",
    join(dir, "samples.csv"),
  ]);
  sklearn = out
    .trim()
    .split("\n")
    .slice(1)
    .map((line) => {
      const [ratio = "", scoreSamples = "", outlier = ""] = line.split(",");
      return { ratio: Number(ratio), scoreSamples: Number(scoreSamples), outlier: outlier === "1" };
    });
}, 900_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("IsolationForest against scikit-learn", () => {
  it("loads what train.py writes: sklearn's shape, the auto offset, a version", () => {
    expect(file.n_estimators).toBe(100);
    expect(file.max_samples).toBe(1024);
    expect(file.offset).toBe(-0.5);
    expect(forest.featureNames).toEqual(file.feature_names);
    expect(forest.version).toMatch(/^\d{8}-[0-9a-f]{8}$/);
    expect(file.training?.excluded_rows).toBe(120);
  });

  it("trains on benign rows only and reports the evaluation at the threshold asked", () => {
    expect(report.version).toBe(file.version);
    expect(report.trained_rows).toBe(6000);
    const [at] = report.training_set.thresholds;
    expect(at?.threshold).toBe(0.6);
    // The synthetic attacks are far from the workload: most score above, few benign rows do.
    expect(at?.attack_above).toBeGreaterThan(0.9);
    expect(at?.benign_above).toBeLessThan(0.1);
  });

  it("records each feature's training distribution in the bins drift.ts uses", () => {
    const benign = data.rows.filter((_, i) => data.labels[i] === "benign");
    file.distribution.forEach(({ edges, proportions }, f) => {
      const counts = new Array<number>(edges.length + 1).fill(0);
      for (const row of benign) {
        const bin = binOf(edges, row[f] ?? Number.NaN);
        counts[bin] = (counts[bin] ?? 0) + 1;
      }
      expect(counts.map((c) => c / benign.length)).toEqual(proportions);
    });
  });

  it("gives the same ratio and verdict on every sample and the score within 4e-16", () => {
    expect(sklearn).toHaveLength(rows.length);
    expect(rows.length).toBeGreaterThanOrEqual(2000);
    const mismatches: string[] = [];
    rows.forEach((x, i) => {
      const reference = sklearn[i];
      if (!reference) return;
      const ratio = forest.ratio(x);
      const score = forest.score(x);
      if (
        ratio !== reference.ratio ||
        forest.isOutlier(x) !== reference.outlier ||
        !(Math.abs(score + reference.scoreSamples) <= 4e-16)
      )
        mismatches.push(
          `row ${i}: ratio ${ratio} vs ${reference.ratio}, score ${score} vs ${-reference.scoreSamples}`,
        );
    });
    expect(mismatches.slice(0, 10)).toEqual([]);
  });

  it("covers both verdicts, NaN inputs, and rows that only float32 rounding scores right", () => {
    const verdicts = new Set(sklearn.map((s) => s.outlier));
    expect(verdicts).toEqual(new Set([true, false]));
    expect(rows.filter((x) => x.some(Number.isNaN)).length).toBeGreaterThan(10);
    // A walk comparing the raw doubles: the probes must catch it out, or they test nothing.
    const wrongWithoutFround = rows.filter(
      (x, i) => !x.some(Number.isNaN) && naiveRatio(file, x) !== sklearn[i]?.ratio,
    );
    expect(wrongWithoutFround.length).toBeGreaterThan(50);
  });
});

/** The same walk without float32 rounding (and NaN always right): what a naive port would do. */
function naiveRatio(model: ModelFile, x: Float64Array): number {
  let depths = 0;
  for (const tree of model.trees) {
    let node = 0;
    while ((tree.left[node] ?? -1) >= 0) {
      const v = x[tree.feature[node] ?? 0] ?? 0;
      node = (v <= (tree.threshold[node] ?? 0) ? tree.left[node] : tree.right[node]) ?? 0;
    }
    depths += tree.value[node] ?? 0;
  }
  return depths / model.denominator;
}
