/**
 * Writes a labelled corpus (generate-corpus.ts) as the training and the evaluation read it:
 * falcosidekick JSON lines in time order, and labels as lines {"uuid": …, "label": …}. After
 * `npm run build`:
 *
 *   node dist/fleet/sample/write-corpus.js <dir> [--seed 7] [--benign 100000] [--episodes 60] [--mix mix.json]
 *
 * A mix (mix.ts; fleet/sample/mixes/ has five) says which workload profiles run, how many copies
 * of each, and which attack kinds the episodes rotate through; the default is one of each.
 * writes <dir>/events.jsonl and <dir>/labels.jsonl. The committed model is trained on seed 7;
 * the benchmark evaluates on seed 11, so the model never sees the events it is judged on.
 */
import { once } from "node:events";
import { createWriteStream, mkdirSync } from "node:fs";
import { join } from "node:path";
import { toJsonLine } from "./alert.js";
import { corpusItems, DEFAULT_CORPUS_START } from "./generate-corpus.js";
import { DEFAULT_MIX, readMix } from "./mix.js";

export const TRAINING_SEED = 7;

async function main(args: readonly string[]): Promise<number> {
  const option = (name: string, fallback: number): number => {
    const at = args.indexOf(`--${name}`);
    const value = at < 0 ? fallback : Number(args[at + 1]);
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`--${name} must be an integer ≥ 0`);
    return value;
  };
  const dir = args.find((arg, i) => !arg.startsWith("-") && !args[i - 1]?.startsWith("--"));
  if (dir === undefined) {
    console.error(
      "usage: write-corpus.js <dir> [--seed 7] [--benign 100000] [--episodes 60] [--mix mix.json]",
    );
    return 2;
  }
  const mixAt = args.indexOf("--mix");
  const mix = mixAt < 0 ? DEFAULT_MIX : readMix(args[mixAt + 1] ?? "");
  const seed = option("seed", TRAINING_SEED);
  const benign = option("benign", 100_000);
  const episodes = option("episodes", 60);
  mkdirSync(dir, { recursive: true });
  const events = createWriteStream(join(dir, "events.jsonl"));
  const labels = createWriteStream(join(dir, "labels.jsonl"));
  let count = 0;
  for (const { event, label } of corpusItems({ seed, benign, episodes, start: DEFAULT_CORPUS_START, mix })) {
    const a = events.write(`${toJsonLine(event)}\n`);
    const b = labels.write(`${JSON.stringify({ uuid: event.uuid, label })}\n`);
    if (!a) await once(events, "drain");
    if (!b) await once(labels, "drain");
    count++;
  }
  await Promise.all([events, labels].map((s) => new Promise((resolve) => s.end(resolve))));
  console.error(
    `wrote ${count} events (mix ${mix.name}, seed ${seed}, ${benign} benign, ${episodes} episodes) to ${dir}`,
  );
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
