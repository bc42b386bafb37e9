import type { SyscallRule } from "./catalogue.js";
import { Rng } from "./prng.js";
import type { Container, Proc } from "./rules.js";
import { Plan } from "./scenario.js";

/**
 * What the corpus's profiles share: each profile draws from its own seeded stream, so adding a
 * profile or generating a longer corpus does not change the events of the others, and a profile
 * runs day by day, continuing where it stopped, until the corpus has enough benign events.
 */

export const HOUR = 3600;
export const DAY = 24 * HOUR;

/** A 32-bit mix of the corpus seed and a stream number (murmur3's finaliser). */
export function streamSeed(seed: number, stream: number): number {
  let h = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(stream + 1, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** One profile's events, labelled benign or with an episode id, and its own random numbers. */
export class Stream {
  readonly plan: Plan<string>;
  readonly rng: Rng;

  constructor(
    seed: number,
    stream: number,
    startNs: bigint,
    readonly startMs: number,
  ) {
    this.rng = new Rng(streamSeed(seed, stream));
    this.plan = new Plan<string>(this.rng, startNs);
  }

  emit(seconds: number, rule: SyscallRule, on: Container, p: Proc, evt: string, fd?: string): void {
    this.plan.syscall("benign", seconds, rule, on, p, evt, fd);
  }

  /** UTC hour of day, with fraction, at `seconds` after the start. */
  hourAt(seconds: number): number {
    const s = this.startMs / 1000 + seconds;
    return (((s % DAY) + DAY) % DAY) / HOUR;
  }

  /** Monday to Friday, UTC. */
  weekdayAt(seconds: number): boolean {
    const day = Math.floor((this.startMs / 1000 + seconds) / DAY);
    const weekday = (((day + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday
    return weekday >= 1 && weekday <= 5;
  }

  /** Traffic-shaped load between 0.35 at night and 1 at 14:00 UTC. */
  diurnal(seconds: number): number {
    const h = this.hourAt(seconds);
    return 0.35 + 0.65 * Math.max(0, Math.sin((Math.PI * (h - 6)) / 16));
  }

  /** Working hours: 1 on weekdays between `from` and `to` o'clock UTC, else `off`. */
  office(seconds: number, from: number, to: number, off: number): number {
    const h = this.hourAt(seconds);
    return this.weekdayAt(seconds) && h >= from && h < to ? 1 : off;
  }

  /**
   * Poisson arrivals in [from, to) at `peakPerHour` × shape(t), by thinning: memoryless, so running
   * day by day gives the same process as one long run.
   */
  poisson(
    from: number,
    to: number,
    peakPerHour: number,
    shape: (t: number) => number,
    each: (t: number) => void,
  ) {
    const mean = HOUR / peakPerHour;
    for (
      let t = from - Math.log(1 - this.rng.float()) * mean;
      t < to;
      t -= Math.log(1 - this.rng.float()) * mean
    ) {
      if (this.rng.float() < shape(t)) each(t);
    }
  }

  uniform(low: number, high: number): number {
    return low + this.rng.float() * (high - low);
  }
}

/** A timer that fires every `period` ± `jitter` seconds, resuming across day-by-day runs. */
export class Every {
  #next: number;

  constructor(
    private readonly stream: Stream,
    private readonly period: number,
    private readonly jitter: number,
  ) {
    this.#next = stream.uniform(0, period);
  }

  run(to: number, each: (t: number) => void): void {
    while (this.#next < to) {
      each(this.#next);
      this.#next += this.period + this.stream.uniform(-this.jitter, this.jitter);
    }
  }
}

/** Something that makes benign events, a day at a time. */
export interface Profile {
  run(from: number, to: number): void;
}
