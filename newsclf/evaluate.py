"""Metrics: how well predicted labels match true labels, per task and per group of documents.

:func:`task_scores` works on label tuples, so it serves cross-validation inside
:class:`~newsclf.estimator.NewsClassifier` as well as :func:`evaluate`, which scores a model on a
labelled corpus, overall and broken down by language (the corpus's ``lang`` column where present,
else the detected language) and by any other column.

For a multi-label task every label counts, the empty label (``other``) included, since it is
predicted like the others; ``micro_f1_scored`` leaves the empty label out, for comparison with
reports that do.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from .schema import Task

__all__ = ["evaluate", "format_report", "task_scores"]


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


def _scores(tasks, truth, predicted, rows) -> dict:
    return {
        task.name: task_scores(task, [truth[task.name][i] for i in rows], [predicted[i][task.name] for i in rows])
        for task in tasks
    }


def evaluate(model, records: Iterable[dict], by: Sequence[str] = ()) -> dict:
    """Scores of ``model`` on labelled records (as :func:`newsclf.corpus.read_corpus` yields them).

    Returns ``{"n", "overall": {task: scores}, "by": {column: {value: {"n", task: scores}}}}``.
    The ``lang`` breakdown is always there: from the records' ``lang`` column, or detected.
    """
    records = list(records)
    predictions = model.predict([{"title": r["title"], "body": r.get("body", "")} for r in records])
    truth = {task.name: [r[task.name] for r in records] for task in model.tasks}
    predicted = [p.labels for p in predictions]
    everything = range(len(records))
    report: dict = {"n": len(records), "overall": _scores(model.tasks, truth, predicted, everything), "by": {}}
    for column in ["lang", *[c for c in by if c != "lang"]]:
        groups: dict[str, list[int]] = {}
        for i, (record, pred) in enumerate(zip(records, predictions)):
            value = str(record.get(column) or (pred.language if column == "lang" else ""))
            groups.setdefault(value, []).append(i)
        report["by"][column] = {
            value: {"n": len(rows), **_scores(model.tasks, truth, predicted, rows)} for value, rows in sorted(groups.items())
        }
    return report


def _summary(task: Task, s: dict) -> str:
    if task.is_multi:
        return f"micro-F1 {s['micro_f1']:.3f}  macro-F1 {s['macro_f1']:.3f}  subset acc {s['subset_accuracy']:.3f}  hamming {s['hamming_loss']:.3f}"
    return f"accuracy {s['accuracy']:.3f}  macro-F1 {s['macro_f1']:.3f}"


def format_report(report: dict, tasks: Sequence[Task]) -> str:
    """The report of :func:`evaluate` as a plain-text table."""
    lines = [f"{report['n']} documents"]
    for task in tasks:
        s = report["overall"][task.name]
        lines.append(f"\n{task.name} ({task.kind})  {_summary(task, s)}")
        lines.append(f"  {'label':<16}{'precision':>10}{'recall':>8}{'F1':>8}{'support':>9}")
        for label, m in s["labels"].items():
            lines.append(f"  {label:<16}{m['precision']:>10.3f}{m['recall']:>8.3f}{m['f1']:>8.3f}{m['support']:>9}")
    for column, groups in report["by"].items():
        lines.append(f"\nby {column}:")
        for value, g in groups.items():
            parts = [f"{task.name}: {_summary(task, g[task.name])}" for task in tasks]
            lines.append(f"  {value or '(none)':<10} n={g['n']:<6}" + " | ".join(parts))
    return "\n".join(lines)
