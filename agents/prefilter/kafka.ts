import { Kafka, logLevel, type KafkaConfig, type Producer, type RetryOptions } from "kafkajs";
import type { Component } from "../../runtime/component.js";
import { causeChain } from "../../runtime/errors.js";
import type { AnomalySink, Pipeline } from "./pipeline.js";

/** The topics the prefilter reads and writes. */
export const topics = {
  /** falcosidekick's Kafka output: Falco JSON plus `uuid`, no message key. */
  events: "falco.events",
  anomalies: "soc.anomalies",
  deadLetter: "falco.events.dlq",
} as const;

export const CONSUMER_GROUP = "soc-prefilter";

/**
 * Rides out a broker restart (REFERENCE.md: `kill -9` outages of 5 and 20 s, nothing lost or
 * duplicated). kafkajs' defaults give up after about 18 s, and its consumer() replaces the client's
 * retries with 5 unless given `retry` itself: pass `retry: kafkaRetry` to every consumer().
 */
export const kafkaRetry: RetryOptions = { initialRetryTime: 300, maxRetryTime: 5_000, retries: 100 };

/** The kafkajs client configuration every client in the project uses. */
export function kafkaClientOptions(brokers: string[], clientId = "soc-fleet"): KafkaConfig {
  return {
    clientId,
    brokers,
    connectionTimeout: 3_000,
    requestTimeout: 10_000,
    retry: kafkaRetry,
    logLevel: logLevel.ERROR,
  };
}

/** What the prefilter needs of a producer. */
export type Sender = Pick<Producer, "send" | "disconnect">;

/**
 * An idempotent producer (acks = all) for anomalies and dead letters. A broker that lost this
 * producer's sequence state (killed and restarted) answers OUT_OF_ORDER_SEQUENCE_NUMBER to every
 * later send; a fresh producer gets a new id and a clean sequence, so the send is made again on one.
 */
export async function connectProducer(kafka: Kafka): Promise<Sender> {
  const open = async () => {
    const fresh = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    await fresh.connect();
    return fresh;
  };
  let current = open();
  await current;
  return {
    async send(record) {
      const producer = await current;
      try {
        return await producer.send(record);
      } catch (error) {
        // KafkaJSProtocolError is not a named export of kafkajs' CommonJS build: match on its type.
        if ((error as { type?: unknown } | null)?.type !== "OUT_OF_ORDER_SEQUENCE_NUMBER") throw error;
        // Concurrent sends that fail on the same producer share one replacement.
        if ((await current) === producer) {
          current = open();
          producer.disconnect().catch(() => undefined);
        }
        return (await current).send(record);
      }
    },
    disconnect: async () => (await current).disconnect(),
  };
}

/** Anomalies to `soc.anomalies`, keyed by namespace/pod so a workload's anomalies stay in order. */
export function anomalyTopic(producer: Sender): AnomalySink {
  return async (anomaly, key) => {
    await producer.send({
      topic: topics.anomalies,
      acks: -1,
      messages: [{ key, value: JSON.stringify(anomaly) }],
    });
  };
}

/**
 * Consumes `falco.events` in a consumer group and runs every message through the pipeline.
 * An offset is committed only after its event was forwarded or deliberately dropped (at least
 * once); bad input goes to the dead-letter topic with the reason and the original bytes, and the
 * consumer carries on.
 */
export async function consumeEvents(
  component: Component,
  kafka: Kafka,
  producer: Sender,
  pipeline: Pipeline,
): Promise<void> {
  const consumer = kafka.consumer({
    groupId: CONSUMER_GROUP,
    allowAutoTopicCreation: false,
    retry: kafkaRetry,
  });
  await consumer.connect();
  await consumer.subscribe({ topic: topics.events, fromBeginning: true });
  const deadLetter = async (
    value: Buffer | null,
    reason: string,
    origin: { partition: number; offset: string },
  ) => {
    await producer.send({
      topic: topics.deadLetter,
      acks: -1,
      messages: [
        {
          value,
          headers: {
            reason,
            source_topic: topics.events,
            source_partition: String(origin.partition),
            source_offset: origin.offset,
          },
        },
      ],
    });
  };
  await consumer.run({
    eachBatchAutoResolve: false,
    autoCommit: true,
    eachBatch: async (run) => {
      const { batch } = run;
      for (const message of batch.messages) {
        if (!run.isRunning() || run.isStale()) break;
        const origin = { partition: batch.partition, offset: message.offset };
        let body: unknown;
        try {
          body = JSON.parse(message.value?.toString("utf8") ?? "");
        } catch (error) {
          await deadLetter(
            message.value,
            `not JSON: ${error instanceof Error ? error.message : String(error)}`,
            origin,
          );
          run.resolveOffset(message.offset);
          continue;
        }
        const outcome = await pipeline.process(body);
        if (outcome.kind === "rejected") await deadLetter(message.value, outcome.reason, origin);
        run.resolveOffset(message.offset);
        await run.commitOffsetsIfNecessary();
        await run.heartbeat();
      }
    },
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    component.log.error({ err: causeChain(payload.error), restart: payload.restart }, "consumer crashed");
  });
  component.onStop(async () => {
    await consumer.disconnect();
  });
}

/** Creates the topics when they are missing (a development broker; in a cluster Strimzi owns them). */
export async function ensureTopics(kafka: Kafka, partitions = 3): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = Object.values(topics).filter((topic) => !existing.has(topic));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })),
      });
    }
  } finally {
    await admin.disconnect();
  }
}

export { Kafka };
