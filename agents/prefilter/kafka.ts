import { Kafka, logLevel, type KafkaConfig, type Message, type Producer, type RetryOptions } from "kafkajs";
import type { AnomalySink } from "./pipeline.js";

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

/** Bytes of anomalies per send: well under the broker's message.max.bytes (≈ 1 MiB). */
const ANOMALY_CHUNK = 512 * 1024;

/**
 * Anomalies to `soc.anomalies`, keyed by namespace/pod so a workload's anomalies stay in order.
 * The anomalies of one consumed batch are forwarded in the same tick: they go out as one send
 * (one round trip with acks = all), in the order they were given.
 */
export function anomalyTopic(producer: Sender): AnomalySink {
  let open: { messages: Message[]; bytes: number; sent: Promise<void> } | null = null;
  return (anomaly, key) => {
    const value = JSON.stringify(anomaly);
    if (!open || open.bytes + value.length > ANOMALY_CHUNK) {
      const batch: { messages: Message[]; bytes: number; sent: Promise<void> } = {
        messages: [],
        bytes: 0,
        sent: new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
          if (open === batch) open = null;
          await producer.send({ topic: topics.anomalies, acks: -1, messages: batch.messages });
        }),
      };
      open = batch;
    }
    open.messages.push({ key, value });
    open.bytes += value.length + key.length;
    return open.sent;
  };
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
