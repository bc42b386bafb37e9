import { draftException, exceptionCondition } from "../agents/rules/exceptions.js";
import { evaluate, type Fields } from "../agents/rules/evaluate.js";
import { corpusRules, ruleNoise } from "../fleet/evaluation/rule-noise.js";
import { corpusItems, DEFAULT_CORPUS_START } from "../fleet/sample/generate-corpus.js";

/**
 * `node dist/bench/rules.js`: detection engineering on the generated corpus.
 * 1. After analysts dismiss the benign cases of one day (every event at Warning or above), the share
 *    of the next day's benign cases the exceptions drafted from them spare, and the attack episodes
 *    still caught (all of them, or the exceptions are wrong): three seeds, and the worst.
 * 2. Replay speed: events per second through an official rule's condition (macros and lists
 *    expanded) and through a drafted exception.
 */
const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, "").split("=") as [string, string]));
const seeds = (args.get("seeds") ?? "11,23,37").split(",").map(Number);
const benign = Number(args.get("benign") ?? 80_000);
const episodes = Number(args.get("episodes") ?? 24);

const rules = corpusRules();

console.log(`corpus: ${String(benign)} benign events (two days), ${String(episodes)} attack episodes`);
console.log("seed  cases day 1 (benign/attack)  drafted  refused  next day's benign spared  episodes caught");
const results = seeds.map((seed) => {
  const items = [...corpusItems({ seed, benign, episodes, start: DEFAULT_CORPUS_START })];
  const noise = ruleNoise(items, rules);
  console.log(
    `${String(seed).padEnd(5)} ${`${String(noise.cases.first.benign)}/${String(noise.cases.first.attack)}`.padEnd(27)} ${String(noise.drafted).padEnd(8)} ${String(noise.refused).padEnd(8)} ${`${(100 * noise.suppressedShare).toFixed(1)} % of ${String(noise.cases.next.benign)}`.padEnd(25)} ${String(noise.episodes.caughtAfter)}/${String(noise.episodes.total)}${noise.sparedAttacks.length ? ` (spared: ${noise.sparedAttacks.join(", ")})` : ""}`,
  );
  return { noise, items };
});
const worst = results.reduce((a, b) => (a.noise.suppressedShare <= b.noise.suppressedShare ? a : b)).noise;
const missed = results.reduce((n, r) => n + r.noise.episodes.total - r.noise.episodes.caughtAfter, 0);
console.log(
  `worst: ${(100 * worst.suppressedShare).toFixed(1)} % of the next day's benign cases spared; episodes missed after the exceptions: ${String(missed)}`,
);

// Replay speed, on every event of the first seed's corpus.
const events: Fields[] = (results[0]?.items ?? []).map((i) => i.event.output_fields as Fields);
const rule = rules.rules.get("Read sensitive file untrusted");
if (!rule) throw new Error("no official rule Read sensitive file untrusted");
const exception = draftException(
  "Read sensitive file untrusted",
  events.filter((e) => e["proc.name"] === events[0]?.["proc.name"]).slice(0, 5),
);
const rate = (label: string, check: (fields: Fields) => unknown) => {
  const rounds = 3;
  const started = performance.now();
  for (let r = 0; r < rounds; r++) for (const fields of events) check(fields);
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `replay ${label}: ${Math.round((rounds * events.length) / seconds).toLocaleString("en")} events/s`,
  );
};
rate(`"${rule.name}" (its whole condition)`, (fields) => evaluate(rule.condition, fields, rules));
if (exception) {
  const condition = exceptionCondition(exception);
  rate(`a drafted exception (${String(exception.fields.length)} fields)`, (fields) =>
    evaluate(condition, fields, rules),
  );
}
