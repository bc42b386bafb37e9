import { createWriteStream } from "node:fs";
import { join } from "node:path";
import { toJsonLine } from "../fleet/sample/alert.js";
import { corpusItems, DEFAULT_CORPUS_START } from "../fleet/sample/generate-corpus.js";

/**
 * The generated corpus written as `soc prefilter eval` reads it: events.jsonl (falcosidekick's
 * form) and labels.jsonl (uuid → benign or episode) in `dir`.
 */
export async function writeLabelledCorpus(
  dir: string,
  { seed, benign, episodes }: { seed: number; benign: number; episodes: number },
): Promise<{ eventsPath: string; labelsPath: string; count: number }> {
  const eventsPath = join(dir, "events.jsonl");
  const labelsPath = join(dir, "labels.jsonl");
  const events = createWriteStream(eventsPath);
  const labels = createWriteStream(labelsPath);
  let count = 0;
  for (const { event, label } of corpusItems({ seed, benign, episodes, start: DEFAULT_CORPUS_START })) {
    events.write(`${toJsonLine(event)}\n`);
    labels.write(`${JSON.stringify({ uuid: event.uuid, label })}\n`);
    count++;
  }
  await Promise.all([events, labels].map((s) => new Promise((resolve) => s.end(resolve))));
  return { eventsPath, labelsPath, count };
}
