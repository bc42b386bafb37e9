import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runTraining } from "../../../fleet/python.js";
import { IsolationForest } from "./scorer.js";
import { syntheticDataset, toCsv, type Dataset } from "./synthetic.js";

/**
 * Calibration in the real venv: training/train.py records, for each budget, the score that forwards
 * that share of its training window; on held-out data from the same distribution that threshold
 * forwards the budgeted share, on two installations whose scores are nothing alike.
 */
const dir = mkdtempSync(join(tmpdir(), "soc-calibration-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TRAIN = 20_000;
const HELD_OUT = 50_000;

/** A second installation: busier pods, longer command lines, more shells; the same kind of data. */
function busier(data: Dataset): Dataset {
  const rows = data.rows.map((row) => {
    const next = Float64Array.from(row);
    next[4] = (row[4] ?? 0) * 20; // pod_rate_60s
    next[10] = Math.round((row[10] ?? 0) * 3); // cmdline_length
    next[12] = row[12] === 1 || (row[5] ?? 0) > 0.5 ? 1 : 0; // shell_or_interpreter
    return next;
  });
  return { ...data, rows };
}

function train(name: string, data: Dataset): IsolationForest {
  const csv = join(dir, `${name}.csv`);
  writeFileSync(csv, toCsv(data.names, data.rows));
  const out = join(dir, `${name}.json`);
  runTraining("train.py", ["--features", csv, "--out", out, "--seed", "5"]);
  return IsolationForest.loadFile(out);
}

describe("a forwarding budget, calibrated on the training window", { timeout: 300_000 }, () => {
  const installations = [
    { name: "generated", transform: (d: Dataset) => d },
    { name: "busier", transform: busier },
  ];
  const thresholds: Record<string, number> = {};

  for (const { name, transform } of installations) {
    it(`forwards the budgeted share of held-out events on the ${name} installation`, () => {
      const model = train(name, transform(syntheticDataset(101, TRAIN, 0)));
      expect(model.calibration?.rows).toBe(TRAIN);
      const heldOut = transform(syntheticDataset(202, HELD_OUT, 0)).rows.map((row) => model.score(row));
      for (const budget of [0.001, 0.01, 0.05]) {
        const threshold = model.thresholdFor(budget);
        const share = heldOut.filter((score) => score >= threshold).length / HELD_OUT;
        // Tolerance: four standard errors of a share estimated from the held-out rows, and four more
        // for the quantile the training window gave (each binomial at the budget).
        const se = (n: number) => Math.sqrt((budget * (1 - budget)) / n);
        expect(
          Math.abs(share - budget),
          `${name}, budget ${String(budget)}: ${String(share)}`,
        ).toBeLessThanOrEqual(4 * se(HELD_OUT) + 4 * se(TRAIN));
      }
      thresholds[name] = model.thresholdFor(0.01);
    });
  }

  it("gives each installation its own threshold for the same budget: a fixed score would not mean the same", () => {
    expect(Object.keys(thresholds)).toHaveLength(2);
    expect(thresholds.generated).not.toBe(thresholds.busier);
  });

  it("interpolates between calibrated budgets and never lets a larger budget raise the threshold", () => {
    const model = IsolationForest.loadFile(join(dir, "generated.json"));
    const grid = [0.00001, 0.0003, 0.001, 0.0042, 0.01, 0.037, 0.2, 0.5, 0.9];
    const values = grid.map((b) => model.thresholdFor(b));
    expect(values).toEqual([...values].sort((a, b) => b - a));
    expect(model.thresholdFor(0.9)).toBe(model.thresholdFor(0.5));
  });
});
