import type { FalcoEvent } from "../../contracts/falco.js";
import { workloadOf } from "../../contracts/falco.js";

/** One event as recent_events shows it. */
export interface RelatedEvent {
  time: string;
  rule: string;
  priority: string;
  pod: string | null;
  image: string | null;
  trace_id: string;
}

/** Distinct names kept for sharing; past this many the table starts afresh (names are attacker-chosen). */
const NAMES = 4_096;

/**
 * The recent past of the cluster as the prefilter saw it: the last `capacity` events of the last
 * `windowMs`, that detect asks for related activity by pod and by image.
 *
 * Every event passes through here, so it is kept as a ring of columns rather than an object per
 * event, and its rule, priority, namespace, pod and image share one string per distinct name: what
 * an event leaves behind is then a slot's worth of references, not objects and copies of the same
 * names that outlive the young generation (they made the garbage collector's work per event
 * twice as large).
 */
export class RecentEvents {
  readonly #time: string[];
  readonly #rule: string[];
  readonly #priority: string[];
  readonly #namespace: (string | null)[];
  readonly #pod: (string | null)[];
  readonly #image: (string | null)[];
  readonly #traceId: string[];
  readonly #seenAt: Float64Array;
  /** The slot the next event takes; the `#filled` slots before it (cyclically) hold events. */
  #next = 0;
  #filled = 0;
  readonly #names = new Map<string, string>();

  constructor(
    private readonly windowMs = 15 * 60_000,
    private readonly capacity = 20_000,
    private readonly now: () => number = Date.now,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError("the window needs a positive capacity");
    this.#time = new Array<string>(capacity).fill("");
    this.#rule = new Array<string>(capacity).fill("");
    this.#priority = new Array<string>(capacity).fill("");
    this.#namespace = new Array<string | null>(capacity).fill(null);
    this.#pod = new Array<string | null>(capacity).fill(null);
    this.#image = new Array<string | null>(capacity).fill(null);
    this.#traceId = new Array<string>(capacity).fill("");
    this.#seenAt = new Float64Array(capacity);
  }

  add(event: FalcoEvent, traceId: string): void {
    const w = workloadOf(event);
    const at = this.#next;
    this.#time[at] = event.time;
    this.#rule[at] = this.#name(event.rule);
    this.#priority[at] = this.#name(event.priority);
    this.#namespace[at] = w.namespace === null ? null : this.#name(w.namespace);
    this.#pod[at] = w.pod === null ? null : this.#name(w.pod);
    this.#image[at] = w.image === null ? null : this.#name(w.image);
    this.#traceId[at] = traceId;
    this.#seenAt[at] = this.now();
    this.#next = at + 1 === this.capacity ? 0 : at + 1;
    if (this.#filled < this.capacity) this.#filled++;
  }

  /** Events of the same pod and of the same image, newest first, at most `limit` each. */
  related(
    query: { namespace: string | null; pod: string | null; image: string | null; exclude_trace_id: string },
    limit = 20,
  ): { same_pod: RelatedEvent[]; same_image: RelatedEvent[] } {
    const oldest = this.now() - this.windowMs;
    const samePod: RelatedEvent[] = [];
    const sameImage: RelatedEvent[] = [];
    for (let back = 1; back <= this.#filled; back++) {
      const at = (this.#next - back + this.capacity) % this.capacity;
      if ((this.#seenAt[at] ?? 0) < oldest) break;
      if (this.#traceId[at] === query.exclude_trace_id) continue;
      const pod = this.#pod[at] ?? null;
      const namespace = this.#namespace[at] ?? null;
      const image = this.#image[at] ?? null;
      const podMatches = pod === query.pod && namespace === query.namespace;
      if (query.pod && podMatches) {
        if (samePod.length < limit) samePod.push(this.#view(at));
      } else if (query.image && image === query.image && !podMatches && sameImage.length < limit) {
        sameImage.push(this.#view(at));
      }
      if (samePod.length === limit && sameImage.length === limit) break;
    }
    return { same_pod: samePod, same_image: sameImage };
  }

  #view(at: number): RelatedEvent {
    return {
      time: this.#time[at] ?? "",
      rule: this.#rule[at] ?? "",
      priority: this.#priority[at] ?? "",
      pod: this.#pod[at] ?? null,
      image: this.#image[at] ?? null,
      trace_id: this.#traceId[at] ?? "",
    };
  }

  /** The one string kept for this name. */
  #name(name: string): string {
    const kept = this.#names.get(name);
    if (kept !== undefined) return kept;
    if (this.#names.size >= NAMES) this.#names.clear();
    this.#names.set(name, name);
    return name;
  }
}
