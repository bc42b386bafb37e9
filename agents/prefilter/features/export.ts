/**
 * Feature export for training: Falco events (JSON lines, in time order) to CSV, through the same
 * FeatureExtractor the live prefilter scores with. After `npm run build`:
 *
 *   node dist/agents/prefilter/features/export.js events.jsonl [--labels labels.jsonl] > features.csv
 *
 * The header is FEATURE_NAMES (then `label` with --labels); one row per event in input order,
 * each value printed with String(), which round-trips a double exactly. Events the prefilter would
 * refuse (bad JSON, not a Falco event) or drop as duplicates (a uuid seen before) get no row, as
 * they get no score: a note on stderr says which lines. With --labels, every event needs its uuid
 * in the labels file (lines {"uuid": …, "label": …}); a missing one stops the export, because a
 * silently unlabelled row would be training data with a wrong answer.
 *
 * Analysts' decisions label events too (features/feedback.ts): `--feedback feedback.jsonl` (the
 * coordinator's `$SOC_HOME/feedback.jsonl`; repeatable) and `--feedback-brokers host:port,…` (the
 * `soc.feedback` topic). An event they label gets `feedback:benign` or `feedback:malicious`,
 * whatever --labels says; matched by uuid, or for Falco's own events without one by the id the
 * prefilter gives them (event-id.ts). Without --labels the other events are left unlabelled.
 */
import { once } from "node:events";
import { createReadStream, readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";
import { FalcoEvent, eventIdOf } from "../../../contracts/falco.js";
import { KafkaConfig } from "../../../contracts/config.js";
import { loadConfig } from "../../../runtime/config.js";
import { feedbackLabels, parseFeedback, readFeedbackTopic } from "./feedback.js";
import { FEATURE_COUNT, FEATURE_NAMES, FeatureExtractor } from "./index.js";

const USAGE =
  "usage: export.js <events.jsonl> [--labels labels.jsonl] [--feedback feedback.jsonl]… [--feedback-brokers host:port,…] > features.csv";

export interface ExportResult {
  rows: number;
  skipped: number;
  /** Rows labelled by analysts' feedback. */
  feedback: number;
}

/** RFC 4180 quoting, for labels only: feature values are plain numbers. */
function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** uuid → label from JSON lines `{"uuid": …, "label": …}`. */
export function parseLabels(text: string): Map<string, string> {
  const labels = new Map<string, string>();
  for (const [index, line] of text.split("\n").entries()) {
    if (line.trim() === "") continue;
    const entry: unknown = JSON.parse(line);
    const { uuid, label } = (entry ?? {}) as { uuid?: unknown; label?: unknown };
    if (typeof uuid !== "string" || typeof label !== "string") {
      throw new Error(`labels line ${index + 1}: expected {"uuid": string, "label": string}`);
    }
    labels.set(uuid, label);
  }
  return labels;
}

/**
 * Writes the CSV for `lines` through `write` (which may return a promise to apply backpressure);
 * `warn` gets one note per skipped line.
 */
export async function exportFeatures(
  lines: AsyncIterable<string> | Iterable<string>,
  labels: ReadonlyMap<string, string> | null,
  write: (chunk: string) => unknown,
  warn: (note: string) => void = () => undefined,
  feedback: ReadonlyMap<string, string> | null = null,
): Promise<ExportResult> {
  const extractor = new FeatureExtractor();
  const out = new Float64Array(FEATURE_COUNT);
  const seen = new Set<string>();
  const labelled = labels !== null || feedback !== null;
  let chunk = `${FEATURE_NAMES.join(",")}${labelled ? ",label" : ""}\n`;
  let rows = 0;
  let fromFeedback = 0;
  let skipped = 0;
  let number = 0;
  for await (const line of lines) {
    number++;
    if (line.trim() === "") continue;
    let parsed: ReturnType<typeof FalcoEvent.safeParse>;
    try {
      parsed = FalcoEvent.safeParse(JSON.parse(line));
    } catch {
      warn(`line ${number}: not JSON, skipped`);
      skipped++;
      continue;
    }
    if (!parsed.success) {
      const reason = parsed.error.issues.map((i) => `${i.path.join(".") || "event"}: ${i.message}`);
      warn(`line ${number}: not a Falco event (${reason.join("; ")}), skipped`);
      skipped++;
      continue;
    }
    const event = parsed.data;
    if (event.uuid !== undefined) {
      if (seen.has(event.uuid)) {
        warn(`line ${number}: duplicate uuid ${event.uuid}, skipped`);
        skipped++;
        continue;
      }
      seen.add(event.uuid);
    }
    let label = "";
    const decided = feedback?.get(eventIdOf(event));
    if (decided !== undefined) {
      label = `,${csvField(decided)}`;
      fromFeedback++;
    } else if (labels !== null) {
      const found = event.uuid === undefined ? undefined : labels.get(event.uuid);
      if (found === undefined) throw new Error(`line ${number}: no label for uuid ${event.uuid ?? "(none)"}`);
      label = `,${csvField(found)}`;
    } else if (labelled) {
      label = ",";
    }
    extractor.extract(event, out);
    let row = String(out[0]);
    for (let i = 1; i < FEATURE_COUNT; i++) row += `,${String(out[i])}`;
    chunk += `${row}${label}\n`;
    rows++;
    if (chunk.length >= 1 << 16) {
      await write(chunk);
      chunk = "";
    }
  }
  if (chunk !== "") await write(chunk);
  return { rows, skipped, feedback: fromFeedback };
}

async function writeStdout(chunk: string): Promise<void> {
  if (!process.stdout.write(chunk)) await once(process.stdout, "drain");
}

/** The value after each occurrence of `name`; null when one has none. */
function values(args: readonly string[], name: string): string[] | null {
  const found: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] !== name) continue;
    const value = args[i + 1];
    if (value === undefined || value.startsWith("-")) return null;
    found.push(value);
    i++;
  }
  return found;
}

async function main(args: readonly string[]): Promise<number> {
  const options = ["--labels", "--feedback", "--feedback-brokers"];
  const [labelsPaths, feedbackPaths, brokers] = options.map((name) => values(args, name));
  const rest = args.filter((arg, i) => !options.includes(arg) && !options.includes(args[i - 1] ?? ""));
  const eventsPath = rest[0];
  if (
    !labelsPaths ||
    !feedbackPaths ||
    !brokers ||
    labelsPaths.length > 1 ||
    eventsPath === undefined ||
    rest.length > 1 ||
    eventsPath.startsWith("-")
  ) {
    console.error(USAGE);
    return 2;
  }
  try {
    const labelsPath = labelsPaths[0];
    const labels = labelsPath === undefined ? null : parseLabels(readFileSync(labelsPath, "utf8"));
    const decisions = feedbackPaths.flatMap((path) => parseFeedback(readFileSync(path, "utf8")));
    // TLS and SASL as every Kafka client of the fleet reads them (KAFKA_TLS, KAFKA_SASL_…).
    const kafka = brokers.length > 0 ? loadConfig(KafkaConfig) : null;
    for (const list of brokers)
      decisions.push(...(await readFeedbackTopic({ ...kafka, brokers: list.split(",") })));
    const feedback = feedbackPaths.length + brokers.length > 0 ? feedbackLabels(decisions) : null;
    const lines = createInterface({ input: createReadStream(eventsPath), crlfDelay: Infinity });
    const result = await exportFeatures(lines, labels, writeStdout, (note) => console.error(note), feedback);
    console.error(
      `exported ${result.rows} events, skipped ${result.skipped}` +
        (feedback ? `; ${feedback.size} analyst labels, ${result.feedback} of them on exported events` : ""),
    );
    return 0;
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    return 1;
  }
}

// Run only as a script, so tests can import exportFeatures without starting an export.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
