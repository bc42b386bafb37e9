import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FalcoEvent, priorityRank } from "../../contracts/falco.js";
import { nanosOf, toJsonLine, toJsonl } from "./alert.js";
import { EPISODE_KINDS } from "./attacks.js";
import { parseArgs, writeCorpus } from "./corpus.js";
import { DEFAULT_CORPUS_START, corpusItems, generateCorpus, type CorpusItem } from "./generate-corpus.js";

const options = { seed: 7, benign: 20_000, episodes: 27, start: DEFAULT_CORPUS_START };
const corpus = generateCorpus(options);
const benign = corpus.filter((item) => item.label === "benign");
const attack = corpus.filter((item) => item.label !== "benign");
const episodes = new Map<string, CorpusItem[]>();
for (const item of attack) episodes.set(item.label, [...(episodes.get(item.label) ?? []), item]);
const uuidV4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const warningRank = priorityRank("Warning");
const rank = (item: CorpusItem) => priorityRank(item.event.priority);

describe("generateCorpus", () => {
  it("is deterministic for a seed and differs between seeds", () => {
    const small = { ...options, benign: 2000, episodes: 9 };
    const once = toJsonl(generateCorpus(small).map((item) => item.event));
    expect(toJsonl(generateCorpus(small).map((item) => item.event))).toBe(once);
    expect(toJsonl(generateCorpus({ ...small, seed: 8 }).map((item) => item.event))).not.toBe(once);
  });

  it("has exactly the benign alerts and episodes asked for, every kind of attack among them", () => {
    expect(benign).toHaveLength(options.benign);
    expect(episodes.size).toBe(options.episodes);
    const kinds = new Set([...episodes.keys()].map((label) => label.slice("ep-0000-".length)));
    expect(kinds).toEqual(new Set(EPISODE_KINDS));
    for (const label of episodes.keys()) expect(label).toMatch(/^ep-\d{4}-[a-z-]+$/);
  });

  it("is in time order from the start, each alert with its own falcosidekick uuid", () => {
    const startNs = BigInt(options.start.getTime()) * 1_000_000n;
    let previous = startNs;
    const late: string[] = [];
    for (const { event } of corpus) {
      const ns = nanosOf(event.time);
      if (ns < previous) late.push(event.time);
      previous = ns;
    }
    expect(late).toEqual([]);
    const uuids = corpus.map((item) => item.event.uuid ?? "");
    expect(uuids.every((uuid) => uuidV4.test(uuid))).toBe(true);
    expect(new Set(uuids).size).toBe(corpus.length);
  });

  it("writes alerts that the Falco contract accepts, in falcosidekick's key order", () => {
    const refused = corpus.filter(
      ({ event }) => !FalcoEvent.safeParse(JSON.parse(toJsonLine(event))).success,
    );
    expect(refused).toEqual([]);
    expect(corpus.every(({ event }) => toJsonLine(event).startsWith('{"uuid":'))).toBe(true);
  });

  it("gives every episode 1–5 alerts on one pod within minutes, at least one at Warning or above", () => {
    for (const [label, items] of episodes) {
      expect(items.length, label).toBeGreaterThanOrEqual(1);
      expect(items.length, label).toBeLessThanOrEqual(5);
      expect(
        items.some((item) => rank(item) >= warningRank),
        label,
      ).toBe(true);
      const pods = new Set(
        items.map(
          ({ event }) =>
            `${String(event.output_fields["k8s.ns.name"])}/${String(event.output_fields["k8s.pod.name"])}`,
        ),
      );
      expect(pods.size, label).toBe(1);
      const first = nanosOf(items[0]?.event.time ?? "");
      const last = nanosOf(items[items.length - 1]?.event.time ?? "");
      expect(last - first, label).toBeLessThan(15n * 60n * 1_000_000_000n);
    }
  });

  it("attacks existing workloads: most episodes land on a pod that also sends benign alerts", () => {
    const benignPods = new Set(benign.map(({ event }) => String(event.output_fields["k8s.pod.name"])));
    const onKnown = [...episodes.values()].filter((items) =>
      benignPods.has(String(items[0]?.event.output_fields["k8s.pod.name"])),
    );
    expect(onKnown.length).toBeGreaterThan(episodes.size / 2);
  });

  it("makes benign noise that a Warning-or-above rule would forward, from many workloads and the nodes", () => {
    const loud = benign.filter((item) => rank(item) >= warningRank);
    expect(loud.length).toBeGreaterThan(episodes.size);
    expect(new Set(loud.map(({ event }) => event.rule)).size).toBeGreaterThanOrEqual(5);
    const namespaces = new Set(benign.map(({ event }) => event.output_fields["k8s.ns.name"]));
    for (const ns of ["shop", "blog", "data", "platform", "identity", "monitoring", "batch", "ci", null]) {
      expect(namespaces, String(ns)).toContain(ns);
    }
    expect(benign.some(({ event }) => event.output_fields["container.id"] === "host")).toBe(true);
  });

  // A limit for slow machines, not a speed claim: the bench measures speed.
  it("scales to 100 000 benign alerts and 60 episodes", { timeout: 60_000 }, () => {
    const labels = new Map<string, number>();
    for (const { label } of corpusItems({ ...options, benign: 100_000, episodes: 60 })) {
      labels.set(label, (labels.get(label) ?? 0) + 1);
    }
    expect(labels.get("benign")).toBe(100_000);
    expect(labels.size).toBe(61);
  });

  it("refuses options it cannot honour", () => {
    expect(() => generateCorpus({ ...options, benign: 0 })).toThrow(RangeError);
    expect(() => generateCorpus({ ...options, episodes: -1 })).toThrow(RangeError);
    expect(() => generateCorpus({ ...options, seed: 1.5 })).toThrow(RangeError);
  });
});

describe("corpus.ts", () => {
  const dir = mkdtempSync(join(tmpdir(), "corpus-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("writes events and labels line for line, the labels keyed by each event's uuid", () => {
    const args = parseArgs([
      "--seed",
      "7",
      "--benign",
      "3000",
      "--episodes",
      "9",
      "--out",
      join(dir, "e.jsonl"),
      "--labels",
      join(dir, "l.jsonl"),
    ]);
    if (typeof args === "string") throw new Error(args);
    const written = writeCorpus(args);
    const events = readFileSync(args.out, "utf8").trimEnd().split("\n");
    const labels = readFileSync(args.labels, "utf8").trimEnd().split("\n");
    expect(written).toEqual({ alerts: events.length, episodes: 9 });
    expect(labels).toHaveLength(events.length);
    const expected = generateCorpus(args);
    for (const [i, line] of events.entries()) {
      const event = FalcoEvent.parse(JSON.parse(line));
      expect(JSON.parse(labels[i] ?? "")).toEqual({ uuid: event.uuid, label: expected[i]?.label });
    }
    expect(events.join("\n")).toBe(toJsonl(expected.map((item) => item.event)).trimEnd());
  });

  it("explains bad arguments", () => {
    expect(parseArgs(["--seed", "x"])).toMatch(/--seed must be an integer/);
    expect(parseArgs(["--seed", "1", "--benign", "5", "--episodes", "1", "--out", "e"])).toMatch(/required/);
    expect(parseArgs(["--bogus", "1"])).toMatch(/unknown argument --bogus/);
    expect(parseArgs(["--seed"])).toMatch(/needs a value/);
  });
});
