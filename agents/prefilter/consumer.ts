import type { Consumer, Kafka, KafkaMessage, Message } from "kafkajs";
import type { Component } from "../../runtime/component.js";
import { causeChain } from "../../runtime/errors.js";
import { topics } from "../../contracts/topics.js";
import { connectConsumer, SEND_CHUNK, type Sender } from "../../runtime/kafka.js";
import { CONSUMER_GROUP } from "./kafka.js";
import type { BatchJudged, Selected } from "./judge.js";
import type { Pipeline } from "./pipeline.js";

/**
 * Consumes `falco.events.keyed` (rekey.ts: each stream whole in one partition) in group
 * `soc-prefilter` and runs every message through the pipeline.
 *
 * At least once: a partition's offset is committed only up to an event whose batch, and every
 * batch before it, was forwarded, dead-lettered or dropped. Fast, in three ways:
 * - kafkajs fetches, hands every batch of the response to `eachBatch`, and fetches again only once
 *   all have returned. So `eachBatch` only hands the batch to the judge, which runs in a thread of
 *   its own, and resolves its offsets: the next fetch goes out at once, and the batch is judged
 *   while the broker prepares the next and the main thread decodes it. While `queuedBatches` are
 *   with the judge, `eachBatch` waits, and so does the next fetch.
 * - Each batch is judged at CPU speed (validation, deduplication and scoring take microseconds)
 *   and its few forwards and dead letters go out together.
 * - The consumer moves on while they are on their way (up to `batchesInFlight` batches per
 *   partition) and commits a batch when it and all before it are done. Waiting for each forward in
 *   turn (a call to the coordinator takes tens of ms) held the prefilter to a few percent of what
 *   the broker delivers.
 * A failed forward makes the partition go back to the first event not done (`seek`) after
 * `retryMs`; what was judged since is then a duplicate of what the judge remembers, so nothing
 * is forwarded twice by this process. Bad input goes to the dead-letter topic with the reason and
 * the original bytes, and the consumer carries on.
 */
export async function consumeEvents(
  component: Component,
  kafka: Kafka,
  producer: Sender,
  pipeline: Pipeline,
  {
    queuedBatches = 8,
    batchesInFlight = 8,
    forwardsInFlight = 16,
    retryMs = 1_000,
  }: { queuedBatches?: number; batchesInFlight?: number; forwardsInFlight?: number; retryMs?: number } = {},
): Promise<void> {
  const consumer = await connectConsumer(kafka, CONSUMER_GROUP, topics.keyedEvents);
  const partitions = new Map<number, Progress>();
  const forward = limited(forwardsInFlight, (selected: Selected) => pipeline.forward(selected));
  const progressOf = (partition: number) => {
    let progress = partitions.get(partition);
    if (!progress) {
      progress = new Progress(component, consumer, partition, retryMs);
      partitions.set(partition, progress);
    }
    return progress;
  };
  const judging = new Slots(queuedBatches);
  /** The forwards, awaited copies and dead letters of a judged batch. */
  const waitsFor = (judged: BatchJudged, messages: KafkaMessage[], partition: number): Wait[] => {
    const at = (index: number) => messages[index] ?? missing(index);
    const forwards = judged.selected.map(({ index, event }) => ({
      offset: BigInt(at(index).offset),
      done: forward(event),
    }));
    const letters = judged.rejected.map(({ index, reason }) => {
      const { offset, value } = at(index);
      return { offset, value, reason };
    });
    // A copy of an event whose forward is under way (fetched again after a go-back) is done when
    // that forward is: if it fails, so does this batch, and the partition goes back again.
    const copies = judged.waiting.map(({ index, event_id: eventId }) => ({
      offset: BigInt(at(index).offset),
      done: pipeline.forwarding(eventId) ?? Promise.resolve(),
    }));
    return [...forwards, ...copies, ...sendDeadLetters(producer, partition, letters)];
  };
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    // kafkajs sends the group's heartbeat after each call returns, and never calls with an empty batch.
    eachBatch: async (payload) => {
      const { batch } = payload;
      const progress = progressOf(batch.partition);
      // Resolved, so the next fetch goes on after this batch; committed only once `progress` says so.
      payload.resolveOffset(batch.lastOffset());
      const first = batch.messages[0];
      const last = batch.messages.at(-1);
      if (!first || !last) return;
      if (progress.inFlight >= batchesInFlight) await progress.idle();
      const done = await judging.take();
      if (!payload.isRunning() || payload.isStale() || !progress.accepts(BigInt(first.offset))) {
        done();
        return;
      }
      const judged = pipeline.judgeBatch(batch.messages.map((m) => m.value)).finally(done);
      progress.track(
        judged.then((j) => waitsFor(j, batch.messages, batch.partition)),
        BigInt(first.offset),
        BigInt(last.offset) + 1n,
      );
    },
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    component.log.error({ err: causeChain(payload.error), restart: payload.restart }, "consumer crashed");
  });
  component.onStop(async () => {
    // Stop fetching, let what is with the judge or on its way arrive and be committed, then leave the group.
    await consumer.stop();
    await Promise.all([...partitions.values()].map((p) => p.idle()));
    await consumer.disconnect();
  });
}

const missing = (index: number): never => {
  throw new Error(`the judge answered for message ${index}, which the batch does not have`);
};

/** At most `size` holders at a time; the rest wait in order, and a freed slot goes to the next waiting. */
class Slots {
  #free: number;
  readonly #waiting: (() => void)[] = [];

  constructor(size: number) {
    this.#free = size;
  }

  /** Resolves once a slot is taken, with the function that gives it back. */
  async take(): Promise<() => void> {
    if (this.#free > 0) this.#free--;
    else await new Promise<void>((resolve) => this.#waiting.push(resolve));
    let given = false;
    return () => {
      if (given) return;
      given = true;
      // Handed to the next in the queue, so no newcomer can slip in between.
      const next = this.#waiting.shift();
      if (next) next();
      else this.#free++;
    };
  }
}

/**
 * At most `limit` calls of `work` at a time, the rest queued in order. The coordinator answers
 * open_case in tens of ms when idle but takes seconds once it is busy with the cases it opened:
 * unbounded, a backlog's forwards all went at once, timed out, and were all tried again.
 */
function limited<T, R>(limit: number, work: (input: T) => Promise<R>): (input: T) => Promise<R> {
  const slots = new Slots(limit);
  return async (input) => {
    const done = await slots.take();
    try {
      return await work(input);
    } finally {
      done();
    }
  };
}

/** A wait tied to the offset of the first event it covers: where to go back to if it fails. */
interface Wait {
  offset: bigint;
  done: Promise<unknown>;
}

interface DeadLetter {
  offset: string;
  value: Buffer | null;
  reason: string;
}

function sendDeadLetters(producer: Sender, partition: number, letters: DeadLetter[]): Wait[] {
  const waits: Wait[] = [];
  let chunk: Message[] = [];
  let bytes = 0;
  let first = "";
  const flush = () => {
    if (chunk.length === 0) return;
    const messages = chunk;
    waits.push({
      offset: BigInt(first),
      done: producer.send({ topic: topics.deadLetter, acks: -1, messages }),
    });
    chunk = [];
    bytes = 0;
  };
  for (const { offset, value, reason } of letters) {
    const size = (value?.length ?? 0) + reason.length + 128;
    if (bytes + size > SEND_CHUNK) flush();
    if (chunk.length === 0) first = offset;
    chunk.push({
      value,
      headers: {
        reason,
        source_topic: topics.keyedEvents,
        source_partition: String(partition),
        source_offset: offset,
      },
    });
    bytes += size;
  }
  flush();
  return waits;
}

/**
 * One partition's batches on their way, in order: each is committed once it and every batch
 * before it are done; a failure sends the partition back to its first event not done.
 */
class Progress {
  inFlight = 0;
  #tail: Promise<void> = Promise.resolve();
  /** Bumped by each failure: batches judged before it are redelivered, never committed. */
  #generation = 0;
  /** Set by a failure until the batch starting there arrives: earlier-fetched batches are skipped. */
  #resumeAt: bigint | null = null;
  #committed = -1n;

  constructor(
    private readonly component: Component,
    private readonly consumer: Consumer,
    private readonly partition: number,
    private readonly retryMs: number,
  ) {}

  /** Whether a batch starting at `first` is the one to judge now. */
  accepts(first: bigint): boolean {
    if (this.#resumeAt === null) return true;
    if (first > this.#resumeAt) return false;
    this.#resumeAt = null;
    return true;
  }

  /** Resolves when every batch handed to `track` so far is settled. */
  idle(): Promise<void> {
    return this.#tail;
  }

  /**
   * Follows a batch starting at offset `first`: once its `waits` (forwards and dead letters) are
   * done, and every batch before it, the partition is committed up to `next`.
   */
  track(waits: Promise<Wait[]>, first: bigint, next: bigint): void {
    const generation = this.#generation;
    const settled: Promise<({ offset: bigint; error: unknown } | null)[]> = waits.then(
      (all) =>
        Promise.all(
          all.map((w) =>
            w.done.then(
              () => null,
              (error: unknown) => ({ offset: w.offset, error }),
            ),
          ),
        ),
      // Not judged at all: the whole batch again.
      (error: unknown) => [{ offset: first, error }],
    );
    this.inFlight++;
    this.#tail = this.#tail
      .then(async () => {
        const failures = (await settled).filter((f) => f !== null);
        if (generation !== this.#generation) return;
        if (failures.length === 0) return this.#commit(next);
        const earliest = failures.reduce((a, b) => (b.offset < a.offset ? b : a));
        this.#generation++;
        this.#resumeAt = earliest.offset;
        this.component.log.warn(
          { err: causeChain(earliest.error), partition: this.partition, offset: String(earliest.offset) },
          "forwarding failed; the partition goes back to the first event not done",
        );
        await this.#commit(earliest.offset);
        this.#goBack(earliest.offset);
      })
      .finally(() => {
        this.inFlight--;
      });
  }

  /** Pauses the partition for `retryMs`, then fetches again from `offset`. */
  #goBack(offset: bigint): void {
    const topic = [{ topic: topics.keyedEvents, partitions: [this.partition] }];
    this.consumer.pause(topic);
    this.consumer.seek({ topic: topics.keyedEvents, partition: this.partition, offset: String(offset) });
    setTimeout(() => this.consumer.resume(topic), this.retryMs).unref();
  }

  async #commit(offset: bigint): Promise<void> {
    // After a rebalance the partition may be redelivered from an older commit: never go back.
    if (offset <= this.#committed) return;
    try {
      await this.consumer.commitOffsets([
        { topic: topics.keyedEvents, partition: this.partition, offset: String(offset) },
      ]);
      this.#committed = offset;
    } catch (error) {
      // Not lost: a later commit covers it; if the partition moved to another consumer, it
      // starts from the last commit that did succeed (at least once).
      this.component.log.warn(
        { err: causeChain(error), partition: this.partition, offset: String(offset) },
        "offset commit failed; a later one covers it",
      );
    }
  }
}
