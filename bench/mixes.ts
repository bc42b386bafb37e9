import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { evaluate, type Economy } from "../fleet/evaluation/prefilter.js";
import { packageRoot, shippedForwarding } from "../fleet/evaluation/policy-settings.js";
import { toJsonLine } from "../fleet/sample/alert.js";
import { DEFAULT_CORPUS_START, generateCorpus } from "../fleet/sample/generate-corpus.js";
import { readMix } from "../fleet/sample/mix.js";

/**
 * `node dist/bench/mixes.js [--generator bundled|simulator] [--seeds 1,2,3] [--hours 24] [--train-hours 12] [--episodes 60]`:
 * the pre-filter as a new installation would run it, on every corpus of a generator × each seed:
 * the bundled generator's mixes (fleet/sample/mixes/), or the profiles of the independent simulator
 * (training/simulator/, written without sight of the features or the bundled generator; its
 * profiles set their own episodes, `--episodes` is the bundled generator's). Each corpus covers
 * `hours` of traffic, is trained on its first `train-hours` (everything in them, attacks included:
 * an installation does not know its labels), with the shipped policy's budget and floor and no
 * tuning per corpus, and judged on the rest. Prints, per corpus, the mean and the worst case over
 * the seeds, next to "every Warning and above" on the same events, then the worst case of all.
 */
const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, "").split("=") as [string, string]));
const generator = args.get("generator") ?? "bundled";
const seeds = (args.get("seeds") ?? "1,2,3").split(",").map(Number);
const hours = Number(args.get("hours") ?? 24);
const trainHours = Number(args.get("train-hours") ?? 12);
const episodes = Number(args.get("episodes") ?? 60);
const simulator = join(packageRoot, "training", "simulator", "simulate.py");

/** A labelled corpus written to disk: falcosidekick's JSON lines and a label per event. */
interface Corpus {
  name: string;
  events: string;
  labels: string;
  benign: number;
}

interface Run {
  mix: string;
  seed: number;
  benign: number;
  forwarded: number;
  floor: number;
  caught: number;
  delay: number | null;
  baselineForwarded: number;
  baselineCaught: number;
}

const hoursOf = (corpus: { event: { time: string } }[]) =>
  (Date.parse(corpus.at(-1)?.event.time ?? "") - Date.parse(corpus[0]?.event.time ?? "")) / 3.6e6;
const share = (part: number, whole: number) => (whole === 0 ? 0 : part / whole);
const pct = (x: number) => `${(100 * x).toFixed(2)} %`;

/** One of the bundled generator's mixes, as many benign events as `hours` of it holds. */
function bundled(mixPath: string, seed: number, dir: string): Corpus {
  const mix = readMix(mixPath);
  // Its rate varies over the day, so measured on a corpus about that long (a few rounds converge).
  let benign = 20_000;
  for (let round = 0; round < 4; round++) {
    const sample = generateCorpus({ seed, benign, episodes: 0, start: DEFAULT_CORPUS_START, mix });
    benign = Math.round((benign * hours) / hoursOf(sample));
  }
  const corpus = generateCorpus({ seed, benign, episodes, start: DEFAULT_CORPUS_START, mix });
  const events = join(dir, "events.jsonl");
  const labels = join(dir, "labels.jsonl");
  writeFileSync(events, corpus.map((c) => toJsonLine(c.event)).join("\n"));
  writeFileSync(labels, corpus.map((c) => JSON.stringify({ uuid: c.event.uuid, label: c.label })).join("\n"));
  return { name: mix.name, events, labels, benign };
}

/** One of the independent simulator's profiles, `hours` of it. */
function simulated(profile: string, seed: number, dir: string): Corpus {
  const [events, labels] = [join(dir, "events.jsonl"), join(dir, "labels.jsonl")];
  const flags = ["--profile", profile, "--seed", String(seed), "--hours", String(hours)];
  execFileSync("python3", [simulator, ...flags, "--out", events, "--labels", labels]);
  const benign = readFileSync(labels, "utf8")
    .split("\n")
    .filter((l) => l.includes('"benign"')).length;
  return { name: profile, events, labels, benign };
}

function run(write: (dir: string) => Corpus, seed: number): Run {
  const dir = mkdtempSync(join(tmpdir(), "soc-mix-"));
  try {
    const corpus = write(dir);
    const e = evaluate(corpus.events, corpus.labels, { forwarding: shippedForwarding(), trainHours });
    const of = (x: Economy) => ({
      forwarded: share(x.benign_forwarded, x.benign_events),
      caught: share(x.episodes_detected, x.episodes),
    });
    return {
      mix: corpus.name,
      seed,
      benign: corpus.benign,
      ...of(e.model),
      floor: share(e.model.benign_floor, e.model.benign_events),
      delay: e.model.delay_seconds.median,
      baselineForwarded: of(e.baseline_warning).forwarded,
      baselineCaught: of(e.baseline_warning).caught,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const mixDir = join(packageRoot, "fleet", "sample", "mixes");
const corpora: [string, (seed: number, dir: string) => Corpus][] =
  generator === "simulator"
    ? execFileSync("python3", [simulator, "--list-profiles"], { encoding: "utf8" })
        .split("\n")
        .map((line) => line.trim().split(/\s+/)[0] ?? "")
        .filter(Boolean)
        .map((profile) => [profile, (seed, dir) => simulated(profile, seed, dir)])
    : readdirSync(mixDir)
        .filter((f) => f.endsWith(".json"))
        .sort()
        .map((file) => [file, (seed, dir) => bundled(join(mixDir, file), seed, dir)]);
const runs: Run[] = [];
for (const [, write] of corpora) {
  for (const seed of seeds) {
    const r = run((dir) => write(seed, dir), seed);
    runs.push(r);
    console.error(
      `${r.mix} seed ${String(seed)}, ${String(r.benign)} benign events: benign forwarded ${pct(r.forwarded)} (floor ${pct(r.floor)}), episodes ${pct(r.caught)}`,
    );
  }
}

const budget = shippedForwarding().budget;
console.log(
  `pre-filter across the ${generator === "simulator" ? "independent simulator's profiles" : `bundled generator's mixes, ${String(episodes)} episodes per corpus`}: ${String(hours)} h per corpus, trained on its first ${String(trainHours)} h, budget ${String(budget)} and the shipped floor, seeds ${seeds.join(", ")}`,
);
console.log(
  "mix              benign forwarded (mean / worst)   of which floor   episodes caught (mean / worst)   delay median   | Warning+: forwarded, caught",
);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const line = (name: string, rs: Run[]) => {
  const delays = rs.flatMap((r) => (r.delay === null ? [] : [r.delay]));
  console.log(
    `${name.padEnd(16)} ${pct(mean(rs.map((r) => r.forwarded))).padStart(8)} / ${pct(Math.max(...rs.map((r) => r.forwarded))).padStart(8)}       ` +
      `${pct(mean(rs.map((r) => r.floor))).padStart(8)}      ${pct(mean(rs.map((r) => r.caught))).padStart(8)} / ${pct(Math.min(...rs.map((r) => r.caught))).padStart(8)}        ` +
      (delays.length ? `${mean(delays).toFixed(0)} s` : "-").padStart(8) +
      `       | ${pct(mean(rs.map((r) => r.baselineForwarded)))}, ${pct(mean(rs.map((r) => r.baselineCaught)))}`,
  );
};
for (const name of [...new Set(runs.map((r) => r.mix))])
  line(
    name,
    runs.filter((r) => r.mix === name),
  );
line("all (worst case)", runs);
