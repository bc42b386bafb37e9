import type { ModelFile } from "./format.js";
import { float32AtOrBelow } from "./scorer.js";

/**
 * Seeded synthetic data for checking the scorer against scikit-learn (parity test, benchmark):
 * 17 features shaped like the prefilter's (levels, rates, rarities, flags), and probe rows placed
 * on both sides of the trees' split thresholds, where float32 rounding decides the branch.
 */

/** Placeholder names in the shape of the real set (agents/prefilter/features/ defines that one). */
export const SYNTHETIC_FEATURES = [
  "priority",
  "rule_rarity",
  "killchain_stage",
  "is_host",
  "pod_rate_60s",
  "pod_rate_z",
  "pod_distinct_rules_5m",
  "container_distinct_tactics_15m",
  "process_rarity",
  "parent_child_rarity",
  "cmdline_length",
  "cmdline_entropy",
  "shell_or_interpreter",
  "root_user",
  "has_tty",
  "exec_writable_path",
  "sensitive_target",
] as const;

/** mulberry32: small, fast and the same on every platform, so a seed names one dataset. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function normal(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

export interface Dataset {
  names: readonly string[];
  rows: Float64Array[];
  labels: string[];
}

/** `benign` workload rows and `attacks` rows from one attack episode, shuffled together. */
export function syntheticDataset(seed: number, benign: number, attacks: number): Dataset {
  const rand = random(seed);
  const flag = (p: number): number => (rand() < p ? 1 : 0);
  const rows: Float64Array[] = [];
  const labels: string[] = [];
  for (let i = 0; i < benign + attacks; i++) {
    const attack = i >= benign;
    const k = attack ? 1 : 0;
    rows.push(
      Float64Array.from([
        Math.min(7, Math.floor(3 + 2 * rand() + 2 * k * rand())),
        attack ? 0.6 + 0.4 * rand() : rand() ** 4,
        attack ? Math.floor(4 + 8 * rand()) : flag(0.1) * Math.floor(1 + 4 * rand()),
        flag(attack ? 0.3 : 0.08),
        Math.exp(1.5 + 0.8 * normal(rand) + k),
        normal(rand) + 3 * k * rand(),
        Math.floor(1 + 3 * rand() + 6 * k * rand()),
        Math.floor(2 * rand() * rand() + 4 * k * rand()),
        attack ? 0.5 + 0.5 * rand() : rand() ** 6,
        attack ? 0.4 + 0.6 * rand() : rand() ** 5,
        Math.round(Math.exp(3.5 + 0.7 * normal(rand) + k)),
        2.5 + 1.5 * rand() + k * rand(),
        flag(attack ? 0.8 : 0.15),
        flag(attack ? 0.7 : 0.3),
        flag(attack ? 0.6 : 0.02),
        flag(attack ? 0.5 : 0.01),
        flag(attack ? 0.6 : 0.03),
      ]),
    );
    labels.push(attack ? "episode-1" : "benign");
  }
  return { names: SYNTHETIC_FEATURES, rows, labels };
}

const f64 = new Float64Array(1);
const i64 = new BigInt64Array(f64.buffer);
const f32 = new Float32Array(1);
const i32 = new Int32Array(f32.buffer);

/** The next double above x (Math.nextUp). */
export function nextUp64(x: number): number {
  if (Number.isNaN(x) || x === Infinity) return x;
  if (x === 0) return Number.MIN_VALUE;
  f64[0] = x;
  i64[0] = (i64[0] ?? 0n) + (x > 0 ? 1n : -1n);
  return f64[0];
}

export function nextDown64(x: number): number {
  return -nextUp64(-x);
}

/** The next float32 above a float32 value. */
export function nextUp32(x: number): number {
  if (Number.isNaN(x) || x === Infinity) return x;
  if (x === 0) return 2 ** -149;
  f32[0] = x;
  i32[0] = (i32[0] ?? 0) + (x > 0 ? 1 : -1);
  return f32[0];
}

/** Largest float32 <= t, and smallest float32 > t: the two values that straddle a split. */
export function float32Around(t: number): [below: number, above: number] {
  const below = float32AtOrBelow(t);
  return [below, nextUp32(below)];
}

/**
 * Probe rows: each starts from a base row, walks one tree (sklearn's branch rule) and pins the
 * feature of the splits it meets to a value right at the threshold — the float32 on either side,
 * the doubles on either side (which a scorer without float32 rounding sends the wrong way) or the
 * threshold itself. Every 50th row carries a NaN, to exercise missing_left.
 */
export function probeRows(
  model: ModelFile,
  base: readonly Float64Array[],
  count: number,
  seed: number,
): Float64Array[] {
  const rand = random(seed);
  const rows: Float64Array[] = [];
  for (let i = 0; i < count; i++) {
    const x = Float64Array.from(base[Math.floor(rand() * base.length)] ?? []);
    const tree = model.trees[i % model.trees.length];
    if (!tree) break;
    let node = 0;
    while ((tree.left[node] ?? -1) >= 0) {
      const f = tree.feature[node] ?? 0;
      const t = tree.threshold[node] ?? 0;
      if (rand() < 0.6) {
        const [below, above] = float32Around(t);
        const choices = [below, above, nextUp64(t), nextDown64(t), t];
        x[f] = choices[Math.floor(rand() * choices.length)] ?? t;
      }
      const v = Math.fround(x[f] ?? 0);
      node = (v <= t ? tree.left[node] : tree.right[node]) ?? -1;
    }
    if (i % 50 === 49) x[Math.floor(rand() * x.length)] = Number.NaN;
    rows.push(x);
  }
  return rows;
}

/** A feature CSV as training/ reads it: header, then one row per line, doubles written exactly. */
export function toCsv(
  names: readonly string[],
  rows: readonly Float64Array[],
  labels?: readonly string[],
): string {
  const header = labels ? [...names, "label"] : [...names];
  const lines = rows.map((row, i) => {
    const values = Array.from(row, (v) => String(v));
    return (labels ? [...values, labels[i] ?? ""] : values).join(",");
  });
  return `${header.join(",")}\n${lines.join("\n")}\n`;
}
