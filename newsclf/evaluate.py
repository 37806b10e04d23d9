"""Metrics: how well predicted labels match true labels, per task and per group of documents.

:func:`task_scores` works on label tuples, so it serves cross-validation inside
:class:`~newsclf.estimator.NewsClassifier` as well as :func:`evaluate`, which scores a model on a
labelled corpus and returns an :class:`EvaluationReport`: the scores overall and broken down by
language (the corpus's ``lang`` column where present, else the detected language) and by any other
column, the calibration of the probabilities (:func:`task_calibration`), a confusion matrix per
task and the thresholds the multi-label decisions used. The report prints as a table
(:meth:`EvaluationReport.format`), converts to JSON (:meth:`EvaluationReport.to_dict`) and writes an
HTML page with plots (:meth:`EvaluationReport.write_html`, in :mod:`newsclf.report`).

For a multi-label task every label counts, the empty label (``other``) included, since it is
predicted like the others; ``micro_f1_scored`` leaves the empty label out, for comparison with
reports that do.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from .calibration import expected_calibration_error, reliability_bins
from .schema import Task

__all__ = ["EvaluationReport", "confusion", "evaluate", "task_calibration", "task_scores"]


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def task_scores(task: Task, truth: Sequence[tuple[str, ...]], predicted: Sequence[tuple[str, ...]]) -> dict:
    """Per-label precision/recall/F1/support and summary scores of one task.

    Summary scores: ``micro_f1`` and ``macro_f1`` (over labels with support); ``accuracy`` for a
    single-label task; ``subset_accuracy`` (the whole label set right), ``hamming_loss`` (wrong
    label decisions per document and label) and ``micro_f1_scored`` for a multi-label one.

    >>> topic = Task("topic", "multi", ("diplomacy", "military", "other"), empty="other")
    >>> s = task_scores(topic, [("diplomacy",), ("other",)], [("diplomacy", "military"), ("other",)])
    >>> round(s["micro_f1"], 3), s["subset_accuracy"], round(s["hamming_loss"], 3)
    (0.8, 0.5, 0.167)
    """
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


def task_calibration(task: Task, proba: np.ndarray, truth: Sequence[tuple[str, ...]], bins: int = 10) -> dict:
    """Expected calibration error and reliability bins of one task's probabilities.

    ``proba`` has one column per label of ``task.labels``. For a single-label task the confidence
    of the top label is checked against whether it is right; for a multi-label task every scored
    label's probability is checked against whether the label applies.
    Returns ``{"ece", "bins"}`` (see :func:`newsclf.calibration.reliability_bins`).
    """
    proba = np.asarray(proba, dtype=np.float64)
    if proba.shape != (len(truth), len(task.labels)):
        raise ValueError(f"proba must have shape {(len(truth), len(task.labels))} (got {proba.shape})")
    if task.is_multi:
        columns = [task.labels.index(label) for label in task.scored_labels]
        confidence = proba[:, columns]
        correct = np.array([[label in row for label in task.scored_labels] for row in truth], dtype=bool)
    else:
        best = proba.argmax(axis=1)
        confidence = proba.max(axis=1)
        correct = np.array([task.labels[k] == row[0] for k, row in zip(best, truth)], dtype=bool)
    return {
        "ece": expected_calibration_error(confidence, correct, bins),
        "bins": reliability_bins(confidence, correct, bins),
    }


def confusion(task: Task, truth: Sequence[tuple[str, ...]], predicted: Sequence[tuple[str, ...]]) -> dict:
    """Counts of true label (rows) against predicted label (columns).

    For a single-label task this is the confusion matrix. For a multi-label task a document adds one
    to every (true label, predicted label) pair of its two label sets, so the diagonal counts hits
    and the rest shows which labels are predicted alongside, or instead of, the true ones.
    Returns ``{"labels", "matrix"}`` (matrix as nested lists, rows and columns in ``labels`` order).
    """
    labels = list(task.labels) + sorted({label for row in (*truth, *predicted) for label in row} - set(task.labels))
    index = {label: i for i, label in enumerate(labels)}
    matrix = np.zeros((len(labels), len(labels)), dtype=np.int64)
    for true_row, pred_row in zip(truth, predicted):
        for t in set(true_row):
            for p in set(pred_row):
                matrix[index[t], index[p]] += 1
    return {"labels": labels, "matrix": matrix.tolist()}


@dataclass
class EvaluationReport:
    """What :func:`evaluate` found; print it, save it as JSON or write it as an HTML page.

    Attributes
    ----------
    n : int
        Documents scored.
    tasks : tuple of Task
    overall : dict
        ``{task: scores}`` (see :func:`task_scores`).
    by : dict
        ``{column: {value: {"n": int, task: scores}}}``; ``lang`` is always there.
    calibration : dict
        ``{task: {"ece", "bins"}}`` (see :func:`task_calibration`).
    confusion : dict
        ``{task: {"labels", "matrix"}}`` (see :func:`confusion`).
    thresholds : dict
        ``{task: {label: {"threshold": float, "overridden": bool}}}`` for multi-label tasks.
    extra : dict
        Anything else a caller adds (the command line puts the corpus reading report here).
    """

    n: int
    tasks: tuple
    overall: dict
    by: dict
    calibration: dict
    confusion: dict
    thresholds: dict
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """A JSON-ready dict of everything in the report."""
        return {
            "n": self.n,
            "tasks": [t.to_json() for t in self.tasks],
            "overall": self.overall,
            "by": self.by,
            "calibration": self.calibration,
            "confusion": self.confusion,
            "thresholds": self.thresholds,
            **self.extra,
        }

    def format(self) -> str:
        """The report as plain-text tables for a terminal."""
        lines = [f"{self.n} documents"]
        for task in self.tasks:
            s = self.overall[task.name]
            lines.append(f"\n{task.name} ({task.kind})  {_summary(task, s)}  ECE {self.calibration[task.name]['ece']:.3f}")
            lines.append(f"  {'label':<16}{'precision':>10}{'recall':>8}{'F1':>8}{'support':>9}{'threshold':>11}")
            cuts = self.thresholds.get(task.name, {})
            for label, m in s["labels"].items():
                cut = cuts.get(label)
                shown = "" if cut is None else f"{cut['threshold']:.2f}" + ("*" if cut["overridden"] else "")
                lines.append(
                    f"  {label:<16}{m['precision']:>10.3f}{m['recall']:>8.3f}{m['f1']:>8.3f}{m['support']:>9}{shown:>11}"
                )
            if any(c["overridden"] for c in cuts.values()):
                lines.append("  (* threshold given for this run, not the model's own)")
            lines.extend(_format_matrix(task, self.confusion[task.name]))
        for column, groups in self.by.items():
            lines.append(f"\nby {column}:")
            for value, g in groups.items():
                parts = [f"{task.name}: {_summary(task, g[task.name])}" for task in self.tasks]
                lines.append(f"  {value or '(none)':<10} n={g['n']:<6}" + " | ".join(parts))
        return "\n".join(lines)

    def write_html(self, directory, title: str = "newsclf evaluation") -> str:
        """Write ``index.html`` and its PNG plots into ``directory``; returns the page's path.

        Needs matplotlib (``pip install 'newsclf[plot]'``).
        """
        from .report import write_html

        return write_html(self, directory, title=title)


def _summary(task: Task, s: dict) -> str:
    if task.is_multi:
        return (
            f"micro-F1 {s['micro_f1']:.3f}  macro-F1 {s['macro_f1']:.3f}  "
            f"subset acc {s['subset_accuracy']:.3f}  hamming {s['hamming_loss']:.3f}"
        )
    return f"accuracy {s['accuracy']:.3f}  macro-F1 {s['macro_f1']:.3f}"


def _format_matrix(task: Task, table: dict) -> list[str]:
    labels, matrix = table["labels"], table["matrix"]
    width = max(7, *(len(label) + 1 for label in labels))
    heading = "confusion (rows: true, columns: predicted)" if not task.is_multi else (
        "label co-occurrence (rows: true label, columns: predicted label, documents)"
    )
    lines = [f"  {heading}", "  " + " " * 16 + "".join(f"{label[:width - 1]:>{width}}" for label in labels)]
    for label, row in zip(labels, matrix):
        lines.append(f"  {label:<16}" + "".join(f"{v:>{width}}" for v in row))
    return lines


def evaluate(
    model,
    records: Iterable[dict],
    by: Sequence[str] = (),
    *,
    thresholds: Mapping[str, float] | None = None,
) -> EvaluationReport:
    """Scores of ``model`` on labelled records (as :func:`newsclf.corpus.read_corpus` yields them).

    Parameters
    ----------
    model : newsclf.Model
    records : iterable of dict
        ``{"title", "body", <task>: labels, ...}``; labels as a task parses them (a string, a
        ``|``-separated string or a list); other keys may be used by ``by``. A label the task does
        not know raises :class:`~newsclf.errors.LabelError`.
    by : sequence of str
        Record keys to break the scores down by, besides ``lang`` (always: the records' ``lang``
        where present, else the detected language).
    thresholds : mapping, optional
        ``{label: probability}`` overriding the model's multi-label thresholds for this evaluation.
    """
    records = list(records)
    predictions = model.predict([{"title": r["title"], "body": r.get("body", "")} for r in records], thresholds=thresholds)
    truth = {task.name: [task.parse(r.get(task.name)) for r in records] for task in model.tasks}
    predicted = [p.labels for p in predictions]
    everything = range(len(records))
    by_column: dict = {}
    for column in ["lang", *[c for c in by if c != "lang"]]:
        groups: dict[str, list[int]] = {}
        for i, (record, pred) in enumerate(zip(records, predictions)):
            value = str(record.get(column) or (pred.language if column == "lang" else ""))
            groups.setdefault(value, []).append(i)
        by_column[column] = {
            value: {"n": len(rows), **_scores(model.tasks, truth, predicted, rows)} for value, rows in sorted(groups.items())
        }
    calibrations, confusions, cuts = {}, {}, {}
    overrides = dict(thresholds or {})
    for task in model.tasks:
        proba = np.array([[p.scores[task.name][label] for label in task.labels] for p in predictions]).reshape(
            len(predictions), len(task.labels)
        )
        calibrations[task.name] = task_calibration(task, proba, truth[task.name])
        confusions[task.name] = confusion(task, truth[task.name], [p[task.name] for p in predicted])
        if task.is_multi:
            learned = model.estimator.thresholds_[task.name]
            cuts[task.name] = {
                label: {"threshold": float(overrides.get(label, learned[j])), "overridden": label in overrides}
                for j, label in enumerate(task.scored_labels)
            }
    return EvaluationReport(
        n=len(records),
        tasks=tuple(model.tasks),
        overall=_scores(model.tasks, truth, predicted, everything),
        by=by_column,
        calibration=calibrations,
        confusion=confusions,
        thresholds=cuts,
    )


def _scores(tasks, truth, predicted, rows) -> dict:
    return {
        task.name: task_scores(task, [truth[task.name][i] for i in rows], [predicted[i][task.name] for i in rows])
        for task in tasks
    }
