import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runTraining } from "../../../fleet/python.js";
import { FEEDBACK_LABEL } from "../features/feedback.js";
import { IsolationForest } from "./scorer.js";
import { syntheticDataset, toCsv } from "./synthetic.js";

/**
 * training/train.py with analysts' labels, in the real venv: what they dismissed is trained on with
 * weight and scores as normal afterwards; what they approved is left out of training.
 */
const dir = mkdtempSync(join(tmpdir(), "soc-feedback-training-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const workload = syntheticDataset(4_242, 4_000, 0);
// Three unusual events analysts saw (attack-like rows of the synthetic generator) and one more.
const unusual = syntheticDataset(77, 0, 4).rows;
const rows = [...workload.rows, ...unusual];

function train(name: string, labels: string[]): { model: IsolationForest; report: TrainReport } {
  const csv = join(dir, `${name}.csv`);
  writeFileSync(csv, toCsv(workload.names, rows, labels));
  const out = join(dir, `${name}.json`);
  const report = JSON.parse(
    runTraining("train.py", ["--features", csv, "--out", out, "--seed", "3"]),
  ) as TrainReport;
  return { model: IsolationForest.loadFile(out), report };
}

interface TrainReport {
  trained_rows: number;
  feedback: { benign_rows: number; malicious_rows: number; copies_each: number };
}

describe("training with analysts' feedback", { timeout: 300_000 }, () => {
  const benign = workload.labels.map(() => "benign");

  it("makes what analysts dismissed score as normal, and leaves out what they approved", () => {
    const before = train("before", [...benign, "", "", "", ""]);
    const dismissed = unusual.slice(0, 3);
    const scoresBefore = dismissed.map((x) => before.model.score(x));
    expect(Math.min(...scoresBefore)).toBeGreaterThan(0.6);

    const after = train("after", [
      ...benign,
      FEEDBACK_LABEL.benign,
      FEEDBACK_LABEL.benign,
      FEEDBACK_LABEL.benign,
      FEEDBACK_LABEL.malicious,
    ]);
    expect(after.report.feedback).toEqual({ benign_rows: 3, malicious_rows: 1, copies_each: 80 });
    // The approved row is not trained on; the dismissed ones are, once each as rows.
    expect(after.report.trained_rows).toBe(4_003);
    const scoresAfter = dismissed.map((x) => after.model.score(x));
    for (const [i, score] of scoresAfter.entries()) expect(score).toBeLessThan(scoresBefore[i] ?? 0);
    // Below the threshold the policy ships with (policies/soc/settings/data.json: 0.7).
    expect(Math.max(...scoresAfter)).toBeLessThan(0.7);
    // The ordinary workload is still ordinary.
    const typical = workload.rows.slice(0, 500).map((x) => after.model.score(x));
    expect(typical.filter((s) => s >= 0.6).length).toBeLessThan(25);
  });
});
