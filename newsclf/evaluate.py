"""Metrics: how well predicted labels match true labels, per task.

:func:`task_scores` works on label tuples, so it serves cross-validation inside
:class:`~newsclf.estimator.NewsClassifier` as well as evaluation of a saved model on a test corpus
(:func:`evaluate`).

For a multi-label task, every label of the task counts, the empty label (``other``) included, since
it is predicted like the others; ``micro_f1_scored`` leaves the empty label out, for comparison with
reports that do.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from .schema import Task

__all__ = ["evaluate", "task_scores"]


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def task_scores(task: Task, truth: Sequence[tuple[str, ...]], predicted: Sequence[tuple[str, ...]]) -> dict:
    """Per-label precision/recall/F1/support and summary scores of one task."""
    if len(truth) != len(predicted):
        raise ValueError(f"truth and predicted must have the same length ({len(truth)} != {len(predicted)})")
    labels = sorted(set(task.labels or ()) | {label for row in truth for label in row})
    counts = {label: [0, 0, 0] for label in labels}  # tp, fp, fn
    for true_row, pred_row in zip(truth, predicted):
        true_set, pred_set = set(true_row), set(pred_row)
        for label in pred_set:
            counts.setdefault(label, [0, 0, 0])[0 if label in true_set else 1] += 1
        for label in true_set - pred_set:
            counts[label][2] += 1
    per_label = {}
    for label, (tp, fp, fn) in sorted(counts.items()):
        p, r, f = _prf(tp, fp, fn)
        per_label[label] = {"precision": p, "recall": r, "f1": f, "support": tp + fn}
    supported = [label for label in per_label if per_label[label]["support"] > 0]
    out: dict = {"n": len(truth), "labels": per_label}
    out["macro_f1"] = float(np.mean([per_label[label]["f1"] for label in supported])) if supported else 0.0
    out["micro_f1"] = _prf(*(sum(c[k] for c in counts.values()) for k in range(3)))[2]
    if task.is_multi:
        scored = [c for label, c in counts.items() if label != task.empty]
        out["micro_f1_scored"] = _prf(*(sum(c[k] for c in scored) for k in range(3)))[2]
        out["subset_accuracy"] = float(np.mean([set(a) == set(b) for a, b in zip(truth, predicted)])) if truth else 0.0
        wrong = sum(len(set(a) ^ set(b)) for a, b in zip(truth, predicted))
        out["hamming_loss"] = wrong / (len(truth) * max(1, len(counts))) if truth else 0.0
    else:
        out["accuracy"] = float(np.mean([a == b for a, b in zip(truth, predicted)])) if truth else 0.0
    return out


def evaluate(model, records: Iterable[dict]) -> dict:
    """Scores of ``model`` on labelled records (as read by :func:`newsclf.corpus.read_corpus`).

    Returns ``{task: task_scores(...)}`` plus ``"n"``, the number of documents scored.
    """
    records = list(records)
    predictions = model.predict([{"title": r["title"], "body": r.get("body", "")} for r in records])
    out: dict = {"n": len(records)}
    for task in model.tasks:
        truth = [task.parse(r[task.name]) for r in records]
        out[task.name] = task_scores(task, truth, [p.labels[task.name] for p in predictions])
    return out
