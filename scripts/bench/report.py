"""Scores, the machine and the versions, medians over runs, and the Markdown table of a benchmark run.

Scores are computed here, in run.py's process, from the labels each worker wrote, so every system
is scored by the same code:

- single-label corpora: ``accuracy`` and ``macro_f1``;
- multi-label corpora: ``micro_f1`` (every label, the empty label ``other`` included),
  ``subset_accuracy`` (the whole label set right) and ``macro_f1``.

Macro-F1 averages the F1 of the labels that occur in the test set (a label no test document has
would only add a zero for predicting it at all; its false positives still lower the recall of the
documents' true labels).
"""

from __future__ import annotations

import datetime as _dt
import os
import platform
import statistics
import subprocess
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

#: Libraries whose versions a result records.
PACKAGES = ("newsclf", "fasttext", "vowpalwabbit", "scikit-learn", "numpy", "scipy", "joblib")

#: Measurements summarised by their median over runs (the scores too: fastText with several
#: threads is not deterministic).
MEASUREMENTS = (
    "accuracy", "micro_f1", "subset_accuracy", "macro_f1", "train_seconds", "load_seconds", "predict_seconds",
    "docs_per_second", "latency_ms_median", "latency_ms_p95", "train_peak_rss_mib", "predict_peak_rss_mib",
    "train_children_peak_rss_mib", "predict_children_peak_rss_mib", "model_bytes", "wall_seconds",
)  # fmt: skip


def _f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def score(kind: str, truth: list[list[str]], predicted: list[list[str]]) -> dict:
    """Scores of predicted label lists against the true ones (see the module docstring).

    >>> score("single", [["a"], ["b"], ["b"]], [["a"], ["a"], ["b"]])
    {'accuracy': 0.6667, 'macro_f1': 0.6667}
    >>> score("multi", [["a", "b"], ["c"]], [["a"], ["c"]])
    {'micro_f1': 0.8, 'subset_accuracy': 0.5, 'macro_f1': 0.6667}
    """
    if len(truth) != len(predicted):
        raise ValueError(f"truth and predicted must have the same length ({len(truth)} != {len(predicted)})")
    if not truth:
        raise ValueError("nothing to score: the test set is empty")
    counts: dict[str, list[int]] = {}
    for true_row, pred_row in zip(truth, predicted):
        t, p = set(true_row), set(pred_row)
        for label in t | p:
            c = counts.setdefault(label, [0, 0, 0])
            c[0 if label in t and label in p else 1 if label in p else 2] += 1
    supported = [label for label, c in counts.items() if c[0] + c[2] > 0]
    macro = statistics.mean(_f1(*counts[label]) for label in supported)
    if kind == "single":
        accuracy = sum(set(t) == set(p) for t, p in zip(truth, predicted)) / len(truth)
        return {"accuracy": round(accuracy, 4), "macro_f1": round(macro, 4)}
    micro = _f1(*(sum(c[k] for c in counts.values()) for k in range(3)))
    subset = sum(set(t) == set(p) for t, p in zip(truth, predicted)) / len(truth)
    return {"micro_f1": round(micro, 4), "subset_accuracy": round(subset, 4), "macro_f1": round(macro, 4)}


def median_of_runs(runs: list[dict]) -> dict:
    """The median of each measurement over the runs that have it."""
    out = {}
    for key in MEASUREMENTS:
        values = [r[key] for r in runs if r.get(key) is not None]
        if values:
            out[key] = round(statistics.median(values), 4)
    return out


def machine() -> dict:
    """CPU model, logical cores, RAM, OS and Python of this machine, and its load now."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
    except OSError:
        pass
    ram_gib = None
    try:
        with open("/proc/meminfo", encoding="utf-8") as f:
            kib = next(int(line.split()[1]) for line in f if line.startswith("MemTotal:"))
        ram_gib = round(kib / 2**20, 1)
    except (OSError, StopIteration, ValueError):
        pass
    return {
        "cpu": cpu,
        "logical_cores": os.cpu_count(),
        "ram_gib": ram_gib,
        "os": platform.platform(),
        "python": platform.python_version(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def versions() -> dict:
    """Installed versions of :data:`PACKAGES` (``None`` for one that is not installed).

    fastText's module comes from the ``fasttext`` or the ``fasttext-wheel`` distribution; the
    version says which.
    """
    out = {}
    for name in PACKAGES:
        for dist in (name, "fasttext-wheel") if name == "fasttext" else (name,):
            try:
                out[name] = version(dist) + (f" ({dist})" if dist != name else "")
                break
            except PackageNotFoundError:
                out[name] = None
    return out


def git_state(root: Path) -> dict:
    """The commit checked out in ``root`` and whether the work tree has changes (read-only git calls)."""

    def git(*args):
        try:
            return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=30).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    commit = git("rev-parse", "HEAD")
    return {"commit": commit or None, "dirty": bool(git("status", "--porcelain", "--untracked-files=no")) if commit else None}


def now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def _fmt(value, digits: int) -> str:
    if value is None:
        return "–"
    return f"{value:,.{digits}f}"


def markdown(results: dict) -> str:
    """The results of a run as a Markdown table, one row per corpus and system (medians of runs).

    The best score, training time and throughput of each corpus are in bold.
    """
    header = (
        "| corpus | system | accuracy / micro-F1 | macro-F1 | train s | predict docs/s | latency ms median / p95 "
        "| peak RSS MiB train / predict | model MiB | runs |"
    )
    lines = [header, "|" + "---|" * header.count(" | ") + "---|"]
    by_corpus: dict[str, list[dict]] = {}
    for row in results["results"]:
        by_corpus.setdefault(row["corpus"], []).append(row)
    for corpus, rows in by_corpus.items():
        ok = [r for r in rows if r.get("median")]

        def best(key, pick):
            values = [r["median"][key] for r in ok if r["median"].get(key) is not None]
            return pick(values) if values else None

        main_key = "micro_f1" if results["corpora"][corpus]["kind"] == "multi" else "accuracy"
        top = {main_key: best(main_key, max), "train_seconds": best("train_seconds", min), "docs_per_second": best("docs_per_second", max)}
        for r in rows:
            m = r.get("median")
            if not m:
                lines.append(f"| {corpus} | {r['system']} | failed: {r.get('error', 'no result')[:60]} |" + " |" * 8)
                continue

            def cell(key, digits, text=None):
                text = text if text is not None else _fmt(m.get(key), digits)
                return f"**{text}**" if top.get(key) is not None and m.get(key) == top[key] else text

            score_text = _fmt(100 * m[main_key], 1) if main_key in m else "–"
            if main_key == "micro_f1" and "subset_accuracy" in m:
                score_cell = cell(main_key, 1, score_text) + f" (subset {100 * m['subset_accuracy']:.1f})"
            else:
                score_cell = cell(main_key, 1, score_text)
            rss = f"{_fmt(m.get('train_peak_rss_mib'), 0)} / {_fmt(m.get('predict_peak_rss_mib'), 0)}"
            workers = max(m.get("train_children_peak_rss_mib") or 0, m.get("predict_children_peak_rss_mib") or 0)
            if workers > 50:
                rss += f" (+ workers {workers:,.0f})"
            lines.append(
                f"| {corpus} | {r['system']} | {score_cell} | {_fmt(100 * m['macro_f1'], 1) if 'macro_f1' in m else '–'} "
                f"| {cell('train_seconds', 2)} | {cell('docs_per_second', 0)} "
                f"| {_fmt(m.get('latency_ms_median'), 2)} / {_fmt(m.get('latency_ms_p95'), 2)} | {rss} "
                f"| {_fmt(m['model_bytes'] / 2**20 if m.get('model_bytes') is not None else None, 1)} | {r['n_runs']} |"
            )
    return "\n".join(lines) + "\n"
