import type { FeatureDistribution } from "./format.js";

/**
 * Population stability index of each feature: how far the events seen lately are from the rows
 * the model was trained on, over the model file's quantile bins. Rule of thumb: below 0.1 stable,
 * 0.1–0.25 moderate shift, above 0.25 the model no longer describes the cluster (retrain).
 */

/**
 * The gauge the prefilter exports, one series per `feature` label; the alert rule in
 * helm/soc-fleet/files/prometheus-rules/prefilter-drift.yaml names it (a test holds them together).
 */
export const PSI_METRIC = "soc_prefilter_feature_psi";

/** Above this PSI a feature has moved so far that the model no longer describes the cluster. */
export const PSI_RETRAIN = 0.25;

/** Share given to an empty bin: PSI has ln(actual/expected), infinite for a zero. */
export const PSI_FLOOR = 1e-4;

/** The bin of `v`: the first i with v <= edges[i], else edges.length (NaN lands there too). */
export function binOf(edges: ArrayLike<number>, v: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (v <= (edges[mid] ?? Number.NaN)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** PSI = Σ (actual − expected) · ln(actual / expected) over bins, both shares floored. */
export function psi(expected: ArrayLike<number>, actual: ArrayLike<number>, floor = PSI_FLOOR): number {
  if (expected.length !== actual.length) throw new RangeError("expected and actual need the same bins");
  let sum = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = Math.max(expected[i] ?? 0, floor);
    const a = Math.max(actual[i] ?? 0, floor);
    sum += (a - e) * Math.log(a / e);
  }
  return sum;
}

/**
 * The last `size` events' bins per feature, kept as counts updated as events come and go, so
 * observing an event is O(features) and allocates nothing; PSI is computed when scraped.
 */
export class DriftWindow {
  readonly #edges: Float64Array[];
  readonly #expected: Float64Array[];
  /** Bin counts of the window, per feature. */
  readonly #counts: Int32Array[];
  /** The bins of the last `size` events, feature-major ring: ring[f * size + slot]. */
  readonly #ring: Uint16Array;
  readonly #shares: Float64Array;
  #next = 0;
  #filled = 0;

  constructor(
    distribution: readonly FeatureDistribution[],
    readonly size = 10_000,
  ) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError("the window needs a positive size");
    this.#edges = distribution.map((d) => Float64Array.from(d.edges));
    this.#expected = distribution.map((d) => Float64Array.from(d.proportions));
    if (this.#edges.some((e) => e.length >= 0xffff)) throw new RangeError("too many bins");
    this.#counts = distribution.map((d) => new Int32Array(d.edges.length + 1));
    this.#ring = new Uint16Array(distribution.length * size);
    this.#shares = new Float64Array(Math.max(1, ...distribution.map((d) => d.edges.length + 1)));
  }

  /** Events in the window (up to `size`). */
  get count(): number {
    return this.#filled;
  }

  /** Adds one event's features, dropping the oldest once the window is full. */
  observe(x: Float64Array): void {
    const features = this.#edges.length;
    if (x.length !== features) throw new RangeError(`expected ${features} features, got ${x.length}`);
    const slot = this.#next;
    const full = this.#filled === this.size;
    for (let f = 0; f < features; f++) {
      const counts = this.#counts[f];
      const edges = this.#edges[f];
      if (!counts || !edges) continue;
      const at = f * this.size + slot;
      if (full) {
        const old = this.#ring[at] ?? 0;
        counts[old] = (counts[old] ?? 1) - 1;
      }
      const bin = binOf(edges, x[f] ?? Number.NaN);
      this.#ring[at] = bin;
      counts[bin] = (counts[bin] ?? 0) + 1;
    }
    this.#next = (slot + 1) % this.size;
    if (!full) this.#filled++;
  }

  /** PSI of each feature over the window into `out` (one per feature); NaN while empty. */
  psi(out = new Float64Array(this.#edges.length)): Float64Array {
    for (let f = 0; f < this.#edges.length; f++) {
      const counts = this.#counts[f];
      const expected = this.#expected[f];
      if (!counts || !expected || this.#filled === 0) {
        out[f] = Number.NaN;
        continue;
      }
      const shares = this.#shares.subarray(0, counts.length);
      for (let b = 0; b < counts.length; b++) shares[b] = (counts[b] ?? 0) / this.#filled;
      out[f] = psi(expected, shares);
    }
    return out;
  }
}
