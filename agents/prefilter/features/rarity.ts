import { KeyedStore, type Stamped } from "./keyed.js";

/**
 * Rarity from exponentially decayed counts. Plain counts since start would make a never-seen value
 * look rarer the longer the process has run (ln of an ever-growing total), so a model trained on a
 * week of history would see other numbers than a scorer restarted this morning, and the drift gauge
 * would fire for nothing. With a half-life the totals settle at rate × half-life / ln 2, and the
 * feature means the same thing at any uptime.
 */

export const RARITY_HALF_LIFE_MS = 6 * 3_600_000;
/** After four half-lives an entry counts a sixteenth of what it did; forgetting it changes little. */
export const RARITY_IDLE_MS = 4 * RARITY_HALF_LIFE_MS;

interface Counted extends Stamped {
  count: number;
}

const DECAY_PER_MS = Math.LN2 / RARITY_HALF_LIFE_MS;

function decayed(entry: Counted, now: number): number {
  const age = now - entry.lastSeen;
  return age <= 0 ? entry.count : entry.count * Math.exp(-age * DECAY_PER_MS);
}

function fresh(now: number): Counted {
  return { lastSeen: now, count: 0 };
}

/**
 * -ln((c + 1) / (n + 2)) in nats: c is the decayed count of this value before the event, n the
 * decayed count of everything in its population before it. 0.69 (ln 2) for the first event of a
 * population, near 0 for a value that makes up almost all of it, ln(n + 2) for a value never seen.
 * Laplace's +1/+2 keeps it finite. Clamped at 0, since shedding under a key flood can forget a
 * total before the counts that make it up.
 */
export function rarity(count: number, total: number): number {
  const value = -Math.log((count + 1) / (total + 2));
  return value > 0 ? value : 0;
}

/** Counts of values within populations (a rule among all rules; a process within its image). */
export class DecayedCounts {
  readonly #values: KeyedStore<Counted>;
  readonly #totals: KeyedStore<Counted>;

  constructor(capacity: number, populations: number) {
    this.#values = new KeyedStore(capacity, RARITY_IDLE_MS, fresh);
    this.#totals = new KeyedStore(populations, RARITY_IDLE_MS, fresh);
  }

  /** The rarity of value (b, c) in `population` before this event, then counts the event. */
  observe(population: string, b: string, c: string, now: number): number {
    const total = this.#totals.get(population, "", "", now);
    const value = this.#values.get(population, b, c, now);
    const n = decayed(total, now);
    const k = decayed(value, now);
    total.count = n + 1;
    total.lastSeen = now;
    value.count = k + 1;
    value.lastSeen = now;
    return rarity(k, n);
  }

  sweep(now: number, clockOf?: (population: string) => number | undefined): void {
    this.#values.sweep(now, clockOf);
    this.#totals.sweep(now, clockOf);
  }

  get size(): { values: number; populations: number } {
    return { values: this.#values.size, populations: this.#totals.size };
  }
}
