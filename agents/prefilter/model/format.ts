import { z } from "zod";

/**
 * The model file training/train.py writes (format "soc-iforest/1"): a scikit-learn
 * IsolationForest as flat per-tree arrays, with every number the scorer needs precomputed by
 * Python so that TypeScript repeats sklearn's arithmetic instead of re-deriving it.
 */
export const MODEL_FORMAT = "soc-iforest/1";

const int = z.number().int();

export const TreeFile = z.object({
  /** Feature index compared at each split; −2 (sklearn's TREE_UNDEFINED) at leaves. */
  feature: z.array(int),
  /** float64 split thresholds: go left when float32(x[feature]) <= threshold. */
  threshold: z.array(z.number()),
  /** Child node indices within the tree; −1 at leaves (sklearn's TREE_LEAF). */
  left: z.array(int),
  right: z.array(int),
  /** 1 where a NaN feature goes left (sklearn's missing_go_to_left), else 0. */
  missing_left: z.array(z.union([z.literal(0), z.literal(1)])),
  /** depth(node) + c(n_node_samples[node]) − 1, root depth 1: the path length a leaf adds. */
  value: z.array(z.number()),
});
export type TreeFile = z.infer<typeof TreeFile>;

export const FeatureDistribution = z
  .object({
    /** Ascending bin edges; bin i holds edges[i−1] < v <= edges[i], the last bin the rest. */
    edges: z.array(z.number()),
    /** Share of training rows per bin: edges.length + 1 values summing to 1. */
    proportions: z.array(z.number().min(0).max(1)),
    /** [quantile, value] pairs of the tails (0.001 … 0.999): how far out a value is, beyond the deciles. */
    tails: z.array(z.tuple([z.number().gt(0).lt(1), z.number()])).optional(),
  })
  .refine((d) => d.proportions.length === d.edges.length + 1, "needs edges.length + 1 proportions")
  .refine((d) => d.edges.every((e, i) => i === 0 || e > (d.edges[i - 1] ?? e)), "edges must ascend")
  .refine((d) => Math.abs(d.proportions.reduce((a, b) => a + b, 0) - 1) < 1e-9, "proportions sum to 1");
export type FeatureDistribution = z.infer<typeof FeatureDistribution>;

/**
 * The training window's scores as forwarding budgets: `thresholds[i]` is the score at or above which
 * a share `budgets[i]` of the training rows scores. Budgets ascend, thresholds never rise.
 */
export const Calibration = z
  .object({
    rows: int.min(1),
    budgets: z.array(z.number().gt(0).max(1)).min(2),
    thresholds: z.array(z.number().min(0).max(1)),
  })
  .refine((c) => c.thresholds.length === c.budgets.length, "one threshold per budget")
  .refine((c) => c.budgets.every((b, i) => i === 0 || b > (c.budgets[i - 1] ?? b)), "budgets must ascend")
  .refine(
    (c) => c.thresholds.every((t, i) => i === 0 || t <= (c.thresholds[i - 1] ?? t)),
    "thresholds must not rise as the budget grows",
  );
export type Calibration = z.infer<typeof Calibration>;

export const ModelFile = z
  .object({
    format: z.literal(MODEL_FORMAT),
    /** "<UTC date>-<8 hex of the content's sha256>", recorded on every anomaly. */
    version: z.string().regex(/^\d{8}-[0-9a-f]{8}$/),
    sklearn_version: z.string().min(1),
    feature_names: z.array(z.string().min(1)).min(1),
    n_estimators: int.min(1),
    max_samples: int.min(1),
    /** n_estimators · c(max_samples_), as sklearn computes it; the ratio's divisor. */
    denominator: z.number().min(0),
    /** sklearn's offset_ (−0.5 with contamination "auto"): outlier ⇔ score_samples < offset. */
    offset: z.number(),
    trees: z.array(TreeFile).min(1),
    training: z
      .object({
        rows: int,
        excluded_rows: int,
        seed: int,
        source_sha256: z.string(),
        /** Rows labelled by analysts: dismissed (trained on, repeated) and approved (left out). */
        feedback: z.object({ benign_rows: int, malicious_rows: int, copies_each: int }).optional(),
      })
      .optional(),
    distribution: z.array(FeatureDistribution),
    /** Absent from models trained before budgets: those follow an explicit threshold only. */
    calibration: Calibration.optional(),
  })
  .superRefine((m, ctx) => {
    const features = m.feature_names.length;
    if (new Set(m.feature_names).size !== features) ctx.addIssue("duplicate feature names");
    if (m.trees.length !== m.n_estimators) ctx.addIssue("n_estimators differs from the trees given");
    if (m.distribution.length !== features) ctx.addIssue("one distribution per feature is needed");
    m.trees.forEach((tree, t) => {
      const problem = treeProblem(tree, features);
      if (problem) ctx.addIssue({ code: "custom", message: problem, path: ["trees", t] });
    });
  });
export type ModelFile = z.infer<typeof ModelFile>;

/**
 * Why the arrays are not one binary tree rooted at node 0, or null. Children come after their
 * parent (sklearn numbers nodes depth first) and every node but the root has exactly one parent,
 * so a walk cannot loop or leave the arrays, and every node is reachable.
 */
function treeProblem(tree: TreeFile, features: number): string | null {
  const n = tree.feature.length;
  const lengths = [tree.threshold, tree.left, tree.right, tree.missing_left, tree.value];
  if (n === 0 || lengths.some((a) => a.length !== n)) return "arrays must be non-empty and equal in length";
  const parents = new Uint8Array(n);
  for (let node = 0; node < n; node++) {
    const left = tree.left[node] ?? -1;
    const right = tree.right[node] ?? -1;
    const feature = tree.feature[node] ?? -1;
    if (left === -1 && right === -1) continue;
    if (left <= node || right <= node || left >= n || right >= n)
      return `node ${node}: children must follow their parent inside the tree`;
    if (feature < 0 || feature >= features) return `node ${node}: feature ${feature} out of range`;
    parents[left] = (parents[left] ?? 0) + 1;
    parents[right] = (parents[right] ?? 0) + 1;
  }
  const orphan = parents.findIndex((count, node) => node > 0 && count !== 1);
  return orphan === -1 ? null : `node ${orphan}: every node but the root needs exactly one parent`;
}
