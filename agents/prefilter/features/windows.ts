import type { Stamped } from "./keyed.js";

/**
 * Sliding windows of one pod and one container, on event time. Each holds fixed-size typed arrays,
 * so a busy pod costs no more memory than a quiet one and an event allocates nothing.
 */

export const RATE_WINDOW_S = 60;
export const RULES_WINDOW_MS = 5 * 60_000;
export const TACTICS_WINDOW_MS = 15 * 60_000;
/** Distinct rules a pod remembers; more than this within five minutes saturates the feature. */
export const MAX_RULES = 64;
/** Completed minutes before the z-score means anything; until then it is 0 ("no deviation"). */
export const MIN_BASELINE_MINUTES = 5;
/** Longest silence filled with zero-event minutes; a pod idle longer is forgotten anyway. */
export const MAX_GAP_MINUTES = 60;

export class PodWindow implements Stamped {
  lastSeen: number;
  /** Events per second of the last 60 seconds, indexed by second mod 60. */
  readonly #perSecond = new Uint32Array(RATE_WINDOW_S);
  #second = Number.NaN;
  #inWindow = 0;
  // Welford's running mean and variance of the pod's events per completed minute.
  #minute = Number.NaN;
  #minuteCount = 0;
  #n = 0;
  #mean = 0;
  #m2 = 0;
  // Rules seen recently, with when; a swap-remove list, as a pod fires a handful of rules.
  readonly #rules: string[] = [];
  readonly #ruleSeen = new Float64Array(MAX_RULES);

  constructor(now: number) {
    this.lastSeen = now;
  }

  /**
   * Counts one event at `now` and returns the pod's events in the 60-second window ending with it:
   * its own second and the 59 before (whole seconds of event time, this event included).
   */
  countEvent(now: number): number {
    const second = Math.floor(now / 1000);
    if (Number.isNaN(this.#second)) this.#second = second;
    const steps = second - this.#second;
    if (steps >= RATE_WINDOW_S) {
      this.#perSecond.fill(0);
      this.#inWindow = 0;
    } else {
      for (let s = 1; s <= steps; s++) {
        const slot = (this.#second + s) % RATE_WINDOW_S;
        this.#inWindow -= this.#perSecond[slot] ?? 0;
        this.#perSecond[slot] = 0;
      }
    }
    if (second > this.#second) this.#second = second;
    const slot = this.#second % RATE_WINDOW_S;
    this.#perSecond[slot] = (this.#perSecond[slot] ?? 0) + 1;
    this.#inWindow++;
    this.#countMinute(now);
    return this.#inWindow;
  }

  #countMinute(now: number): void {
    const minute = Math.floor(now / 60_000);
    if (Number.isNaN(this.#minute)) this.#minute = minute;
    if (minute > this.#minute) {
      this.#addMinutes(this.#minuteCount, 1);
      this.#addMinutes(0, Math.min(minute - this.#minute - 1, MAX_GAP_MINUTES));
      this.#minute = minute;
      this.#minuteCount = 0;
    }
    this.#minuteCount++;
  }

  /** Welford's update for `k` minutes of `value` events at once (Chan et al.'s merge). */
  #addMinutes(value: number, k: number): void {
    if (k <= 0) return;
    const n = this.#n + k;
    const delta = value - this.#mean;
    this.#mean += (delta * k) / n;
    this.#m2 += (delta * delta * this.#n * k) / n;
    this.#n = n;
  }

  /**
   * How far `rate` is from the pod's usual events per minute: (rate − mean) / √(variance + 1). The
   * +1 (one event² per minute²) keeps a perfectly steady pod from dividing by zero and keeps a
   * quiet pod's single event from scoring as a huge deviation. 0 until the baseline has
   * MIN_BASELINE_MINUTES completed minutes.
   */
  zScore(rate: number): number {
    if (this.#n < MIN_BASELINE_MINUTES) return 0;
    const variance = this.#m2 / (this.#n - 1);
    return (rate - this.#mean) / Math.sqrt(variance + 1);
  }

  /** Notes `rule` at `now`; returns the distinct rules of the last five minutes, this one included. */
  countRule(rule: string, now: number): number {
    const rules = this.#rules;
    const seen = this.#ruleSeen;
    let found = -1;
    let oldest = 0;
    for (let i = rules.length - 1; i >= 0; i--) {
      if (rules[i] === rule) {
        found = i;
      } else if (now - (seen[i] ?? 0) >= RULES_WINDOW_MS) {
        const last = rules.length - 1;
        rules[i] = rules[last] ?? "";
        seen[i] = seen[last] ?? 0;
        rules.pop();
        if (found === last) found = i;
      }
    }
    if (found < 0 && rules.length < MAX_RULES) {
      found = rules.length;
      rules.push(rule);
    } else if (found < 0) {
      for (let i = 1; i < rules.length; i++) if ((seen[i] ?? 0) < (seen[oldest] ?? 0)) oldest = i;
      found = oldest;
      rules[found] = rule;
    }
    seen[found] = now;
    return rules.length;
  }
}

/** MITRE tactics a container showed, as the event time each was last seen (−∞ for never). */
export class TacticWindow implements Stamped {
  lastSeen: number;
  readonly #seen = new Float64Array(15).fill(Number.NEGATIVE_INFINITY);

  constructor(now: number) {
    this.lastSeen = now;
  }

  /** Marks the tactics in `mask` (bit i = ordinal i) at `now`; returns those of the last 15 minutes. */
  count(mask: number, now: number): number {
    let distinct = 0;
    for (let i = 1; i < this.#seen.length; i++) {
      if ((mask & (1 << i)) !== 0) this.#seen[i] = now;
      if (now - (this.#seen[i] ?? Number.NEGATIVE_INFINITY) < TACTICS_WINDOW_MS) distinct++;
    }
    return distinct;
  }
}
