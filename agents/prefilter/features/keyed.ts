/**
 * State per key (pod, container, image, rule…) with bounded memory: an entry idle longer than
 * `idleMs` of event time is forgotten (at once when asked for, else at the next sweep), and a
 * store never holds more than `capacity` entries. Falco's fields are attacker-influenced (a pod
 * churning names, a fuzzed cmdline), so nothing an event says may grow memory without bound.
 *
 * Keys are up to three strings held in nested maps rather than one concatenated string: a
 * concatenation would allocate a new string for every event only to look it up.
 */

export interface Stamped {
  /** Event time (ms) the entry was last used; what idle eviction and shedding look at. */
  lastSeen: number;
}

type Level<V> = Map<string, Map<string, V>>;

export class KeyedStore<V extends Stamped> {
  readonly #root = new Map<string, Level<V>>();
  #size = 0;
  #scratch: Float64Array | null = null;

  constructor(
    readonly capacity: number,
    readonly idleMs: number,
    private readonly create: (now: number) => V,
  ) {
    if (!(capacity >= 8)) throw new Error("a keyed store needs a capacity of at least 8");
  }

  get size(): number {
    return this.#size;
  }

  /** The entry for (a, b, c), made with `create(now)` when missing. Callers update `lastSeen`. */
  get(a: string, b: string, c: string, now: number): V {
    const known = this.#root.get(a)?.get(b);
    const found = known?.get(c);
    if (known !== undefined && found !== undefined) {
      if (now - found.lastSeen <= this.idleMs) return found;
      // Idle past its window: forgotten now, as the next sweep would, so that what an event reads
      // never depends on when the sweeps happened to run (they follow the whole process's clock).
      const entry = this.create(now);
      known.set(c, entry);
      return entry;
    }
    if (this.#size >= this.capacity) this.#shed(now);
    let level = this.#root.get(a);
    if (level === undefined) {
      level = new Map();
      this.#root.set(a, level);
    }
    let leaves = level.get(b);
    if (leaves === undefined) {
      leaves = new Map();
      level.set(b, leaves);
    }
    const entry = this.create(now);
    leaves.set(c, entry);
    this.#size++;
    return entry;
  }

  /** The entry for (a, b, c) if there is one; nothing is made. */
  peek(a: string, b: string, c: string): V | undefined {
    return this.#root.get(a)?.get(b)?.get(c);
  }

  /** Drops every entry last seen at or before the cutoff of its first key, and the maps left empty. */
  #dropUpTo(cutoffOf: (a: string) => number): void {
    for (const [a, level] of this.#root) {
      const cutoff = cutoffOf(a);
      for (const [b, leaves] of level) {
        for (const [c, entry] of leaves) {
          if (entry.lastSeen <= cutoff) {
            leaves.delete(c);
            this.#size--;
          }
        }
        if (leaves.size === 0) level.delete(b);
      }
      if (level.size === 0) this.#root.delete(a);
    }
  }

  /**
   * Forgets entries idle for longer than `idleMs` at event time `now`, or at `clockOf(a)` for the
   * entries under first key `a` when it knows that key's own time (each stream runs on its own).
   */
  sweep(now: number, clockOf?: (a: string) => number | undefined): void {
    this.#dropUpTo((a) => (clockOf?.(a) ?? now) - this.idleMs - 1);
  }

  /**
   * Makes room when full: idle entries first, then the least recently seen eighth, so a flood of
   * new keys costs one sort per capacity/8 insertions rather than a scan per insertion.
   */
  #shed(now: number): void {
    this.sweep(now);
    if (this.#size < this.capacity) return;
    const seen = (this.#scratch ??= new Float64Array(this.capacity));
    let n = 0;
    for (const level of this.#root.values()) {
      for (const leaves of level.values()) {
        for (const entry of leaves.values()) if (n < seen.length) seen[n++] = entry.lastSeen;
      }
    }
    const sorted = seen.subarray(0, n).sort();
    const cutoff = sorted[Math.floor(n / 8)] ?? Number.POSITIVE_INFINITY;
    this.#dropUpTo(() => cutoff);
  }
}
