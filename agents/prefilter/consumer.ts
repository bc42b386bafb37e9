import type { Consumer, EachBatchPayload, Kafka, Message } from "kafkajs";
import type { Component } from "../../runtime/component.js";
import { causeChain } from "../../runtime/errors.js";
import { topics } from "../../contracts/topics.js";
import { connectConsumer, type Sender } from "../../runtime/kafka.js";
import { CONSUMER_GROUP } from "./kafka.js";
import type { Pipeline, Selected } from "./pipeline.js";

/**
 * Consumes `falco.events` in a consumer group and runs every message through the pipeline.
 *
 * At least once: a partition's offset is committed only up to an event whose batch, and every
 * batch before it, was forwarded, dead-lettered or dropped. Fast, in three ways:
 * - kafkajs fetches, hands every batch of the response to `eachBatch`, and fetches again only once
 *   all have returned: judged inside `eachBatch`, the broker sat idle while the prefilter judged
 *   and the prefilter while the broker read the next batches. So `eachBatch` only queues a batch
 *   (while `queuedBatches` wait, it waits too) and resolves its offsets, the next fetch goes out at
 *   once, and the batch is judged while the broker prepares the next.
 * - Each batch is judged at CPU speed (validation, deduplication and scoring take microseconds)
 *   and its few forwards and dead letters go out together.
 * - The consumer moves on while they are on their way (up to `batchesInFlight` batches per
 *   partition) and commits a batch when it and all before it are done. Waiting for each forward in
 *   turn (a call to the coordinator takes tens of ms) held the prefilter to a few percent of what
 *   the broker delivers.
 * A failed forward makes the partition go back to the first event not done (`seek`) after
 * `retryMs`; what was judged since is then a duplicate of what the pipeline remembers, so nothing
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
  const consumer = await connectConsumer(kafka, CONSUMER_GROUP, topics.events);
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
  const judging = new JudgingQueue(queuedBatches, (error) =>
    component.log.error({ err: causeChain(error) }, "judging a batch failed"),
  );
  const judge = async (payload: EachBatchPayload, progress: Progress) => {
    if (progress.inFlight >= batchesInFlight) await progress.idle();
    const judged = judgeBatch(payload, pipeline, forward, progress);
    if (!judged) return;
    const deadLetters = sendDeadLetters(producer, payload.batch.partition, judged.deadLetters);
    progress.track([...judged.waits, ...deadLetters], BigInt(judged.last) + 1n);
  };
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    // kafkajs sends the group's heartbeat after each call returns, and never calls with an empty batch.
    eachBatch: async (payload) => {
      const progress = progressOf(payload.batch.partition);
      // Resolved, so the next fetch goes on after this batch; committed only once `progress` says so.
      payload.resolveOffset(payload.batch.lastOffset());
      await judging.add(() => judge(payload, progress));
    },
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    component.log.error({ err: causeChain(payload.error), restart: payload.restart }, "consumer crashed");
  });
  component.onStop(async () => {
    // Stop fetching, let the queued batches pass (unjudged: the consumer no longer runs), let what
    // is on its way arrive and be committed, then leave the group.
    await consumer.stop();
    await judging.idle();
    await Promise.all([...partitions.values()].map((p) => p.idle()));
    await consumer.disconnect();
  });
}

/**
 * Batches waiting to be judged, judged one at a time in the order they came, each once the event
 * loop has had its turn (so that a fetch request goes out first). `add` returns at once while
 * fewer than `limit` wait, else once one has been taken.
 */
class JudgingQueue {
  readonly #tasks: (() => Promise<void>)[] = [];
  readonly #room: (() => void)[] = [];
  #running: Promise<void> | null = null;

  constructor(
    private readonly limit: number,
    private readonly failed: (error: unknown) => void,
  ) {}

  async add(task: () => Promise<void>): Promise<void> {
    this.#tasks.push(task);
    this.#running ??= this.#drain();
    if (this.#tasks.length > this.limit) await new Promise<void>((resolve) => this.#room.push(resolve));
  }

  /** Resolves once every batch added so far has been judged. */
  async idle(): Promise<void> {
    await this.#running;
  }

  async #drain(): Promise<void> {
    for (let task = this.#tasks.shift(); task; task = this.#tasks.shift()) {
      this.#room.shift()?.();
      await new Promise((resolve) => setImmediate(resolve));
      try {
        await task();
      } catch (error) {
        this.failed(error);
      }
    }
    this.#running = null;
  }
}

/**
 * At most `limit` calls of `work` at a time, the rest queued in order. The coordinator answers
 * open_case in tens of ms when idle but takes seconds once it is busy with the cases it opened:
 * unbounded, a backlog's forwards all went at once, timed out, and were all tried again.
 */
function limited<T, R>(limit: number, work: (input: T) => Promise<R>): (input: T) => Promise<R> {
  let running = 0;
  const queue: (() => void)[] = [];
  return async (input) => {
    // A freed slot is handed to the next in the queue, so no newcomer can slip in between.
    if (running >= limit) await new Promise<void>((resolve) => queue.push(resolve));
    else running++;
    try {
      return await work(input);
    } finally {
      const next = queue.shift();
      if (next) next();
      else running--;
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

/** One batch through `judge`, synchronously; null when there was nothing (left) to take. */
function judgeBatch(
  payload: EachBatchPayload,
  pipeline: Pipeline,
  forward: (selected: Selected) => Promise<unknown>,
  progress: Progress,
): { last: string; waits: Wait[]; deadLetters: DeadLetter[] } | null {
  const { batch } = payload;
  // The loop below is synchronous: nothing can stop the consumer or seek the partition before it
  // ends, so both are asked once per batch (per message, they were a tenth of kafkajs's share).
  if (!payload.isRunning() || payload.isStale()) return null;
  if (!progress.accepts(BigInt(batch.firstOffset() ?? "0"))) return null;
  const waits: Wait[] = [];
  const deadLetters: DeadLetter[] = [];
  let last: string | null = null;
  for (const message of batch.messages) {
    let body: unknown;
    try {
      body = JSON.parse(message.value?.toString("utf8") ?? "");
    } catch (error) {
      const reason = `not JSON: ${error instanceof Error ? error.message : String(error)}`;
      deadLetters.push({ offset: message.offset, value: message.value, reason });
      last = message.offset;
      continue;
    }
    const judged = pipeline.judge(body);
    if (judged.kind === "rejected")
      deadLetters.push({ offset: message.offset, value: message.value, reason: judged.reason });
    else if (judged.kind === "selected")
      waits.push({ offset: BigInt(message.offset), done: forward(judged) });
    last = message.offset;
  }
  return last === null ? null : { last, waits, deadLetters };
}

/** Bytes of dead letters per send: well under the broker's message.max.bytes (≈ 1 MiB). */
const DEAD_LETTER_CHUNK = 512 * 1024;

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
    if (bytes + size > DEAD_LETTER_CHUNK) flush();
    if (chunk.length === 0) first = offset;
    chunk.push({
      value,
      headers: {
        reason,
        source_topic: topics.events,
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

  track(waits: Wait[], next: bigint): void {
    const generation = this.#generation;
    const settled = Promise.all(
      waits.map((w) =>
        w.done.then(
          () => null,
          (error: unknown) => ({ w, error }),
        ),
      ),
    );
    this.inFlight++;
    this.#tail = this.#tail
      .then(async () => {
        const failures = (await settled).filter((f) => f !== null);
        if (generation !== this.#generation) return;
        if (failures.length === 0) return this.#commit(next);
        const first = failures.reduce((a, b) => (b.w.offset < a.w.offset ? b : a));
        this.#generation++;
        this.#resumeAt = first.w.offset;
        this.component.log.warn(
          { err: causeChain(first.error), partition: this.partition, offset: String(first.w.offset) },
          "forwarding failed; the partition goes back to the first event not done",
        );
        await this.#commit(first.w.offset);
        this.#goBack(first.w.offset);
      })
      .finally(() => {
        this.inFlight--;
      });
  }

  /** Pauses the partition for `retryMs`, then fetches again from `offset`. */
  #goBack(offset: bigint): void {
    const topic = [{ topic: topics.events, partitions: [this.partition] }];
    this.consumer.pause(topic);
    this.consumer.seek({ topic: topics.events, partition: this.partition, offset: String(offset) });
    setTimeout(() => this.consumer.resume(topic), this.retryMs).unref();
  }

  async #commit(offset: bigint): Promise<void> {
    // After a rebalance the partition may be redelivered from an older commit: never go back.
    if (offset <= this.#committed) return;
    try {
      await this.consumer.commitOffsets([
        { topic: topics.events, partition: this.partition, offset: String(offset) },
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
