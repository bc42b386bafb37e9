#!/usr/bin/env python3
"""scikit-learn's own scores for rows of a feature CSV, the reference the TypeScript scorer is held
to (parity test) and measured against (bench/scoring.ts).

Default output, one line per row: `ratio,score_samples,outlier` (repr floats, which parse back to
the same doubles in JavaScript). With --bench, a JSON object of latencies instead."""

import argparse
import json
import pickle
import statistics
import sys
import time

from common import fail, read_features, sklearn_ratio


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sklearn", required=True, help="pickle written by train.py --sklearn-out")
    parser.add_argument("--csv", required=True, help="rows to score (header: the feature names)")
    parser.add_argument("--bench", action="store_true", help="time score_samples instead")
    parser.add_argument("--single", type=int, default=300, help="--bench: single-row calls")
    parser.add_argument("--repeat", type=int, default=3, help="--bench: whole-batch runs")
    args = parser.parse_args()

    with open(args.sklearn, "rb") as handle:
        saved = pickle.load(handle)
    model = saved["model"]
    names, X, _ = read_features(args.csv, allow_nan=True)
    if names != saved["feature_names"]:
        fail(f"{args.csv}: columns are not the model's features in the model's order")

    if args.bench:
        print(json.dumps(bench(model, X, args.single, args.repeat), indent=2))
        return
    ratio = sklearn_ratio(model, X)
    scores = model.score_samples(X)
    outlier = model.predict(X) == -1
    out = sys.stdout
    out.write("ratio,score_samples,outlier\n")
    for r, s, o in zip(ratio.tolist(), scores.tolist(), outlier.tolist()):
        out.write(f"{r!r},{s!r},{int(o)}\n")


def bench(model, X, single, repeat):
    """score_samples as a caller would use it: one event per call, and the whole batch at once."""
    for i in range(20):  # warm-up: first calls import and allocate
        model.score_samples(X[i % len(X) : i % len(X) + 1])
    singles = []
    for i in range(single):
        row = X[i % len(X) : i % len(X) + 1]
        t0 = time.perf_counter()
        model.score_samples(row)
        singles.append(time.perf_counter() - t0)
    batches = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        model.score_samples(X)
        batches.append((time.perf_counter() - t0) / len(X))
    return {
        "single_calls": single,
        "single_median_us": statistics.median(singles) * 1e6,
        "single_p99_us": sorted(singles)[int(0.99 * (len(singles) - 1))] * 1e6,
        "batch_rows": len(X),
        "batch_runs": repeat,
        "batch_per_sample_us": statistics.median(batches) * 1e6,
    }


if __name__ == "__main__":
    sys.exit(main())
