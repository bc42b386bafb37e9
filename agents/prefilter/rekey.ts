import { createHash } from "node:crypto";
import type { Kafka } from "kafkajs";
import { topics } from "../../contracts/topics.js";
import type { Component } from "../../runtime/component.js";
import { causeChain } from "../../runtime/errors.js";
import { chunked, connectConsumer, connectProducer } from "../../runtime/kafka.js";
import { streamKey } from "./features/stream.js";
import { REKEY_GROUP } from "./kafka.js";

/** Longer stream names (an attacker's image name) are keyed by their SHA-256: the key only picks a partition. */
const LONGEST_KEY = 256;

/**
 * The key of a raw `falco.events` message: its stream (features/stream.ts), read from the body as
 * sent, before any validation. A body that is not a JSON object with `output_fields` gets the empty
 * key; the scoring stage refuses it with the reason, as it would have unkeyed.
 */
export function keyOf(value: Buffer | null): string {
  if (value === null) return "";
  let body: unknown;
  try {
    body = JSON.parse(value.toString("utf8"));
  } catch {
    return "";
  }
  if (typeof body !== "object" || body === null) return "";
  const { output_fields: fields, hostname } = body as { output_fields?: unknown; hostname?: unknown };
  if (typeof fields !== "object" || fields === null || Array.isArray(fields)) return "";
  const key = streamKey(fields as Record<string, unknown>, typeof hostname === "string" ? hostname : "");
  return key.length <= LONGEST_KEY ? key : createHash("sha256").update(key).digest("hex");
}

/**
 * Re-keys `falco.events` into `falco.events.keyed`. falcosidekick sends no key, so the events of one
 * workload are spread over every partition, and a prefilter process's windows would see the share
 * its partitions hold: what it detects would depend on how many processes share the topic. Keyed by
 * stream, each stream's events land in one partition of the keyed topic, in the order this stage
 * read them, and the scoring stage (consumer.ts) sees each stream whole at any process count.
 *
 * Every prefilter process runs this stage in group `soc-prefilter-rekey`, with a producer of its own
 * (idempotent, so retries neither duplicate nor reorder a copy). Each batch is copied in
 * order (sends of at most `SEND_CHUNK` bytes, one after another) and its offset committed only once
 * the copy is acknowledged by every in-sync replica: at least once, and a copy sent twice after a
 * crash is a duplicate uuid the scoring stage drops. The order within a stream is the order of
 * `falco.events`' partitions as this stage reads them; events of one stream in several partitions
 * are interleaved as they arrive, which matters only for events within moments of each other.
 */
export async function rekeyEvents(component: Component, kafka: Kafka): Promise<void> {
  // A producer of its own: the prefilter's has one request in flight at a time (idempotent, in order), and
  // anomalies must not queue behind megabytes of copies.
  const producer = await connectProducer(kafka);
  const consumer = await connectConsumer(kafka, REKEY_GROUP, topics.events);
  await consumer.run({
    eachBatchAutoResolve: false,
    eachBatch: async (run) => {
      const messages = run.batch.messages.map(({ value }) => ({ key: keyOf(value), value }));
      for (const chunk of chunked(messages)) {
        if (!run.isRunning() || run.isStale()) return;
        await producer.send({ topic: topics.keyedEvents, acks: -1, messages: chunk });
      }
      run.resolveOffset(run.batch.lastOffset());
      await run.commitOffsetsIfNecessary();
    },
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    component.log.error(
      { err: causeChain(payload.error), restart: payload.restart },
      "re-keying consumer crashed",
    );
  });
  component.onStop(async () => {
    await consumer.stop();
    await consumer.disconnect();
    await producer.disconnect();
  });
}
