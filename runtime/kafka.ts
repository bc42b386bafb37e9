import { readFileSync } from "node:fs";
import {
  Kafka,
  logLevel,
  type Consumer,
  type ConsumerConfig,
  type KafkaConfig,
  type Message,
  type Producer,
  type RetryOptions,
  type SASLOptions,
} from "kafkajs";

/**
 * The Kafka client every process of the fleet uses (the prefilter, the coordinator, the training
 * export): one configuration, one producer that survives a broker restart, one way to make topics.
 */

/**
 * Rides out a broker restart (REFERENCE.md: `kill -9` outages of 5 and 20 s, nothing lost or
 * duplicated). kafkajs' defaults give up after about 18 s, and its consumer() replaces the client's
 * retries with 5 unless given `retry` itself: pass `retry: kafkaRetry` to every consumer().
 */
export const kafkaRetry: RetryOptions = { initialRetryTime: 300, maxRetryTime: 5_000, retries: 100 };

/** Where and how a client reaches Kafka: its brokers, TLS and SASL (FleetConfig's `kafka`). */
export interface KafkaConnection {
  brokers: string[];
  /** TLS to the brokers, trusting the CA certificates (PEM) in `caFile`, else the system's. */
  tls?: { caFile?: string };
  /** SASL/SCRAM: the user's name and password (over TLS, or the password crosses in the clear). */
  sasl?: { mechanism: "scram-sha-256" | "scram-sha-512"; username: string; password: string };
  /** How long a consumer of a group may go silent before its partitions go to the others. */
  sessionTimeoutMs?: number;
}

/** The kafkajs client configuration every client in the project uses. */
export function kafkaClientOptions(
  { brokers, tls, sasl }: KafkaConnection,
  clientId = "soc-fleet",
): KafkaConfig {
  return {
    clientId,
    brokers,
    connectionTimeout: 3_000,
    requestTimeout: 10_000,
    retry: kafkaRetry,
    logLevel: logLevel.ERROR,
    ...(tls && { ssl: tls.caFile ? { ca: [readCa(tls.caFile)] } : true }),
    ...(sasl && { sasl: sasl as SASLOptions }),
  };
}

function readCa(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (cause) {
    throw new Error(`KAFKA_CA_FILE ${path} cannot be read`, { cause });
  }
}

/**
 * A consumer in `groupId`, connected and subscribed to `topic` from its beginning (a group with no
 * commit starts at the first message), creating no topic. Disconnected again if subscribing fails.
 */
export async function connectConsumer(
  kafka: Kafka,
  groupId: string,
  topic: string,
  options: Omit<ConsumerConfig, "groupId" | "allowAutoTopicCreation" | "retry"> = {},
): Promise<Consumer> {
  const consumer = kafka.consumer({ ...options, groupId, allowAutoTopicCreation: false, retry: kafkaRetry });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
  } catch (error) {
    await consumer.disconnect();
    throw error;
  }
  return consumer;
}

/** Bytes of messages per send: well under the broker's message.max.bytes (≈ 1 MiB) for one partition. */
export const SEND_CHUNK = 512 * 1024;

/** About what a message takes in a send: its key, value and headers, and some framing. */
export function messageBytes({ key, value, headers }: Message): number {
  let bytes = byteLength(key) + byteLength(value) + 64;
  for (const [name, header] of Object.entries(headers ?? {}))
    bytes += name.length + (typeof header === "string" || Buffer.isBuffer(header) ? byteLength(header) : 0);
  return bytes;
}

/** `items` in order, in runs of at most `limit` bytes by `sizeOf` (a longer item alone). */
export function chunked<T>(items: readonly T[], sizeOf: (item: T) => number, limit = SEND_CHUNK): T[][] {
  const chunks: T[][] = [];
  let chunk: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = sizeOf(item);
    if (chunk.length > 0 && bytes + size > limit) {
      chunks.push(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(item);
    bytes += size;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}

const byteLength = (value: Message["value"] | Message["key"]): number =>
  value === null || value === undefined
    ? 0
    : typeof value === "string"
      ? Buffer.byteLength(value)
      : value.length;

/** What the fleet needs of a producer. */
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

/** Creates the topics when they are missing (a development broker; in a cluster Strimzi owns them). */
export async function ensureTopics(kafka: Kafka, wanted: readonly string[], partitions = 3): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = wanted.filter((topic) => !existing.has(topic));
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
