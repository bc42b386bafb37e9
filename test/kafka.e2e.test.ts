import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Kafka, logLevel, type Producer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFeedbackTopic } from "../agents/prefilter/features/feedback.js";
import { connectConsumer, kafkaClientOptions, kafkaRetry } from "../runtime/kafka.js";
import { topics } from "../contracts/topics.js";
import type { Case } from "../contracts/case.js";
import { FeedbackLabel } from "../contracts/feedback.js";
import { eventIdOf, FalcoEvent, priorityRank } from "../contracts/falco.js";
import { alerts, falcoAlert } from "../fleet/alerts.js";
import { FleetConfig } from "../contracts/config.js";
import { loadConfig } from "../runtime/config.js";
import { KafkaBroker } from "../fleet/kafka.js";
import { LocalFleet } from "../fleet/local.js";

process.env.KAFKAJS_NO_PARTITIONER_WARNING = "1";
const sample = readFileSync(join(import.meta.dirname, "..", "fleet", "sample", "falco-events.jsonl"), "utf8")
  .split("\n")
  .filter(Boolean);

/**
 * What reached a topic, read by a consumer group of the test's own: each message once, by its
 * partition and offset. The reader is at least once too (after a broker restart it may read again
 * from its last commit), so a message read twice is one message; a copy the prefilter sent twice
 * has an offset of its own and counts twice.
 */
async function collect(kafka: Kafka, topic: string) {
  const seen: { key: string | null; value: string; reason: string | null; bodyBytes: string | null }[] = [];
  const read = new Set<string>();
  const consumer = await connectConsumer(kafka, `test-${topic}-${String(Date.now())}`, topic);
  await consumer.run({
    eachMessage: ({ partition, message }) => {
      const at = `${String(partition)}:${message.offset}`;
      if (read.has(at)) return Promise.resolve();
      read.add(at);
      seen.push({
        key: message.key?.toString() ?? null,
        value: message.value?.toString() ?? "",
        reason: message.headers?.reason?.toString() ?? null,
        bodyBytes: message.headers?.body_bytes?.toString() ?? null,
      });
      return Promise.resolve();
    },
  });
  return { seen, stop: () => consumer.disconnect() };
}

describe("the prefilter on a real Kafka broker (falcosidekick's Kafka output format)", () => {
  let broker: KafkaBroker;
  let fleet: LocalFleet;
  let kafka: Kafka;
  let producer: Producer;

  beforeAll(async () => {
    broker = await KafkaBroker.start();
    fleet = await LocalFleet.start({
      // Agents given a minute: a test holds detect to fill the coordinator.
      env: {
        KAFKA_BROKERS: broker.brokers.join(","),
        SOC_PREFILTER: "priority",
        SOC_AGENT_TIMEOUT_MS: "60000",
      },
    });
    // The broker restart makes every client log connection errors: expected here, so kept quiet.
    kafka = new Kafka({
      ...kafkaClientOptions({ brokers: broker.brokers }, "test"),
      logLevel: logLevel.NOTHING,
    });
    // falcosidekick's producer is a plain one (not idempotent): a retry after the restart may send an
    // event twice, and the prefilter must still forward it once.
    producer = kafka.producer({ retry: kafkaRetry });
    await producer.connect();
  });
  afterAll(async () => {
    await producer.disconnect();
    await fleet.stop();
    await broker.stop();
  });

  const produce = (lines: string[]) =>
    producer.send({ topic: topics.events, acks: -1, messages: lines.map((value) => ({ value })) });

  it("forwards exactly the events at or above the threshold to soc.anomalies, keyed by namespace/pod, and survives a broker restart", async () => {
    const anomalies = await collect(kafka, topics.anomalies);
    const expected = sample
      .map((l) => FalcoEvent.parse(JSON.parse(l)))
      .filter((e) => priorityRank(e.priority) >= priorityRank("Warning"));
    const half = Math.floor(sample.length / 2);
    await produce(sample.slice(0, half));
    await broker.kill();
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    await broker.restart();
    await produce(sample.slice(half));
    await fleet.waitFor(
      () => anomalies.seen.length >= expected.length,
      120_000,
      "every anomaly on soc.anomalies",
    );
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await anomalies.stop();

    const forwarded = anomalies.seen.map((m) => JSON.parse(m.value) as { event: FalcoEvent });
    const ids = forwarded.map((a) => a.event.uuid ?? `${a.event.time} ${a.event.rule}`);
    expect(ids.sort()).toEqual(expected.map((e) => e.uuid ?? `${e.time} ${e.rule}`).sort());
    expect(new Set(ids).size).toBe(ids.length);
    for (const message of anomalies.seen) {
      const { event } = JSON.parse(message.value) as { event: FalcoEvent };
      expect(message.key).toBe(
        `${String(event.output_fields["k8s.ns.name"] ?? "-")}/${String(event.output_fields["k8s.pod.name"] ?? event.hostname)}`,
      );
    }
    // The coordinator's consumer group rejoins after the restart in its own time: every forwarded
    // anomaly becomes one case, however long that takes.
    const cases = async () =>
      ((await fleet.soc(["cases", "--limit", "1000"])).json as { cases: unknown[] }).cases;
    await fleet.waitFor(
      async () => (await cases()).length >= expected.length,
      120_000,
      "a case for every anomaly",
    );
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(await cases()).toHaveLength(expected.length);
  });

  it("sends 10 000 malformed or fuzzed messages to the dead-letter topic with a reason, and keeps consuming", async () => {
    const deadLetters = await collect(kafka, topics.deadLetter);
    const anomalies = await collect(kafka, topics.anomalies);
    const valid = JSON.parse(sample[0] ?? "{}") as Record<string, unknown>;
    const bad = Array.from({ length: 10_000 }, (_, i) => {
      switch (i % 5) {
        case 0:
          return `{not json ${String(i)}`;
        case 1:
          return JSON.stringify({ ...valid, uuid: `bad-${String(i)}`, priority: `Loud${String(i)}` });
        case 2:
          return JSON.stringify({ ...valid, uuid: `bad-${String(i)}`, time: "yesterday" });
        case 3:
          return JSON.stringify([i, "array", null]);
        default:
          return JSON.stringify({ ...valid, uuid: `bad-${String(i)}`, rule: "" }).slice(0, 40 + (i % 200));
      }
    });
    for (let i = 0; i < bad.length; i += 1000) await produce(bad.slice(i, i + 1000));
    // A body far past any bound: its dead letter keeps the first 64 KiB and says how long it was.
    const huge = `{${"x".repeat(200_000)}`;
    await produce([huge]);
    const after = { ...valid, uuid: "after-the-storm", priority: "Critical", time: "2026-11-24T10:00:00Z" };
    await produce([JSON.stringify(after)]);
    await fleet.waitFor(() => deadLetters.seen.length >= bad.length + 1, 180_000, "10 001 dead letters");
    await deadLetters.stop();
    expect(deadLetters.seen).toHaveLength(bad.length + 1);
    expect(deadLetters.seen.every((m) => m.reason && m.reason.length > 0)).toBe(true);
    const [cut, ...whole] = [...deadLetters.seen].sort((a, b) => b.value.length - a.value.length);
    expect(cut).toMatchObject({ value: huge.slice(0, 64 * 1024), bodyBytes: String(huge.length) });
    expect(whole.every((m) => m.bodyBytes === null)).toBe(true);
    expect(whole.map((m) => m.value).sort()).toEqual([...bad].sort());
    // Still consuming: the valid event produced after the storm is forwarded.
    await fleet.waitFor(
      () => anomalies.seen.some((m) => m.value.includes('"after-the-storm"')),
      60_000,
      "the event after the storm",
    );
    await anomalies.stop();
  });

  it("publishes analysts' decisions to soc.feedback keyed by event id, where the training export reads them", async () => {
    // Critical on an identity store: the policy escalates both to a human.
    await produce(["fb-approve", "fb-dismiss"].map((uuid) => JSON.stringify({ ...alerts.escalate(), uuid })));
    const escalated = await fleet.waitFor(
      async () => {
        const { cases } = (await fleet.soc(["cases", "--state", "escalated", "--limit", "1000"])).json as {
          cases: Case[];
        };
        return cases.length >= 2 ? cases : undefined;
      },
      120_000,
      "two escalated cases",
    );
    const [approved, dismissed] = escalated;
    if (!approved || !dismissed) throw new Error("fewer than two escalated cases");
    expect((await fleet.soc(["approve", approved.id])).code).toBe(0);
    expect((await fleet.soc(["dismiss", dismissed.id, "known", "backup", "job"])).code).toBe(0);
    const feedback = await collect(kafka, topics.feedback);
    await fleet.waitFor(() => feedback.seen.length >= 2, 60_000, "two labels on soc.feedback");
    await feedback.stop();

    // The topic's partitions come back in whatever order the fetches fall: in the order decided.
    const messages = feedback.seen
      .map((m) => ({ key: m.key, label: FeedbackLabel.parse(JSON.parse(m.value)) }))
      .sort((a, b) => a.label.at.localeCompare(b.label.at));
    const labels = messages.map((m) => m.label);
    expect(labels.map((l) => [l.case_id, l.label, l.trace_id])).toEqual([
      [approved.id, "malicious", approved.trace_id],
      [dismissed.id, "benign", dismissed.trace_id],
    ]);
    // Keyed and named by the id of the event the case was opened for, as the prefilter forwarded it.
    const anomalies = await collect(kafka, topics.anomalies);
    await fleet.waitFor(
      () => labels.every((l) => anomalies.seen.some((m) => m.value.includes(l.trace_id))),
      60_000,
      "the decided cases' anomalies",
    );
    await anomalies.stop();
    for (const [i, label] of labels.entries()) {
      const anomaly = anomalies.seen
        .map((m) => JSON.parse(m.value) as { trace_id: string; event: FalcoEvent })
        .find((a) => a.trace_id === label.trace_id);
      expect(anomaly && eventIdOf(FalcoEvent.parse(anomaly.event))).toBe(label.uuid);
      expect(messages[i]?.key).toBe(label.uuid);
    }
    // The durable local record holds the same labels, and training reads the topic back whole.
    const recorded = readFileSync(join(fleet.home, "feedback.jsonl"), "utf8").trimEnd().split("\n");
    expect(recorded.map((line) => FeedbackLabel.parse(JSON.parse(line)))).toEqual(labels);
    expect(await readFeedbackTopic({ brokers: broker.brokers })).toEqual(labels);
  });

  it("holds anomalies on soc.anomalies while the coordinator is full, counts them by its lag gauge, and opens every one once triage goes on", async () => {
    const lag = async () => {
      const text = await (
        await fetch(`${loadConfig(FleetConfig, fleet.env).opsUrl("coordinator")}/metrics`)
      ).text();
      return Number(/^soc_coordinator_anomalies_lag\{[^}]*\} (\d+)$/m.exec(text)?.[1] ?? Number.NaN);
    };
    const pods = Array.from({ length: 40 }, (_, i) => `web-full-${String(i)}`);
    // Every case the coordinator takes waits on detect: its 32 slots fill, the rest wait on the topic.
    fleet.signal("detect", "SIGSTOP");
    try {
      await produce(
        pods.map((pod) =>
          JSON.stringify(
            falcoAlert({
              rule: "Read sensitive file untrusted",
              priority: "Warning",
              tags: ["T1555", "container", "filesystem", "maturity_stable", "mitre_credential_access"],
              pod,
            }),
          ),
        ),
      );
      const waiting = await fleet.waitFor(
        async () => {
          const n = await lag();
          return n >= 8 ? n : undefined;
        },
        60_000,
        "anomalies waiting on soc.anomalies",
      );
      // At least what did not fit; more only if earlier cases of this file still hold slots.
      expect(waiting).toBeGreaterThanOrEqual(8);
      expect(waiting).toBeLessThan(40);
    } finally {
      fleet.signal("detect", "SIGCONT");
    }
    await fleet.waitFor(
      async () => {
        const opened = new Set((await fleet.desk().cases(null, 1000)).map((c) => c.pod));
        return pods.every((pod) => opened.has(pod)) && (await lag()) === 0;
      },
      120_000,
      "every anomaly opened, none left on the topic",
    );
  });
});
