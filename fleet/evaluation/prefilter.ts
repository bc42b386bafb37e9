import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_MODEL } from "../../agents/prefilter/model-scorer.js";
import { FEATURE_COUNT, FEATURE_NAMES, FeatureExtractor } from "../../agents/prefilter/features/index.js";
import { IsolationForest } from "../../agents/prefilter/model/scorer.js";
import { FalcoEvent, priorityRank } from "../../contracts/falco.js";
import { runTraining } from "../python.js";

/** How a way of choosing events did on labelled data. */
export interface Economy {
  benign_events: number;
  benign_forwarded: number;
  episodes: number;
  episodes_detected: number;
  /** Seconds from each detected episode's first event to its first forwarded event. */
  delay_seconds: { median: number | null; max: number | null };
}

export interface Evaluation {
  model_version: string;
  threshold: number;
  trained_on_hours: number | null;
  evaluated_events: number;
  model: Economy;
  baseline_warning: Economy;
}

interface Labelled {
  event: FalcoEvent;
  label: string;
  at: number;
}

/**
 * Replays labelled falcosidekick events in time order through the same feature extractor the
 * prefilter runs, scores them with the model (the current one, or one trained on the first
 * `trainHours` of the data, as an installation trains on its own history) and compares what it
 * forwards with the "every Warning and above" baseline.
 */
export function evaluate(
  eventsPath: string,
  labelsPath: string,
  options: { trainHours?: number; threshold: number },
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
      if (item.label === "benign") training.push(Array.from(x, String).join(","));
    } else {
      evaluated.push({ item, features: Float64Array.from(x) });
    }
  }
  const model =
    options.trainHours === undefined ? IsolationForest.loadFile(DEFAULT_MODEL ?? "") : train(training);
  const byModel = economy(
    evaluated.map(({ item, features }) => ({ item, forward: model.score(features) >= options.threshold })),
  );
  const warning = priorityRank("Warning");
  const byBaseline = economy(
    evaluated.map(({ item }) => ({ item, forward: priorityRank(item.event.priority) >= warning })),
  );
  return {
    model_version: model.version,
    threshold: options.threshold,
    trained_on_hours: options.trainHours ?? null,
    evaluated_events: evaluated.length,
    model: byModel,
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

function economy(decisions: { item: Labelled; forward: boolean }[]): Economy {
  let benign = 0;
  let benignForwarded = 0;
  const episodes = new Map<string, { first: number; detected: number | null }>();
  for (const { item, forward } of decisions) {
    if (item.label === "benign") {
      benign++;
      if (forward) benignForwarded++;
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
  return [
    `model ${e.model_version}, threshold ${e.threshold}${e.trained_on_hours === null ? "" : `, trained on the first ${e.trained_on_hours} h`}; ${e.evaluated_events} events evaluated`,
    line("anomaly model", e.model),
    line("every Warning and up", e.baseline_warning),
  ].join("\n");
}

function pct(part: number, whole: number): string {
  return whole === 0 ? "-" : `${((100 * part) / whole).toFixed(2)} %`;
}
