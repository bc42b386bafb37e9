import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_MODEL } from "../../agents/prefilter/model-scorer.js";
import { FEATURE_COUNT, FEATURE_NAMES, FeatureExtractor } from "../../agents/prefilter/features/index.js";
import { IsolationForest } from "../../agents/prefilter/model/scorer.js";
import { floorReason } from "../../agents/prefilter/floor.js";
import { ModelScorer } from "../../agents/prefilter/scorer.js";
import type { Forwarding } from "../../contracts/policy.js";
import { FalcoEvent, priorityRank } from "../../contracts/falco.js";
import { runTraining } from "../python.js";

/** How a way of choosing events did on labelled data. */
export interface Economy {
  benign_events: number;
  benign_forwarded: number;
  /** Of those, forwarded by the policy's floor alone (the score would have dropped them): what the floor costs. */
  benign_floor: number;
  episodes: number;
  episodes_detected: number;
  /** Seconds from each detected episode's first event to its first forwarded event. */
  delay_seconds: { median: number | null; max: number | null };
}

/** One point of the operating curve: a budget, the threshold it calibrates to, and what that forwards (floor included). */
export interface OperatingPoint {
  budget: number;
  threshold: number;
  benign_forwarded_share: number;
  episodes_detected_share: number;
  delay_median_seconds: number | null;
}

export interface Evaluation {
  model_version: string;
  /** The score threshold in force and where it came from (the policy's budget, calibrated, or its threshold). */
  threshold: number;
  threshold_source: string;
  trained_on_hours: number | null;
  evaluated_events: number;
  model: Economy;
  curve: OperatingPoint[];
  baseline_warning: Economy;
}

/** The budgets of the operating curve `soc prefilter eval` prints. */
export const CURVE_BUDGETS = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05] as const;

interface Labelled {
  event: FalcoEvent;
  label: string;
  at: number;
}

/**
 * Replays labelled falcosidekick events in time order through the same feature extractor the
 * prefilter runs, scores them with the model (the current one, or one trained on everything in the
 * first `trainHours` of the data, as an installation trains on its own unlabelled history) and
 * compares what it forwards, at the policy's budget or threshold and with its floor, with the
 * "every Warning and above" baseline.
 */
export function evaluate(
  eventsPath: string,
  labelsPath: string,
  options: { trainHours?: number; forwarding: Forwarding },
): Evaluation {
  const labels = new Map(
    readFileSync(labelsPath, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((line) => {
        const { uuid, label } = JSON.parse(line) as { uuid: string; label: string };
        return [uuid, label] as const;
      }),
  );
  const stream: Labelled[] = [];
  for (const line of readFileSync(eventsPath, "utf8").split("\n")) {
    if (!line.trim()) continue;
    const parsed = FalcoEvent.safeParse(JSON.parse(line));
    if (!parsed.success || !parsed.data.uuid) continue;
    stream.push({
      event: parsed.data,
      label: labels.get(parsed.data.uuid) ?? "benign",
      at: Date.parse(parsed.data.time),
    });
  }
  const start = stream[0]?.at ?? 0;
  const split = options.trainHours === undefined ? start : start + options.trainHours * 3_600_000;

  // One pass: features of the evaluated part carry the history of the training part.
  const extractor = new FeatureExtractor();
  const x = new Float64Array(FEATURE_COUNT);
  const training: string[] = [FEATURE_NAMES.join(",")];
  const evaluated: { item: Labelled; features: Float64Array }[] = [];
  for (const item of stream) {
    extractor.extract(item.event, x);
    if (item.at < split) {
      // Every event of the window, attacks among them: an installation does not know its history's
      // labels, and trains on all of it.
      training.push(Array.from(x, String).join(","));
    } else {
      evaluated.push({ item, features: Float64Array.from(x) });
    }
  }
  const model =
    options.trainHours === undefined ? IsolationForest.loadFile(DEFAULT_MODEL ?? "") : train(training);
  const scored = evaluated.map(({ item, features }) => ({
    item,
    score: model.score(features),
    floored: floorReason(options.forwarding.floor, item.event) !== null,
  }));
  const at = (threshold: number) =>
    economy(scored.map(({ item, score, floored }) => ({ item, byScore: score >= threshold, floored })));
  // What the prefilter would do: the scorer it runs, configured as the policy says.
  const scorer = new ModelScorer(model, new FeatureExtractor(), options.forwarding);
  const threshold = scorer.threshold();
  const curve = CURVE_BUDGETS.map((budget): OperatingPoint => {
    const t = model.thresholdFor(budget);
    const e = at(t);
    return {
      budget,
      threshold: t,
      benign_forwarded_share: e.benign_forwarded / Math.max(1, e.benign_events),
      episodes_detected_share: e.episodes_detected / Math.max(1, e.episodes),
      delay_median_seconds: e.delay_seconds.median,
    };
  });
  const warning = priorityRank("Warning");
  const byBaseline = economy(
    evaluated.map(({ item }) => ({
      item,
      byScore: priorityRank(item.event.priority) >= warning,
      floored: false,
    })),
  );
  return {
    model_version: model.version,
    threshold,
    threshold_source: scorer.thresholdSource() ?? "",
    trained_on_hours: options.trainHours ?? null,
    evaluated_events: evaluated.length,
    model: at(threshold),
    curve: model.calibration ? curve : [],
    baseline_warning: byBaseline,
  };
}

function train(csvLines: string[]): IsolationForest {
  const dir = mkdtempSync(join(tmpdir(), "soc-eval-"));
  try {
    writeFileSync(join(dir, "features.csv"), `${csvLines.join("\n")}\n`);
    runTraining("train.py", ["--features", join(dir, "features.csv"), "--out", join(dir, "model.json")]);
    return IsolationForest.loadFile(join(dir, "model.json"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function economy(decisions: { item: Labelled; byScore: boolean; floored: boolean }[]): Economy {
  let benign = 0;
  let benignForwarded = 0;
  let benignFloor = 0;
  const episodes = new Map<string, { first: number; detected: number | null }>();
  for (const { item, byScore, floored } of decisions) {
    const forward = byScore || floored;
    if (item.label === "benign") {
      benign++;
      if (forward) benignForwarded++;
      if (floored && !byScore) benignFloor++;
      continue;
    }
    const episode = episodes.get(item.label) ?? { first: item.at, detected: null };
    if (forward && episode.detected === null) episode.detected = item.at;
    episodes.set(item.label, episode);
  }
  const delays = [...episodes.values()]
    .flatMap((e) => (e.detected === null ? [] : [(e.detected - e.first) / 1000]))
    .sort((a, b) => a - b);
  return {
    benign_events: benign,
    benign_forwarded: benignForwarded,
    benign_floor: benignFloor,
    episodes: episodes.size,
    episodes_detected: delays.length,
    delay_seconds: { median: delays[Math.floor(delays.length / 2)] ?? null, max: delays.at(-1) ?? null },
  };
}

export function renderEvaluation(e: Evaluation): string {
  const line = (name: string, x: Economy) =>
    `${name.padEnd(22)} benign forwarded ${pct(x.benign_forwarded, x.benign_events).padStart(7)} (${x.benign_forwarded}/${x.benign_events})  ` +
    `episodes detected ${pct(x.episodes_detected, x.episodes).padStart(7)} (${x.episodes_detected}/${x.episodes})  ` +
    `delay median ${x.delay_seconds.median ?? "-"} s, max ${x.delay_seconds.max ?? "-"} s`;
  const point = (p: OperatingPoint) =>
    `  budget ${String(p.budget).padEnd(6)} threshold ${p.threshold.toFixed(4)}  benign forwarded ${(100 * p.benign_forwarded_share).toFixed(2).padStart(6)} %  episodes detected ${(100 * p.episodes_detected_share).toFixed(1).padStart(5)} %  delay median ${p.delay_median_seconds ?? "-"} s`;
  return [
    `model ${e.model_version}, threshold ${e.threshold.toFixed(4)} (${e.threshold_source})${e.trained_on_hours === null ? "" : `, trained on the first ${e.trained_on_hours} h`}; ${e.evaluated_events} events evaluated`,
    line("anomaly model", e.model),
    `${"".padEnd(22)} of which forwarded by the floor alone: ${e.model.benign_floor} benign events`,
    line("every Warning and up", e.baseline_warning),
    ...(e.curve.length ? ["operating curve (floor included):", ...e.curve.map(point)] : []),
  ].join("\n");
}

function pct(part: number, whole: number): string {
  return whole === 0 ? "-" : `${((100 * part) / whole).toFixed(2)} %`;
}
