import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { Kafka, logLevel, type Admin } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildJudge } from "../agents/prefilter/judge.js";
import { CONSUMER_GROUP, REKEY_GROUP } from "../agents/prefilter/kafka.js";
import { FalcoEvent } from "../contracts/falco.js";
import { topics } from "../contracts/topics.js";
import { shippedScorer } from "../fleet/evaluation/policy-settings.js";
import { restartPrefilter } from "../fleet/harness/prefilter.js";
import { KafkaBroker } from "../fleet/kafka.js";
import { DEFAULT_CORPUS_START, generateCorpus } from "../fleet/sample/generate-corpus.js";
import { toJsonLine } from "../fleet/sample/alert.js";
import { connectConsumer, kafkaClientOptions } from "../runtime/kafka.js";

process.env.KAFKAJS_NO_PARTITIONER_WARNING = "1";
const HARNESS = join(import.meta.dirname, "..", "dist", "fleet", "harness", "prefilter.js");
const PARTITIONS = 4;

/** Prefilter processes as the fleet runs them, minus the coordinator (fleet/harness/prefilter.ts). */
class Harness {
  readonly #lines: string[] = [];
  readonly #exited: Promise<void>;
  private constructor(readonly proc: ChildProcess) {
    createInterface({ input: proc.stdout as NodeJS.ReadableStream }).on("line", (line) => {
      if (line.startsWith("HARNESS ")) this.#lines.push(line.slice(8));
    });
    this.#exited = new Promise((resolve) => proc.once("exit", () => resolve()));
  }

  static async start(brokers: string[]): Promise<Harness> {
    const harness = new Harness(
      spawn(process.execPath, [HARNESS, `--brokers=${brokers.join(",")}`], {
        stdio: ["pipe", "pipe", "inherit"],
      }),
    );
    for (let waited = 0; !harness.#lines.includes("ready"); waited += 50) {
      if (harness.proc.exitCode !== null) throw new Error("the harness exited before it was ready");
      if (waited > 60_000) throw new Error("the harness was not ready in 60 s");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return harness;
  }

  go(): void {
    this.proc.stdin?.write("go\n");
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode !== null) return;
    this.proc.kill("SIGTERM");
    await this.#exited;
  }
}

/** The event ids on soc.anomalies, once `expected` have arrived and nothing more for 2 s. */
/** Until both of the prefilter's groups are stable with `members` members each. */
async function stableGroups(admin: Admin, members: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const { groups } = await admin.describeGroups([REKEY_GROUP, CONSUMER_GROUP]);
    if (groups.every((group) => group.state === "Stable" && group.members.length === members)) return;
    if (Date.now() > deadline)
      throw new Error(`the prefilter's groups are not stable with ${members} members`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function forwardedIds(kafka: Kafka, expected: number): Promise<string[]> {
  const ids: string[] = [];
  const consumer = await connectConsumer(kafka, `test-anomalies-${String(Date.now())}`, topics.anomalies);
  await consumer.run({
    eachMessage: ({ message }) => {
      const { event } = JSON.parse(message.value?.toString() ?? "{}") as { event: FalcoEvent };
      ids.push(event.uuid ?? "");
      return Promise.resolve();
    },
  });
  try {
    const deadline = Date.now() + 180_000;
    let last = -1;
    while (ids.length < expected || ids.length !== last) {
      if (Date.now() > deadline) throw new Error(`${ids.length} of ${expected} anomalies in 180 s`);
      last = ids.length;
      await new Promise((resolve) => setTimeout(resolve, 2_000));
    }
  } finally {
    await consumer.disconnect();
  }
  return ids.sort();
}

describe("the prefilter through a real Kafka broker at any process count (falcosidekick's unkeyed events over 4 partitions, the coordinator a stand-in)", () => {
  let broker: KafkaBroker;
  let kafka: Kafka;
  let admin: Admin;
  // An hour of a generated cluster: enough streams to spread over every keyed partition.
  const lines = generateCorpus({ seed: 23, benign: 4_000, episodes: 4, start: DEFAULT_CORPUS_START })
    .slice(0, 4_000)
    .map((item) => toJsonLine(item.event));

  beforeAll(async () => {
    broker = await KafkaBroker.start();
    kafka = new Kafka({
      ...kafkaClientOptions({ brokers: broker.brokers }, "test"),
      logLevel: logLevel.NOTHING,
    });
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic: topics.deadLetter, numPartitions: 1, replicationFactor: 1 }],
    });
  });
  /** falcosidekick's events: no key, and its writer's default balancer takes the partitions in turn. */
  const produce = async (kafka: Kafka) => {
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    for (let i = 0; i < lines.length; i += 500) {
      const messages = lines
        .slice(i, i + 500)
        .map((value, k) => ({ value, partition: (i + k) % PARTITIONS }));
      await producer.send({ topic: topics.events, acks: -1, messages });
    }
    await producer.disconnect();
  };

  afterAll(async () => {
    await admin.disconnect();
    await broker.stop();
  });

  it("forwards the same events with 1, 2 and 4 processes, the events one process in memory forwards", async () => {
    // What the judge forwards reading the stream in event-time order (on a tie, the lower partition
    // first: the re-keying stage's merge), in this process, with no Kafka.
    const judge = buildJudge({
      scorer: shippedScorer(),
    });
    const inOrder = lines
      .map((line, i) => ({ line, i, time: Date.parse((JSON.parse(line) as { time: string }).time) }))
      .sort((a, b) => a.time - b.time || (a.i % PARTITIONS) - (b.i % PARTITIONS) || a.i - b.i);
    const expected = inOrder
      .map(({ line }) => judge.judge(JSON.parse(line)))
      .flatMap((judged) => (judged.kind === "selected" ? [judged.anomaly.event.uuid ?? ""] : []))
      .sort();
    // Not a trivial set: some events, far from all.
    expect(expected.length).toBeGreaterThan(10);
    expect(expected.length).toBeLessThan(lines.length / 4);

    for (const processes of [1, 2, 4]) {
      await restartPrefilter(admin, PARTITIONS, [topics.events, topics.keyedEvents, topics.anomalies]);
      const harnesses = await Promise.all(
        Array.from({ length: processes }, () => Harness.start(broker.brokers)),
      );
      try {
        for (const harness of harnesses) harness.go();
        // The events go in once every process has joined both groups: a partition that moves to
        // another process mid-stream leaves its windows behind (a rebalance, not the process count).
        await stableGroups(admin, processes);
        await produce(kafka);
        expect(await forwardedIds(kafka, expected.length), `${processes} process(es)`).toEqual(expected);
        // Each stream whole in one partition of the keyed topic: every partition has its share.
        const keyed = await admin.fetchTopicOffsets(topics.keyedEvents);
        expect(keyed.filter(({ high }) => Number(high) > 0)).toHaveLength(PARTITIONS);
        expect(keyed.reduce((sum, { high }) => sum + Number(high), 0)).toBe(lines.length);
      } finally {
        await Promise.all(harnesses.map((harness) => harness.stop()));
      }
    }
  }, 360_000); // Three runs of up to four processes each, beside the other tests: minutes at worst.
});
