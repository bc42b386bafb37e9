/**
 * Writes fleet/sample/falco-events.jsonl from the generator, so the committed file is never edited
 * by hand. After `npm run build`, from the repository root:
 *
 *   node dist/fleet/sample/write.js            # rewrite the file
 *   node dist/fleet/sample/write.js --check    # exit 1 if the file is stale
 *   node dist/fleet/sample/write.js other.jsonl
 *
 * generate.test.ts asserts the same equality; --check is for pipelines that build but skip tests.
 * The path is taken from the working directory, not from this file's location, because the compiled
 * script lives under dist/ while the data file lives next to the sources.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { toJsonl } from "./alert.js";
import { generateSample, SAMPLE_SEED, SAMPLE_START } from "./generate.js";

const DEFAULT_PATH = "fleet/sample/falco-events.jsonl";

function main(args: readonly string[]): number {
  const check = args.includes("--check");
  const unknown = args.filter((arg) => arg.startsWith("-") && arg !== "--check");
  if (unknown.length > 0) {
    console.error(`unknown option ${unknown.join(" ")}; usage: write.js [--check] [path]`);
    return 2;
  }
  const path = resolve(args.find((arg) => !arg.startsWith("-")) ?? DEFAULT_PATH);
  const text = toJsonl(generateSample({ seed: SAMPLE_SEED, start: SAMPLE_START }));

  if (!check) {
    writeFileSync(path, text);
    console.log(`wrote ${text.split("\n").length - 1} alerts to ${path}`);
    return 0;
  }
  let current: string;
  try {
    current = readFileSync(path, "utf8");
  } catch {
    console.error(`${path} is missing; run node dist/fleet/sample/write.js`);
    return 1;
  }
  if (current !== text) {
    console.error(`${path} differs from the generator's output; run node dist/fleet/sample/write.js`);
    return 1;
  }
  console.log(`${path} is up to date`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
