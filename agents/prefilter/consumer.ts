import type { Consumer, Kafka, KafkaMessage, Message } from "kafkajs";
import { Counter } from "prom-client";
import type { Component } from "../../runtime/component.js";
import { causeChain } from "../../runtime/errors.js";
import { topics } from "../../contracts/topics.js";
import { chunked, connectConsumer, messageBytes, type Sender } from "../../runtime/kafka.js";
import { CONSUMER_GROUP } from "./kafka.js";
import { Slots } from "../../runtime/slots.js";
import type { BatchJudged } from "./judge.js";
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
    retryMs = 1_000,
  }: { queuedBatches?: number; batchesInFlight?: number; retryMs?: number } = {},
): Promise<void> {
  const consumer = await connectConsumer(kafka, CONSUMER_GROUP, topics.keyedEvents);
  const partitions = new Map<number, Progress>();
  const progressOf = (partition: number) => {
    let progress = partitions.get(partition);
    if (!progress) {
      progress = new Progress(component, consumer, partition, retryMs);
      partitions.set(partition, progress);
    }
    return progress;
  };
  const judging = new Slots(queuedBatches);
  const deadLetters = deadLetterCounters(component);
  /** The forwards, awaited copies and dead letters of a judged batch. */
  const waitsFor = (judged: BatchJudged, messages: KafkaMessage[], partition: number): Wait[] => {
    const at = (index: number) => messages[index] ?? missing(index);
    const forwards = judged.selected.map(({ index, event }) => ({
      offset: BigInt(at(index).offset),
      done: pipeline.forward(event),
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
    return [...forwards, ...copies, ...sendDeadLetters(producer, deadLetters, partition, letters)];
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

/**
 * A dead letter carries at most this much of the message, so the topic's records are bounded
 * whatever a sender puts in a body; the cut is marked (`body_bytes`: the whole length). With the
 * topic's retention (helm/examples/falco/kafka-topics.yaml), what an attacker's flood costs is bounded.
 */
export const DEAD_LETTER_BODY = 64 * 1024;
const DEAD_LETTER_REASON = 1024;

/** The dead letters sent and those whose body was cut, counted apart. */
function deadLetterCounters(component: Component): { sent: Counter; cut: Counter } {
  const registers = [component.metrics.registry];
  return {
    sent: new Counter({
      name: "soc_prefilter_dead_letters_total",
      help: "Messages sent to the dead-letter topic with the reason they were refused",
      registers,
    }),
    cut: new Counter({
      name: "soc_prefilter_dead_letters_truncated_total",
      help: `Dead letters whose body was cut to ${String(DEAD_LETTER_BODY)} bytes`,
      registers,
    }),
  };
}

function sendDeadLetters(
  producer: Sender,
  counters: { sent: Counter; cut: Counter },
  partition: number,
  letters: DeadLetter[],
): Wait[] {
  const sent = letters.map(({ offset, value, reason }) => {
    const cut = value !== null && value.length > DEAD_LETTER_BODY;
    const why = reason.length > DEAD_LETTER_REASON ? `${reason.slice(0, DEAD_LETTER_REASON)}…` : reason;
    counters.sent.inc();
    if (cut) counters.cut.inc();
    const message: Message = {
      value: cut ? value.subarray(0, DEAD_LETTER_BODY) : value,
      headers: {
        reason: why,
        source_topic: topics.keyedEvents,
        source_partition: String(partition),
        source_offset: offset,
        ...(cut ? { body_bytes: String(value.length) } : {}),
      },
    };
    return { offset, message };
  });
  return chunked(sent, ({ message }) => messageBytes(message)).map((chunk) => ({
    offset: BigInt(chunk[0]?.offset ?? "0"),
    done: producer.send({
      topic: topics.deadLetter,
      acks: -1,
      messages: chunk.map(({ message }) => message),
    }),
  }));
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
