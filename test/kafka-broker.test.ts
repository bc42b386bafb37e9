import { existsSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { Kafka, type Admin, type Consumer, type Producer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { KafkaBroker, kafkaClientOptions, kafkaRetry } from "../fleet/kafka.js";

// kafkajs warns once per process that its default partitioner changed in 2.0; nothing here relies on either.
process.env.KAFKAJS_NO_PARTITIONER_WARNING = "1";

const topic = "kafka-test";
const groupId = "kafka-test-group";
const firstCount = 1_000;
const secondCount = 3_000;
const batchSize = 20;

/** A real broker: slow to start, and the restart test waits through an outage on purpose. */
describe("KafkaBroker and kafkaClientOptions against Apache Kafka", { timeout: 240_000 }, () => {
  let broker: KafkaBroker | undefined;
  let kafka: Kafka | undefined;
  let admin: Admin | undefined;
  let producer: Producer | undefined;
  const consumers: Consumer[] = [];

  /** Everything the tests share; a failed beforeAll leaves it unset and every test fails here. */
  function ready(): { broker: KafkaBroker; kafka: Kafka; admin: Admin; producer: Producer } {
    if (!broker || !kafka || !admin || !producer) throw new Error("the broker did not start");
    return { broker, kafka, admin, producer };
  }

  beforeAll(async () => {
    broker = await KafkaBroker.start();
    kafka = new Kafka(kafkaClientOptions({ brokers: broker.brokers }, "kafka-test"));
    admin = kafka.admin();
    await admin.connect();
    // Idempotent with one request in flight: a send retried across the restart is written once.
    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
  }, 240_000);

  afterAll(async () => {
    for (const consumer of consumers) await consumer.disconnect();
    await producer?.disconnect();
    await admin?.disconnect();
    await broker?.stop();
  }, 120_000);

  /** Joins the group and records every payload, committing each batch only once it is recorded. */
  async function groupConsumer(kafka: Kafka, received: string[]): Promise<Consumer> {
    // kafkajs' consumer() would otherwise use 5 retries instead of the client's, and crash in an outage.
    const consumer = kafka.consumer({ groupId, retry: kafkaRetry });
    consumers.push(consumer);
    await consumer.connect();
    // fromBeginning only applies to a group without committed offsets: the resume check relies on it.
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        if (batch.isEmpty()) return;
        for (const message of batch.messages) received.push(message.value?.toString() ?? "");
        const next = (BigInt(batch.lastOffset()) + 1n).toString();
        await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: next }]);
      },
    });
    return consumer;
  }

  async function produce(
    producer: Producer,
    prefix: string,
    count: number,
    afterSend: (sent: number) => void = () => undefined,
  ): Promise<void> {
    for (let sent = 0; sent < count; sent += batchSize) {
      const messages = Array.from({ length: Math.min(batchSize, count - sent) }, (_, i) => ({
        value: `${prefix}-${sent + i}`,
      }));
      await producer.send({ topic, acks: -1, messages });
      afterSend(sent + messages.length);
    }
  }

  async function committed(admin: Admin): Promise<number> {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return (offsets?.partitions ?? []).reduce((sum, { offset }) => sum + Math.max(0, Number(offset)), 0);
  }

  /** Records in the topic's log: more than were sent would mean a retried send was written twice. */
  async function logged(admin: Admin): Promise<number> {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, { high, low }) => sum + Number(high) - Number(low), 0);
  }

  it("delivers every message to a consumer group that commits by hand", async () => {
    const { kafka, admin, producer } = ready();
    expect(await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true })).toBe(
      true,
    );
    const [metadata] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics;
    expect(metadata?.partitions).toHaveLength(3);

    await produce(producer, "first", firstCount);
    const received: string[] = [];
    const consumer = await groupConsumer(kafka, received);
    await vi.waitFor(() => expect(new Set(received).size).toBe(firstCount), {
      timeout: 120_000,
      interval: 200,
    });
    await vi.waitFor(async () => expect(await committed(admin)).toBe(firstCount), {
      timeout: 30_000,
      interval: 200,
    });
    await consumer.disconnect();

    expect(received).toHaveLength(firstCount);
    expect(new Set(received)).toEqual(new Set(Array.from({ length: firstCount }, (_, i) => `first-${i}`)));
    expect(await logged(admin)).toBe(firstCount);
  });

  it("loses nothing when the broker is killed mid-stream and resumes from committed offsets", async () => {
    const { broker, kafka, admin, producer } = ready();
    const received: string[] = [];
    await groupConsumer(kafka, received);

    let sentAtKill: number | undefined;
    let outage: Promise<void> | undefined;
    const producing = produce(producer, "second", secondCount, (sent) => {
      if (outage || sent < secondCount / 5) return;
      sentAtKill = sent;
      outage = (async () => {
        await broker.kill();
        expect(broker.running).toBe(false);
        // Long enough for in-flight sends, fetches, commits and heartbeats to fail and back off.
        await sleep(5_000);
        await broker.restart();
      })();
    });
    try {
      await producing;
    } finally {
      // Even when a send fails, the restart finishes before the next test stops the broker.
      await outage;
    }
    expect(outage).toBeDefined();
    // The stream really was interrupted: part of it was still to be sent when the broker died.
    expect(sentAtKill).toBeLessThan(secondCount);
    expect(broker.running).toBe(true);

    const expected = new Set(Array.from({ length: secondCount }, (_, i) => `second-${i}`));
    await vi.waitFor(() => expect(new Set(received).size).toBe(secondCount), {
      timeout: 180_000,
      interval: 200,
    });
    await vi.waitFor(async () => expect(await committed(admin)).toBe(firstCount + secondCount), {
      timeout: 60_000,
      interval: 200,
    });
    expect(new Set(received)).toEqual(expected);
    // With fromBeginning set, anything from the first stream here would mean the group started over.
    expect(received.filter((payload) => payload.startsWith("first-"))).toEqual([]);
    // Idempotence keeps retried sends out of the log; commits that outlive the outage keep the
    // consumer from being handed a batch twice.
    expect(await logged(admin)).toBe(firstCount + secondCount);
    expect(received.length - new Set(received).size).toBe(0);
  });

  it("stops the JVM and removes its temporary directory", async () => {
    const { broker, admin, producer } = ready();
    for (const consumer of consumers.splice(0)) await consumer.disconnect();
    await producer.disconnect();
    await admin.disconnect();
    await broker.stop();
    expect(broker.running).toBe(false);
    expect(existsSync(broker.dir)).toBe(false);
  });
});
