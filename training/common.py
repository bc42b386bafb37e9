"""What train.py and score.py share: reading a feature export, and sklearn's own ratio."""

import csv
import math
import sys
import threading

import numpy as np
from sklearn.ensemble._iforest import _average_path_length, _parallel_compute_tree_depths

LABEL = "label"
BENIGN = "benign"
# Analysts' decisions (agents/prefilter/features/feedback.ts): dismissed and approved cases' events.
FEEDBACK_BENIGN = "feedback:benign"
FEEDBACK_MALICIOUS = "feedback:malicious"


def fail(message):
    print(f"error: {message}", file=sys.stderr)
    sys.exit(2)


def read_features(path, allow_nan=False):
    """(feature names, float64 matrix, labels or None) from a feature export.

    Every column but `label` is a feature, in header order. Values are parsed with float(): the
    same correctly rounded decimal-to-double conversion as JavaScript's Number(), so the scorer in
    TypeScript sees the same doubles (both then round them to float32, as sklearn does).
    """
    try:
        handle = open(path, newline="")
    except OSError as error:
        fail(f"{path}: {error.strerror}")
    with handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if not header:
            fail(f"{path}: empty file, expected a header of feature names")
        names = [name.strip() for name in header]
        if len(set(names)) != len(names):
            fail(f"{path}: duplicate column names in the header")
        label_at = names.index(LABEL) if LABEL in names else None
        columns = [i for i, name in enumerate(names) if i != label_at]
        if not columns:
            fail(f"{path}: no feature columns")
        rows, labels = [], []
        for line, record in enumerate(reader, start=2):
            if not record:
                continue
            if len(record) != len(names):
                fail(f"{path}:{line}: {len(record)} values, header has {len(names)}")
            try:
                row = [float(record[i]) for i in columns]
            except ValueError as error:
                fail(f"{path}:{line}: {error}")
            if not allow_nan and not all(math.isfinite(v) for v in row):
                # Features use sentinels, never NaN: a NaN here is a bug in the feature code.
                fail(f"{path}:{line}: a value is NaN or infinite")
            rows.append(row)
            if label_at is not None:
                labels.append(record[label_at].strip())
    if not rows:
        fail(f"{path}: no rows")
    matrix = np.array(rows, dtype=np.float64)
    return [names[i] for i in columns], matrix, (labels if label_at is not None else None)


def is_benign(label):
    """Known benign: labelled so, or dismissed by an analyst."""
    return label.lower() in (BENIGN, FEEDBACK_BENIGN)


def is_dismissed(label):
    return label.lower() == FEEDBACK_BENIGN


def is_attack(label):
    """Labelled and not benign (an attack episode id, or approved by an analyst). An empty label
    is unknown."""
    return label != "" and not is_benign(label)


def denominator(model):
    """n_estimators * c(max_samples_), computed exactly as _compute_score_samples does."""
    return len(model.estimators_) * _average_path_length([model._max_samples])


def sklearn_ratio(model, X):
    """The ratio Σh / (T·c(ψ)) that score_samples raises 2 to the minus of, from sklearn's own
    per-tree code (the same function, arrays and summation order), without the final power."""
    X32 = np.asarray(X, dtype=np.float32)
    depths = np.zeros(X32.shape[0], order="f")
    lock = threading.Lock()
    for tree, path_lengths, average_lengths in zip(
        model.estimators_, model._decision_path_lengths, model._average_path_length_per_tree
    ):
        _parallel_compute_tree_depths(tree, X32, None, path_lengths, average_lengths, depths, lock)
    d = denominator(model)
    ratio = np.divide(depths, d, out=np.ones_like(depths), where=d != 0)
    # Proof that this is sklearn's ratio: its score_samples is exactly -2**-ratio, bit for bit.
    if not np.array_equal(-(2**-ratio), model.score_samples(X)):
        fail("the ratio does not reproduce sklearn's score_samples (sklearn internals changed?)")
    return ratio
