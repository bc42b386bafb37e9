import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { evaluate, type Economy } from "../fleet/evaluation/prefilter.js";
import { packageRoot, shippedForwarding } from "../fleet/evaluation/policy-settings.js";
import { toJsonLine } from "../fleet/sample/alert.js";
import { DEFAULT_CORPUS_START, generateCorpus } from "../fleet/sample/generate-corpus.js";
import { readMix } from "../fleet/sample/mix.js";

/**
 * `node dist/bench/mixes.js [--seeds 1,2,3] [--hours 24] [--train-hours 12] [--episodes 60]`: the
 * pre-filter as a new installation would run it, on every corpus mix in fleet/sample/mixes/ × each
 * seed. Each corpus covers `hours` of its mix's traffic, is trained on its first `train-hours`
 * (everything in them, attacks included: an installation does not know its labels), with the
 * shipped policy's budget and floor and no tuning per mix, and judged on the rest. Prints, per mix, the mean and the worst case over the
 * seeds, next to "every Warning and above" on the same events, then the worst case of all.
 */
const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, "").split("=") as [string, string]));
const seeds = (args.get("seeds") ?? "1,2,3").split(",").map(Number);
const hours = Number(args.get("hours") ?? 24);
const trainHours = Number(args.get("train-hours") ?? 12);
const episodes = Number(args.get("episodes") ?? 60);

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

function run(mixPath: string, seed: number): Run {
  const mix = readMix(mixPath);
  const dir = mkdtempSync(join(tmpdir(), `soc-mix-${mix.name}-`));
  try {
    // As many benign events as `hours` of the mix holds: its rate varies over the day, so measured
    // on a corpus about that long (a few rounds of scaling converge).
    let benign = 20_000;
    for (let round = 0; round < 4; round++) {
      const sample = generateCorpus({ seed, benign, episodes: 0, start: DEFAULT_CORPUS_START, mix });
      benign = Math.round((benign * hours) / hoursOf(sample));
    }
    const corpus = generateCorpus({ seed, benign, episodes, start: DEFAULT_CORPUS_START, mix });
    const events = join(dir, "events.jsonl");
    const labels = join(dir, "labels.jsonl");
    writeFileSync(events, corpus.map((c) => toJsonLine(c.event)).join("\n"));
    writeFileSync(
      labels,
      corpus.map((c) => JSON.stringify({ uuid: c.event.uuid, label: c.label })).join("\n"),
    );
    const e = evaluate(events, labels, { forwarding: shippedForwarding(), trainHours });
    const of = (x: Economy) => ({
      forwarded: share(x.benign_forwarded, x.benign_events),
      caught: share(x.episodes_detected, x.episodes),
    });
    return {
      mix: mix.name,
      seed,
      benign,
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
const runs: Run[] = [];
for (const file of readdirSync(mixDir)
  .filter((f) => f.endsWith(".json"))
  .sort()) {
  for (const seed of seeds) {
    const r = run(join(mixDir, file), seed);
    runs.push(r);
    console.error(
      `${r.mix} seed ${String(seed)}, ${String(r.benign)} benign events: benign forwarded ${pct(r.forwarded)} (floor ${pct(r.floor)}), episodes ${pct(r.caught)}`,
    );
  }
}

const budget = shippedForwarding().budget;
console.log(
  `pre-filter across corpus mixes: ${String(hours)} h and ${String(episodes)} episodes per corpus, trained on its first ${String(trainHours)} h, budget ${String(budget)} and the shipped floor, seeds ${seeds.join(", ")}`,
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
