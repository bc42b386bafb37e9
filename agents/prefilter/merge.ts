/**
 * A merge of a topic's partitions into one sequence in event-time order, for the re-keying stage
 * (rekey.ts). falcosidekick spreads its events over the partitions of `falco.events`, each in the
 * order it sent them; a consumer reads the partitions in fetches of its own timing, so reading them
 * one batch after another would interleave them differently in every run and at every process count,
 * and by as much as a fetch holds: tens of minutes of event time when a backlog is read. The merge
 * gives the same sequence whatever the timing: the oldest head of all the partitions goes first (the
 * lower partition on a tie), and only once every partition that may still hold older events has
 * something queued.
 *
 * A partition with nothing queued holds the merge back, but an event waits for it at most `waitMs`
 * from its own arrival: a partition with nothing to read sends no batch at all, and a consumer that
 * has caught up cannot tell "nothing more" from "nothing more yet". falcosidekick's writer takes
 * the partitions in turn, so in a busy cluster every partition has something within moments and
 * nothing waits long; in a quiet one an event waits up to `waitMs`. Events that come later than
 * others already sent go out in their turn; the windows count them at their stream's latest time.
 */

export interface Entry<T> {
  /** Event time in ms; −∞ for an event without a readable time, which so goes at once. */
  time: number;
  offset: string;
  item: T;
}

interface Queued<T> extends Entry<T> {
  /** When the batch holding it was added (wall clock, ms). */
  arrived: number;
}

class Queue<T> {
  readonly entries: Queued<T>[] = [];
  head = 0;

  get length(): number {
    return this.entries.length - this.head;
  }

  peek(): Queued<T> | undefined {
    return this.entries[this.head];
  }

  shift(): Queued<T> {
    const entry = this.entries[this.head++] as Queued<T>;
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries.splice(0, this.head);
      this.head = 0;
    }
    return entry;
  }
}

export interface Merged<T> {
  items: T[];
  /** Per partition, the offset of its last item taken: what can be committed (plus one). */
  last: Map<number, string>;
}

export class EventTimeMerge<T> {
  #queues = new Map<number, Queue<T>>();

  constructor(readonly waitMs: number) {}

  /** The partitions this consumer now holds; anything queued before is dropped (it is read again). */
  assign(partitions: readonly number[]): void {
    this.#queues = new Map([...partitions].sort((a, b) => a - b).map((p) => [p, new Queue<T>()]));
  }

  /** A batch of `partition`, in its order. */
  add(partition: number, entries: readonly Entry<T>[], now: number): void {
    const queue = this.#queues.get(partition);
    if (!queue) return; // No longer ours: a rebalance moved it.
    for (const entry of entries) queue.entries.push({ ...entry, arrived: now });
  }

  /** Entries queued and not yet taken. */
  get queued(): number {
    let total = 0;
    for (const queue of this.#queues.values()) total += queue.length;
    return total;
  }

  /** Takes, in order, every entry that can go out now. */
  take(now: number): Merged<T> {
    const items: T[] = [];
    const last = new Map<number, string>();
    for (;;) {
      let best: [number, Queue<T>, Queued<T>] | null = null;
      let empty = false;
      for (const [partition, queue] of this.#queues) {
        const head = queue.peek();
        if (head === undefined) empty = true;
        // Partitions are visited in ascending order: on a tie the lower one keeps its place.
        else if (best === null || head.time < best[2].time) best = [partition, queue, head];
      }
      if (best === null || (empty && now - best[2].arrived <= this.waitMs)) return { items, last };
      const entry = best[1].shift();
      items.push(entry.item);
      last.set(best[0], entry.offset);
    }
  }
}
