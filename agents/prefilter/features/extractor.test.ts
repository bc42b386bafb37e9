import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { FalcoEvent } from "../../../contracts/falco.js";
import { falcoEvent, type Spec } from "./fixture.js";
import { FEATURE_COUNT, FeatureExtractor, POD_IDLE_MS } from "./index.js";
import { RARITY_IDLE_MS } from "./rarity.js";
import { streamKey } from "./stream.js";

/** Properties of the extractor as a whole: deterministic, always finite, bounded in memory. */

const sampleUrl = new URL("../../../fleet/sample/falco-events.jsonl", import.meta.url);
const sample = readFileSync(sampleUrl, "utf8")
  .trimEnd()
  .split("\n")
  .map((line) => FalcoEvent.parse(JSON.parse(line)));

function vectors(events: readonly FalcoEvent[], extractor = new FeatureExtractor()): Float64Array[] {
  return events.map((event) => {
    const out = new Float64Array(FEATURE_COUNT);
    extractor.extract(event, out);
    return out;
  });
}

/** A seeded stream of odd events: missing fields, hostile strings, unusual types. */
function fuzz(count: number, seed: number, stepMs = 37): FalcoEvent[] {
  let state = seed;
  const next = () => {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    return state / 4_294_967_296;
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const values = [null, "", "<NA>", "host", "\u0000", "x".repeat(5000), "é漢😀", 0, -1, 1e308, true, "NaN"];
  const names = ["container.id", "k8s.ns.name", "k8s.pod.name", "proc.name", "proc.pname", "proc.cmdline"];
  const more = ["proc.exepath", "proc.tty", "user.uid", "user.name", "fd.name", "container.image.repository"];
  return Array.from({ length: count }, (_, i) => {
    const fields: Spec["fields"] = {};
    for (const name of [...names, ...more]) if (next() < 0.7) fields[name] = pick(values);
    const tags = [pick(["mitre_execution", "TA0003", "k8s", "T1059", "MITRE_IMPACT", ""])];
    return falcoEvent({ at: i * stepMs, rule: pick(["A", "B", "x".repeat(500)]), tags, fields });
  });
}

describe("FeatureExtractor", () => {
  it("gives the same vectors for the same stream, however often it is replayed", () => {
    const first = vectors(sample);
    const second = vectors(sample);
    expect(second).toEqual(first);
    // Not trivially equal: the windows make vectors differ between events of one stream.
    expect(new Set(first.map((v) => v.join(","))).size).toBeGreaterThan(sample.length / 2);
  });

  it("depends on event time only: a stream replayed a day later gives the same vectors", () => {
    const shifted = sample.map((event) => {
      const time = new Date(Date.parse(event.time) + 86_400_000).toISOString();
      return { ...event, time };
    });
    expect(vectors(shifted)).toEqual(vectors(sample));
  });

  it("gives an event the same vector whatever other streams its process reads, and however it interleaves them", () => {
    // Late events too (each stream's clock is its own), and 31 hours of fuzz: past every idle limit.
    const fuzzed = fuzz(3000, 5, 37_000);
    const late = fuzzed.slice(-40).map((event) => {
      const time = new Date(Date.parse(event.time) - 10 * 60_000).toISOString();
      return { ...event, time };
    });
    const events = [...sample, ...fuzzed, ...late].map((event, i) => ({ ...event, uuid: `${i}` }));
    const alone = new Map<string, Float64Array>();
    vectors(events).forEach((vector, i) => alone.set(`${i}`, vector));
    // Four partitions by stream, as the keyed topic has them.
    const partitions = Array.from({ length: 4 }, () => [] as FalcoEvent[]);
    for (const event of events) {
      const key = streamKey(event.output_fields, event.hostname);
      let hash = 0;
      for (let i = 0; i < key.length; i++) hash = (Math.imul(hash, 31) + key.charCodeAt(i)) >>> 0;
      partitions[hash % 4]?.push(event);
    }
    expect(partitions.every((partition) => partition.length > 0)).toBe(true);
    let state = 7;
    const random = () => (state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0);
    for (const processes of [1, 2, 4]) {
      for (let j = 0; j < processes; j++) {
        // One process reads its partitions in turn, as a consumer's fetches do: as many events of
        // each (up to 400, hours of event time), so a sparse partition runs far ahead of a dense one.
        const mine = partitions.filter((_, p) => p % processes === j);
        const extractor = new FeatureExtractor();
        const next = mine.map(() => 0);
        for (let turn = 0, size = 0; mine.some((partition, k) => (next[k] ?? 0) < partition.length); turn++) {
          const k = turn % mine.length;
          if (k === 0) size = 1 + (random() % 400);
          for (let run = size; run > 0 && (next[k] ?? 0) < (mine[k]?.length ?? 0); run--) {
            const event = mine[k]?.[next[k] ?? 0] as FalcoEvent;
            next[k] = (next[k] ?? 0) + 1;
            const out = new Float64Array(FEATURE_COUNT);
            extractor.extract(event, out);
            expect(out, `event ${event.uuid}, ${processes} process(es)`).toEqual(alone.get(event.uuid ?? ""));
          }
        }
      }
    }
  });

  it("never writes NaN or an infinity, even for hostile or empty fields", () => {
    const out = new Float64Array(FEATURE_COUNT).fill(Number.NaN);
    const extractor = new FeatureExtractor();
    const bad: string[] = [];
    for (const event of [...fuzz(3000, 7), ...sample]) {
      out.fill(Number.NaN);
      extractor.extract(event, out);
      if (!out.every(Number.isFinite)) bad.push(`${out.join(",")} ${JSON.stringify(event.output_fields)}`);
    }
    expect(bad).toEqual([]);
  });

  it("caps every store at its capacity under a flood of new pods, images, processes and rules", () => {
    const capacity = { pods: 64, containers: 64, rules: 64, images: 64, processes: 128, pairs: 128 };
    const extractor = new FeatureExtractor({ capacity });
    const out = new Float64Array(FEATURE_COUNT);
    const over: string[] = [];
    for (let i = 0; i < 5000; i++) {
      const fields = {
        "k8s.pod.name": `pod-${i}`,
        "container.id": `c${i}`,
        "container.image.repository": `img-${i % 500}`,
        "proc.name": `p${i}`,
        "proc.pname": `q${i}`,
      };
      extractor.extract(falcoEvent({ at: i, rule: `rule-${i}`, fields }), out);
      const sizes = extractor.sizes();
      for (const key of Object.keys(capacity) as (keyof typeof capacity)[]) {
        if (sizes[key] > capacity[key]) over.push(`${key} ${sizes[key]} after ${i}`);
      }
    }
    expect(over).toEqual([]);
    expect(extractor.sizes().pods).toBeGreaterThan(32); // shedding keeps most of the recent ones
  });

  it("keeps the most recently active pod when it sheds", () => {
    const extractor = new FeatureExtractor({ capacity: { pods: 16 } });
    const out = new Float64Array(FEATURE_COUNT);
    const rateIndex = 4;
    for (let i = 0; i < 200; i++) {
      extractor.extract(falcoEvent({ at: 2 * i, fields: { "k8s.pod.name": "busy" } }), out);
      extractor.extract(falcoEvent({ at: 2 * i + 1, fields: { "k8s.pod.name": `once-${i}` } }), out);
    }
    extractor.extract(falcoEvent({ at: 401, fields: { "k8s.pod.name": "busy" } }), out);
    expect(out[rateIndex]).toBe(201);
  });

  it("forgets idle keys, so memory follows the active workload and not its history", () => {
    const extractor = new FeatureExtractor();
    const out = new Float64Array(FEATURE_COUNT);
    for (let i = 0; i < 2000; i++) {
      const fields = { "k8s.pod.name": `job-${i}`, "container.id": `c${i}`, "proc.name": `p${i % 300}` };
      extractor.extract(falcoEvent({ at: i * 1000, rule: `r${i % 50}`, fields }), out);
    }
    expect(extractor.sizes().pods).toBe(2000);
    const later = 2000 * 1000 + Math.max(POD_IDLE_MS, RARITY_IDLE_MS) + 120_000;
    // Stores are swept in turn, one a minute: five minutes of events sweep them all.
    for (let k = 0; k < 5; k++) extractor.extract(falcoEvent({ at: later + k * 60_000 }), out);
    expect(extractor.sizes()).toEqual({
      streams: 1,
      pods: 1,
      containers: 1,
      rules: 1,
      images: 1,
      processes: 1,
      pairs: 1,
    });
  });
});
