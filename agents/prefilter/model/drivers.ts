import { binOf } from "./drift.js";
import type { FeatureDistribution } from "./format.js";

/** A feature that drove a score: its value and how few training events were as far out. */
export interface Driver {
  feature: string;
  value: number;
  /** Share of the training window at least as far from the middle on this side: smaller is rarer. */
  training_share: number;
}

/** Only features at least this far out are named: beyond the training window's 5 % on either side. */
export const DRIVER_SHARE = 0.05;

/**
 * The features of `x` furthest from the rows the model was trained on: for each, the share of
 * training rows at least as far out on its side (from the quantile bins and the tail quantiles the
 * model file records), the rarest first, at most `limit`, none commoner than DRIVER_SHARE. They say
 * why an event reached a human in the model's own terms, without re-walking the trees.
 */
export function drivers(
  names: readonly string[],
  distribution: readonly FeatureDistribution[],
  x: ArrayLike<number>,
  limit = 3,
): Driver[] {
  const found: Driver[] = [];
  for (let f = 0; f < names.length; f++) {
    const d = distribution[f];
    const value = x[f];
    if (!d || value === undefined) continue;
    const share = tailShare(d, value);
    if (share <= DRIVER_SHARE) found.push({ feature: names[f] ?? String(f), value, training_share: share });
  }
  return found.sort((a, b) => a.training_share - b.training_share).slice(0, limit);
}

/** The training share at least as far out as `v` on its side of the distribution. */
export function tailShare(d: FeatureDistribution, v: number): number {
  const bin = binOf(d.edges, v);
  let below = 0;
  for (let i = 0; i <= bin; i++) below += d.proportions[i] ?? 0;
  let above = 0;
  for (let i = bin; i < d.proportions.length; i++) above += d.proportions[i] ?? 0;
  let share = Math.min(below, above);
  // The deciles cannot tell the 91st percentile from the 99.9th; the tail quantiles can.
  for (const [q, edge] of d.tails ?? []) {
    // Rounded: 1 − 0.95 is 0.05000000000000004 in binary.
    if (q > 0.5 && v > edge) share = Math.min(share, Math.round((1 - q) * 1e12) / 1e12);
    if (q < 0.5 && v < edge) share = Math.min(share, q);
  }
  return share;
}
