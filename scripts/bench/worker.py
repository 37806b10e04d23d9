#!/usr/bin/env python3
"""Measure ONE system on ONE corpus in this (fresh) process; launched by run.py.

Phase ``train`` reads the training split that run.py wrote, trains from the raw strings (text
processing included) and saves the model; phase ``predict``, in another fresh process, reloads the
model, predicts the whole test set in one call (throughput), then predicts ``--latency-docs`` test
documents one at a time (latency), and writes the predicted labels for run.py to score. Each phase
writes its measurements as one JSON object to ``--out`` and prints it as one line.

The library of the system is imported before the clock starts (``import_seconds`` is reported on
its own); the documents are read before it, so ``baseline_rss_mib`` is the interpreter plus the
documents, and ``peak_rss_mib`` (``getrusage`` ``ru_maxrss`` of this process) adds the library, the
model and the work. Processes a system starts (joblib workers) are shut down at the end of the
phase and their largest peak is reported as ``children_peak_rss_mib``.

    python scripts/bench/worker.py --system sklearn-svm --phase train --corpus-dir D --model-dir M --out r.json
"""

from __future__ import annotations

import argparse
import importlib
import json
import random
import resource
import statistics
import sys
import time
from pathlib import Path

import corpora
import systems

_MODULES = {"newsclf": "newsclf", "fasttext": "fasttext", "vowpalwabbit": "vowpalwabbit", "scikit-learn": "sklearn"}


def _rss_mib(who=resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # KiB on Linux


def _read(directory: Path, split: str) -> tuple[dict, list[dict]]:
    info = json.loads((directory / "corpus.json").read_text(encoding="utf-8"))
    with open(directory / f"{split}.jsonl", encoding="utf-8") as f:
        return info, [json.loads(line) for line in f]


def _stop_children() -> None:
    """Shut down joblib's reusable worker pool, if one was started, so its peak RSS is counted."""
    if "joblib" in sys.modules:
        from joblib.externals.loky import get_reusable_executor

        get_reusable_executor().shutdown(wait=True)


def latency_sample(n_docs: int, k: int, seed: int = corpora.SEED) -> list[int]:
    """Indices of the ``k`` test documents timed one at a time (the same for every system)."""
    return sorted(random.Random(seed).sample(range(n_docs), min(k, n_docs)))


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile (0-100) of ``values``, linearly interpolated."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("values must not be empty")
    pos = (len(ordered) - 1) * q / 100
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def train_phase(system, corpus_dir: Path, model_dir: Path, scratch: Path) -> dict:
    info, docs = _read(corpus_dir, "train")
    baseline = _rss_mib()
    start = time.perf_counter()
    importlib.import_module(_MODULES[system.library])
    import_seconds = time.perf_counter() - start
    systems.clear_dir(model_dir)
    scratch.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    system.train(docs, info, model_dir, scratch)
    train_seconds = time.perf_counter() - start
    _stop_children()
    return {
        "n_train": len(docs),
        "import_seconds": round(import_seconds, 3),
        "train_seconds": round(train_seconds, 3),
        "model_bytes": systems.model_bytes(model_dir),
        "baseline_rss_mib": round(baseline, 1),
        "peak_rss_mib": round(_rss_mib(), 1),
        "children_peak_rss_mib": round(_rss_mib(resource.RUSAGE_CHILDREN), 1),
    }


def predict_phase(system, corpus_dir: Path, model_dir: Path, latency_docs: int, predictions: Path) -> dict:
    info, docs = _read(corpus_dir, "test")
    baseline = _rss_mib()
    start = time.perf_counter()
    importlib.import_module(_MODULES[system.library])
    import_seconds = time.perf_counter() - start
    start = time.perf_counter()
    model = system.load(model_dir)
    load_seconds = time.perf_counter() - start
    start = time.perf_counter()
    batch = system.predict(model, docs)
    predict_seconds = time.perf_counter() - start
    if len(batch) != len(docs):
        raise RuntimeError(f"{system.name} returned {len(batch)} predictions for {len(docs)} documents")
    times, agree = [], 0
    sample = latency_sample(len(docs), latency_docs)
    for i in sample:
        start = time.perf_counter()
        one = system.predict_one(model, docs[i])
        times.append(time.perf_counter() - start)
        agree += sorted(one) == sorted(batch[i])
    _stop_children()
    predictions.parent.mkdir(parents=True, exist_ok=True)
    with open(predictions, "w", encoding="utf-8") as f:
        for labels in batch:
            f.write(json.dumps(labels, ensure_ascii=False) + "\n")
    return {
        "n_test": len(docs),
        "import_seconds": round(import_seconds, 3),
        "load_seconds": round(load_seconds, 3),
        "predict_seconds": round(predict_seconds, 3),
        "docs_per_second": round(len(docs) / predict_seconds, 1) if predict_seconds > 0 else None,
        "latency_ms_median": round(1000 * statistics.median(times), 3) if times else None,
        "latency_ms_p95": round(1000 * percentile(times, 95), 3) if times else None,
        "latency_docs": len(times),
        "one_by_one_agrees": round(agree / len(times), 4) if times else None,
        "baseline_rss_mib": round(baseline, 1),
        "peak_rss_mib": round(_rss_mib(), 1),
        "children_peak_rss_mib": round(_rss_mib(resource.RUSAGE_CHILDREN), 1),
        "predictions": str(predictions),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--system", required=True, help="a name from systems.names()")
    parser.add_argument("--phase", required=True, choices=["train", "predict"])
    parser.add_argument("--corpus-dir", type=Path, required=True, help="where run.py wrote the split")
    parser.add_argument("--model-dir", type=Path, required=True)
    parser.add_argument("--scratch", type=Path, help="for training files (default: beside the model)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--latency-docs", type=int, default=300)
    parser.add_argument("--predictions", type=Path, help="where the predict phase writes labels (JSONL)")
    parser.add_argument("--out", type=Path, required=True, help="the measurements, as JSON")
    args = parser.parse_args(argv)
    system = systems.get(args.system, args.threads)
    if args.phase == "train":
        scratch = args.scratch or args.model_dir.with_name(args.model_dir.name + "-scratch")
        result = train_phase(system, args.corpus_dir, args.model_dir, scratch)
    else:
        predictions = args.predictions or args.model_dir.with_name(args.model_dir.name + "-predictions.jsonl")
        result = predict_phase(system, args.corpus_dir, args.model_dir, args.latency_docs, predictions)
    result = {"system": args.system, "phase": args.phase, **result}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result), encoding="utf-8")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
