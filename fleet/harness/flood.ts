import { fileURLToPath } from "node:url";
import { startJudge } from "../../agents/prefilter/judge.js";
import { Pipeline } from "../../agents/prefilter/pipeline.js";
import { offlineComponent } from "../../runtime/component.js";
import { shippedScorer } from "../evaluation/policy-settings.js";

/** What a flood cost the process: the most RSS seen, and how much of the flood the judge took. */
export interface FloodFigures {
  events: number;
  selected: number;
  rejected: number;
  rssBeforeBytes: number;
  rssMaxBytes: number;
  seconds: number;
}

const BATCH = 1_000;

/**
 * A flood of valid Falco events that all differ where the prefilter keeps state: every event a pod,
 * a container and a process name of its own, in one of `images` images (each a stream), one of 200
 * rules, the uuid fresh. Built from one template, so generating it costs little next to judging it.
 */
function* flood(events: number, images: number): Generator<Buffer[]> {
  const start = Date.parse("2026-11-24T09:00:00Z");
  for (let i = 0; i < events; i += BATCH) {
    const batch: Buffer[] = [];
    for (let k = i; k < Math.min(events, i + BATCH); k++) {
      const event = {
        uuid: `flood-${String(k)}`,
        time: new Date(start + k).toISOString(),
        rule: `Flood rule ${String(k % 200)}`,
        priority: "Notice",
        source: "syscall",
        tags: ["container", "mitre_execution"],
        hostname: `node-${String(k % 50)}`,
        output: `flood ${String(k)}`,
        output_fields: {
          "k8s.ns.name": "flood",
          "k8s.pod.name": `pod-${String(k)}`,
          "container.id": `c${k.toString(16).padStart(11, "0")}`,
          "container.image.repository": `registry.example/flood/image-${String(k % images)}`,
          "proc.name": `proc-${String(k)}`,
          "proc.pname": `parent-${String(k % 1_000)}`,
          "proc.cmdline": `proc-${String(k)} --flag ${String(k)}`,
        },
      };
      batch.push(Buffer.from(JSON.stringify(event)));
    }
    yield batch;
  }
}

/**
 * The prefilter's judge as it runs (its own thread, the shipped model at the shipped policy's
 * forwarding), fed a flood through the Kafka consumer's path (`Pipeline.judgeBatch`), with the
 * process's RSS sampled every 50 ms. Forwards go nowhere: what is measured is the state a flood
 * leaves behind, which every store's capacity bounds (agents/prefilter/features/features.md).
 */
export async function runFlood(events: number, images: number): Promise<FloodFigures> {
  const stops: (() => Promise<void> | void)[] = [];
  const component = offlineComponent("prefilter", { logLevel: "error", onStop: (stop) => stops.push(stop) });
  const judge = await startJudge(component, {
    scorer: shippedScorer(),
  });
  const pipeline = new Pipeline(component, judge, {
    call: () => Promise.reject(new Error("no coordinator")),
  });
  const rssBeforeBytes = process.memoryUsage.rss();
  let rssMaxBytes = rssBeforeBytes;
  const sampler = setInterval(() => {
    rssMaxBytes = Math.max(rssMaxBytes, process.memoryUsage.rss());
  }, 50);
  const started = performance.now();
  let selected = 0;
  let rejected = 0;
  try {
    for (const batch of flood(events, images)) {
      const judged = await pipeline.judgeBatch(batch);
      selected += judged.selected.length;
      rejected += judged.rejected.length;
      // Told at once that each selected event went nowhere, as a failed forward would be.
      for (const { event } of judged.selected) await judge.call("settled", [event.event_id, true]);
    }
  } finally {
    clearInterval(sampler);
    rssMaxBytes = Math.max(rssMaxBytes, process.memoryUsage.rss());
    for (const stop of stops.reverse()) await stop();
  }
  return {
    events,
    selected,
    rejected,
    rssBeforeBytes,
    rssMaxBytes,
    seconds: (performance.now() - started) / 1000,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const option = (name: string, fallback: number) => {
    const given = process.argv.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3);
    const value = given === undefined ? fallback : Number(given);
    if (!Number.isSafeInteger(value) || value < 1) {
      process.stderr.write(`usage: node dist/fleet/harness/flood.js [--events=N] [--images=N]\n`);
      process.exit(2);
    }
    return value;
  };
  const figures = await runFlood(option("events", 1_000_000), option("images", 20_000));
  process.stdout.write(`${JSON.stringify(figures)}\n`);
  process.exit(0);
}
