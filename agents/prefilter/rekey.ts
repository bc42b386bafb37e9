import { createHash } from "node:crypto";
import { AssignerProtocol, type Kafka, type PartitionAssigner } from "kafkajs";
import { topics } from "../../contracts/topics.js";
import type { Component } from "../../runtime/component.js";
import { causeChain } from "../../runtime/errors.js";
import { chunked, connectConsumer, connectProducer, messageBytes } from "../../runtime/kafka.js";
import { streamKey } from "./features/stream.js";
import { parseEventTime } from "./features/time.js";
import { REKEY_GROUP } from "./kafka.js";
import { EventTimeMerge, type Entry } from "./merge.js";

/** Longer stream names (an attacker's image name) are keyed by their SHA-256: the key only picks a partition. */
const LONGEST_KEY = 256;
/** How long an event waits for partitions with nothing queued (merge.ts). */
const WAIT_MS = 2_000;

interface Keyed {
  key: string;
  /** Event time in ms, −∞ when the body has none that can be read. */
  time: number;
}

/**
 * The key of a raw `falco.events` message: its stream (features/stream.ts), and its event time, read
 * from the body as sent, before any validation. A body that is not a JSON object with `output_fields`
 * gets the empty key; the scoring stage refuses it with the reason, as it would have unkeyed.
 */
export function keyOf(value: Buffer | null): Keyed {
  const none = { key: "", time: Number.NEGATIVE_INFINITY };
  if (value === null) return none;
  let body: unknown;
  try {
    body = JSON.parse(value.toString("utf8"));
  } catch {
    return none;
  }
  if (typeof body !== "object" || body === null) return none;
  const { output_fields: fields, hostname, time } = body as Record<string, unknown>;
  const parsed = typeof time === "string" ? parseEventTime(time) : Number.NaN;
  const at = Number.isNaN(parsed) ? Number.NEGATIVE_INFINITY : parsed;
  if (typeof fields !== "object" || fields === null || Array.isArray(fields)) return { key: "", time: at };
  const key = streamKey(fields as Record<string, unknown>, typeof hostname === "string" ? hostname : "");
  return { key: key.length <= LONGEST_KEY ? key : createHash("sha256").update(key).digest("hex"), time: at };
}

/**
 * Every partition of the topic to one member of the group, the first by member id; the others
 * stand by and take over when it leaves. One member, because the merge orders only what one
 * consumer reads: two would each write their share into the keyed topic in their own timing.
 */
const oneReader: PartitionAssigner = ({ cluster }) => ({
  name: "SocOneReader",
  version: 0,
  assign({ members, topics: subscribed }) {
    const [reader, ...standing] = members.map(({ memberId }) => memberId).sort();
    const all = Object.fromEntries(
      subscribed.map((topic) => [topic, cluster.findTopicPartitionMetadata(topic).map((m) => m.partitionId)]),
    );
    const encode = (assignment: Record<string, number[]>) =>
      AssignerProtocol.MemberAssignment.encode({ version: 0, assignment, userData: Buffer.alloc(0) });
    return Promise.resolve([
      ...(reader === undefined ? [] : [{ memberId: reader, memberAssignment: encode(all) }]),
      ...standing.map((memberId) => ({ memberId, memberAssignment: encode({}) })),
    ]);
  },
  protocol({ topics: subscribed }) {
    return {
      name: "SocOneReader",
      metadata: AssignerProtocol.MemberMetadata.encode({
        version: 0,
        topics: subscribed,
        userData: Buffer.alloc(0),
      }),
    };
  },
});

/**
 * Re-keys `falco.events` into `falco.events.keyed`. falcosidekick sends no key, so the events of one
 * workload are spread over every partition, and a prefilter process's windows would see the share
 * its partitions hold: what it detects would depend on how many processes share the topic. Keyed by
 * stream, each stream's events land in one partition of the keyed topic, and the scoring stage
 * (consumer.ts) sees each stream whole at any process count.
 *
 * Every prefilter process joins group `soc-prefilter-rekey`; one of them reads every partition and
 * merges them in event-time order (merge.ts), so the keyed topic holds each stream in the same
 * order in every run, however many processes there are and however the fetches fall. The others
 * stand by. The copies go out through a producer of its own (idempotent, so a retry neither
 * duplicates nor reorders one) in sends of at most `SEND_CHUNK` bytes, one after another, and a
 * partition is committed only up to what has been acknowledged by every in-sync replica: at least
 * once, and a copy sent twice after a crash is a duplicate uuid the scoring stage drops.
 */
export async function rekeyEvents(component: Component, kafka: Kafka): Promise<void> {
  // A producer of its own: the prefilter's has one request in flight at a time (idempotent, in
  // order), and anomalies must not queue behind megabytes of copies.
  const producer = await connectProducer(kafka);
  const consumer = await connectConsumer(kafka, REKEY_GROUP, topics.events, {
    partitionAssigners: [oneReader],
  });
  const merge = new EventTimeMerge<{ key: string; value: Buffer | null }>(WAIT_MS);
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    merge.assign(payload.memberAssignment[topics.events] ?? []);
  });
  // One flush at a time: after each batch, and on a timer for events that have waited long enough.
  let flushing: Promise<void> = Promise.resolve();
  const flush = () => {
    flushing = flushing.then(async () => {
      const { items, last } = merge.take(Date.now());
      for (const chunk of chunked(items, messageBytes)) {
        await producer.send({ topic: topics.keyedEvents, acks: -1, messages: chunk });
      }
      if (last.size === 0) return;
      const offsets = [...last].map(([partition, offset]) => ({
        topic: topics.events,
        partition,
        offset: String(BigInt(offset) + 1n),
      }));
      // Not lost if it fails: the partition is read again from the last commit that succeeded.
      await consumer.commitOffsets(offsets).catch((error: unknown) => {
        component.log.warn({ err: causeChain(error) }, "re-keying commit failed; a later one covers it");
      });
    });
    return flushing;
  };
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    eachBatch: async (run) => {
      const { batch } = run;
      const entries: Entry<{ key: string; value: Buffer | null }>[] = batch.messages.map(
        ({ value, offset }) => {
          const { key, time } = keyOf(value);
          return { time, offset, item: { key, value } };
        },
      );
      merge.add(batch.partition, entries, Date.now());
      // Resolved, so the next fetch goes on; committed once the merge has sent what it covers.
      run.resolveOffset(batch.lastOffset());
      await flush();
      await run.heartbeat();
    },
  });
  const timer = setInterval(() => {
    flush().catch((error: unknown) => {
      component.log.error({ err: causeChain(error) }, "re-keying failed; the partitions are read again");
    });
  }, WAIT_MS / 4);
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    component.log.error(
      { err: causeChain(payload.error), restart: payload.restart },
      "re-keying consumer crashed",
    );
  });
  component.onStop(async () => {
    clearInterval(timer);
    await consumer.stop();
    await flushing.catch(() => undefined);
    await consumer.disconnect();
    await producer.disconnect();
  });
}
