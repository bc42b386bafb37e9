import { random } from "../../agents/prefilter/model/synthetic.js";

const HEX = "0123456789abcdef";

/**
 * A tiny seeded PRNG for the sample generator. The committed sample must come out byte-identical on
 * every machine and Node version, so nothing here may touch Math.random, the clock or the locale.
 */
export class Rng {
  private readonly next: () => number;

  constructor(seed: number) {
    // mulberry32, the one the model's synthetic data uses: the same numbers on every platform.
    this.next = random(seed);
  }

  float(): number {
    return this.next();
  }

  /** Integer in [min, max], both ends included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.int(0, items.length - 1)];
    if (item === undefined) throw new Error("pick from an empty list");
    return item;
  }

  /** Characters drawn from `alphabet`, e.g. the suffix Kubernetes puts on generated pod names. */
  chars(length: number, alphabet: string): string {
    let out = "";
    for (let i = 0; i < length; i++) out += alphabet.charAt(this.int(0, alphabet.length - 1));
    return out;
  }

  hex(length: number): string {
    return this.chars(length, HEX);
  }

  /** RFC 4122 version-4 layout (version nibble 4, variant 8–b), like falcosidekick's uuids. */
  uuid(): string {
    const variant = HEX.charAt(8 + this.int(0, 3));
    return `${this.hex(8)}-${this.hex(4)}-4${this.hex(3)}-${variant}${this.hex(3)}-${this.hex(12)}`;
  }

  /**
   * Nanoseconds within `seconds` of zero. Built from two integer draws because a double cannot hold
   * a nanosecond offset and its sub-microsecond digits at once.
   */
  nanosWithin(seconds: number): bigint {
    const ms = this.int(0, Math.max(0, Math.round(seconds * 1000) - 1));
    return BigInt(ms) * 1_000_000n + BigInt(this.int(0, 999_999));
  }
}
