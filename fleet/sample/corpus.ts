/**
 * Writes a labelled corpus: Falco alerts in falcosidekick's JSON lines, and their labels. After
 * `npm run build`, from the repository root:
 *
 *   node dist/fleet/sample/corpus.js --seed 7 --benign 100000 --episodes 60 \
 *     --out events.jsonl --labels labels.jsonl [--start 2026-11-23T00:00:00Z]
 *
 * Label lines are {"uuid": …, "label": "benign" | "ep-0007-memfd" | …}, one per alert, in the same
 * order. The same arguments always write the same bytes. The alerts are built and written one at a
 * time, so a corpus of millions of alerts needs no more memory than its plan.
 */
import { closeSync, openSync, writeSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { toJsonLine } from "./alert.js";
import { DEFAULT_CORPUS_START, corpusItems, type CorpusOptions } from "./generate-corpus.js";

const USAGE =
  "usage: corpus.js --seed N --benign N --episodes N --out events.jsonl --labels labels.jsonl [--start ISO-8601]";

export interface CorpusArgs extends CorpusOptions {
  out: string;
  labels: string;
}

/** The options, or what is wrong with the arguments. */
export function parseArgs(args: readonly string[]): CorpusArgs | string {
  const values = new Map<string, string>();
  for (let i = 0; i < args.length; i += 2) {
    const [flag, value] = [args[i] ?? "", args[i + 1]];
    const known = ["--seed", "--benign", "--episodes", "--out", "--labels", "--start"];
    if (!known.includes(flag)) return `unknown argument ${flag}`;
    if (value === undefined || value.startsWith("--")) return `${flag} needs a value`;
    values.set(flag, value);
  }
  const integer = (flag: string): number | string => {
    const text = values.get(flag);
    if (text === undefined) return `${flag} is required`;
    return /^-?\d+$/.test(text) ? Number(text) : `${flag} must be an integer, not ${text}`;
  };
  const [seed, benign, episodes] = [integer("--seed"), integer("--benign"), integer("--episodes")];
  if (typeof seed === "string") return seed;
  if (typeof benign === "string") return benign;
  if (typeof episodes === "string") return episodes;
  const out = values.get("--out");
  const labels = values.get("--labels");
  if (out === undefined || labels === undefined) return "--out and --labels are required";
  const startText = values.get("--start");
  const start = startText === undefined ? DEFAULT_CORPUS_START : new Date(startText);
  if (Number.isNaN(start.getTime())) return `--start is not a date: ${startText ?? ""}`;
  return { seed, benign, episodes, start, out: resolve(out), labels: resolve(labels) };
}

/** Appends text in large writes; the corpus is too big to build as one string. */
class Sink {
  readonly #fd: number;
  #pending = "";

  constructor(path: string) {
    this.#fd = openSync(path, "w");
  }

  write(text: string): void {
    this.#pending += text;
    if (this.#pending.length >= 1 << 20) this.flush();
  }

  flush(): void {
    writeSync(this.#fd, this.#pending);
    this.#pending = "";
  }

  close(): void {
    this.flush();
    closeSync(this.#fd);
  }
}

/** Writes the corpus and its labels; returns how many alerts and episodes were written. */
export function writeCorpus(args: CorpusArgs): { alerts: number; episodes: number } {
  const events = new Sink(args.out);
  const labels = new Sink(args.labels);
  const episodes = new Set<string>();
  let alerts = 0;
  try {
    for (const { event, label } of corpusItems(args)) {
      events.write(`${toJsonLine(event)}\n`);
      labels.write(`${JSON.stringify({ uuid: event.uuid, label })}\n`);
      if (label !== "benign") episodes.add(label);
      alerts++;
    }
  } finally {
    events.close();
    labels.close();
  }
  return { alerts, episodes: episodes.size };
}

function main(argv: readonly string[]): number {
  const args = parseArgs(argv);
  if (typeof args === "string") {
    console.error(`${args}\n${USAGE}`);
    return 2;
  }
  try {
    const { alerts, episodes } = writeCorpus(args);
    console.log(`wrote ${alerts} alerts (${args.benign} benign, ${episodes} episodes) to ${args.out}`);
    return 0;
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    return 1;
  }
}

// Run only as a script, so tests can import writeCorpus without writing anything.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = main(process.argv.slice(2));
}
