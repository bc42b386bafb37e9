import type { FalcoEvent } from "../../contracts/falco.js";
import { workloadOf } from "../../contracts/falco.js";

export interface SeenEvent {
  time: string;
  rule: string;
  priority: string;
  namespace: string | null;
  pod: string | null;
  image: string | null;
  trace_id: string;
  seen_at: number;
}

/**
 * The recent past of the cluster as the prefilter saw it: a bounded, time-limited buffer of
 * events, indexed by pod and by image, that detect asks for related activity.
 */
export class RecentEvents {
  /** Oldest first; entries before #head have expired and wait for the next compaction. */
  #events: SeenEvent[] = [];
  #head = 0;

  constructor(
    private readonly windowMs = 15 * 60_000,
    private readonly capacity = 20_000,
    private readonly now: () => number = Date.now,
  ) {}

  add(event: FalcoEvent, traceId: string): void {
    const w = workloadOf(event);
    this.#events.push({
      time: event.time,
      rule: event.rule,
      priority: event.priority,
      namespace: w.namespace,
      pod: w.pod,
      image: w.image,
      trace_id: traceId,
      seen_at: this.now(),
    });
    this.#expire();
  }

  /** Events of the same pod and of the same image, newest first, at most `limit` each. */
  related(
    query: { namespace: string | null; pod: string | null; image: string | null; exclude_trace_id: string },
    limit = 20,
  ) {
    this.#expire();
    const others = this.#events
      .slice(this.#head)
      .filter((e) => e.trace_id !== query.exclude_trace_id)
      .reverse();
    const samePod = query.pod
      ? others.filter((e) => e.pod === query.pod && e.namespace === query.namespace)
      : [];
    const sameImage = query.image
      ? others.filter(
          (e) => e.image === query.image && (e.pod !== query.pod || e.namespace !== query.namespace),
        )
      : [];
    const view = ({ time, rule, priority, pod, image, trace_id }: SeenEvent) => ({
      time,
      rule,
      priority,
      pod,
      image,
      trace_id,
    });
    return { same_pod: samePod.slice(0, limit).map(view), same_image: sameImage.slice(0, limit).map(view) };
  }

  /**
   * Forgets what is too old or beyond capacity by moving the head, and copies the live part down
   * only once the dead part is as large: removing the oldest entry of a full buffer with splice()
   * moved every other entry, once per event, and was most of the prefilter's time per event.
   */
  #expire(): void {
    const oldest = this.now() - this.windowMs;
    let head = this.#head;
    while (head < this.#events.length && (this.#events[head]?.seen_at ?? 0) < oldest) head++;
    this.#head = Math.max(head, this.#events.length - this.capacity);
    if (this.#head >= Math.max(1_024, this.#events.length - this.#head)) {
      this.#events = this.#events.slice(this.#head);
      this.#head = 0;
    }
  }
}
