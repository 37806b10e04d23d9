#!/usr/bin/env python3
"""Choose the peers' settings once, on validation splits of the training sets (never a test set).

For every corpus, the training set is shuffled with a fixed seed and split 80/20; each setting of
each peer's small grid is trained on the 80% and scored (accuracy, or micro-F1 for a multi-label
corpus) on the 20%. A setting's figure is its mean over the corpora; the chosen setting is the
first, in grid order, within ``--tolerance`` of the best mean (the grids list cheaper settings
first: fewer epochs, fewer hash buckets, fewer passes). The result is written as JSON; the chosen
values are the constants at the top of systems.py.

    python scripts/bench/tune.py --json docs/bench_tuning.json
    python scripts/bench/tune.py --systems fasttext-bi --corpora r8 --quick   # a quick look

newsclf is not tuned here: it runs with the library's defaults.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import corpora
import report
import systems

#: Each peer's grid: parameter -> values, cheaper values first.
GRIDS: dict[str, dict[str, list]] = {
    "fasttext-uni": {"epoch": [25, 50], "lr": [0.5, 1.0]},
    "fasttext-bi": {"bucket": [200_000, 2_000_000], "epoch": [25, 50], "lr": [0.5, 1.0]},
    "vw": {"passes": [5, 10, 20], "bits": [18, 20], "loss_function": ["squared", "logistic"]},
    "sklearn-lr": {"C": [1.0, 10.0, 100.0]},
    "sklearn-svm": {"C": [0.3, 1.0, 3.0]},
}
VALIDATION_SHARE = 0.2
#: Training documents kept per corpus by --quick.
QUICK_TRAIN = 2000


def validation_split(docs: list[dict], share: float = VALIDATION_SHARE, seed: int = corpora.SEED) -> tuple[list, list]:
    """The training documents split into (fit, validation) after a seeded shuffle."""
    order = list(range(len(docs)))
    random.Random(seed).shuffle(order)
    n_val = round(share * len(docs))
    return [docs[i] for i in order[n_val:]], [docs[i] for i in order[:n_val]]


def make(system: str, params: dict):
    """A system of systems.py with ``params`` overriding its settings (single-threaded)."""
    if system.startswith("fasttext"):
        return systems.FastTextSystem(1 if system == "fasttext-uni" else 2, 1, **params)
    if system == "vw":
        return systems.VowpalWabbitSystem(1, **params)
    return systems.SklearnSystem(system.split("-", 1)[1], 1, **params)


def evaluate(system, fit: list[dict], val: list[dict], info: dict, workdir: Path) -> tuple[float | None, float]:
    """Validation score and training seconds of one setting (``None`` if training failed, e.g. a NaN)."""
    model_dir, scratch = workdir / "model", workdir / "scratch"
    systems.clear_dir(model_dir)
    scratch.mkdir(exist_ok=True)
    start = time.perf_counter()
    try:
        system.train(fit, info, model_dir, scratch)
    except RuntimeError as exc:  # fastText: "Encountered NaN" with a learning rate too high
        print(f"  failed: {exc}", file=sys.stderr)
        return None, time.perf_counter() - start
    seconds = time.perf_counter() - start
    predicted = system.predict(system.load(model_dir), val)
    scores = report.score(info["kind"], [d["labels"] for d in val], predicted)
    return scores.get("accuracy", scores.get("micro_f1")), seconds


def tune_system(system: str, names: list[str], quick: bool) -> dict:
    """Score every setting of ``system``'s grid on every corpus: ``{"scores", "train_seconds"}``."""
    splits = {}
    for name in names:
        corpus = corpora.load(name)
        if quick:
            corpus = corpora.subsample(corpus, QUICK_TRAIN, 0)
        info = {"kind": corpus.kind, "labels": corpus.labels, "empty_label": corpus.empty_label}
        splits[name] = (info, *validation_split(corpus.train))
    grid = GRIDS[system]
    table, times = {}, {}
    with tempfile.TemporaryDirectory(prefix="newsclf-tune-") as tmp:
        for values in itertools.product(*grid.values()):
            params = dict(zip(grid, values))
            key = json.dumps(params, sort_keys=True)
            table[key], times[key] = {}, {}
            for name, (info, fit, val) in splits.items():
                score, seconds = evaluate(make(system, params), fit, val, info, Path(tmp))
                table[key][name], times[key][name] = score, round(seconds, 2)
                shown = "failed" if score is None else f"{score:.4f}"
                print(f"{system} {key} {name}: {shown} ({seconds:.1f} s)", file=sys.stderr, flush=True)
            ok = [v for v in table[key].values() if v is not None]
            table[key]["mean"] = round(sum(ok) / len(ok), 4) if len(ok) == len(splits) else None
    return {"scores": table, "train_seconds": times}


def choose(table: dict, tolerance: float) -> str:
    """The first setting (grid order) whose mean is within ``tolerance`` of the best mean."""
    means = {k: v["mean"] for k, v in table.items() if v["mean"] is not None}
    if not means:
        raise RuntimeError("every setting failed")
    best = max(means.values())
    return next(k for k in table if means.get(k) is not None and means[k] >= best - tolerance)


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", default=",".join(corpora.CORPORA))
    parser.add_argument("--systems", default=",".join(GRIDS))
    parser.add_argument("--quick", action="store_true", help=f"subsample the training sets ({QUICK_TRAIN:,} documents)")
    parser.add_argument("--tolerance", type=float, default=0.002, help="a cheaper setting within this of the best wins")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--one-system-out", type=Path, help=argparse.SUPPRESS)  # internal: tune one system here
    args = parser.parse_args(argv)
    names = [c.strip() for c in args.corpora.split(",") if c.strip()]
    if args.one_system_out:
        args.one_system_out.write_text(json.dumps(tune_system(args.systems, names, args.quick)), encoding="utf-8")
        return 0
    chosen_systems = [s for s in systems.expand(args.systems) if s in GRIDS]
    out: dict = {"command": "python scripts/bench/tune.py " + " ".join(argv), "date": report.now(), "versions": report.versions(),
                 "validation_share": VALIDATION_SHARE, "seed": corpora.SEED, "tolerance": args.tolerance, "quick": args.quick,
                 "grids": GRIDS, "scores": {}, "train_seconds": {}, "chosen": {}}  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="newsclf-tune-") as tmp:
        for system in chosen_systems:
            result: dict = {"scores": {}, "train_seconds": {}}
            for name in names:
                # A fresh process for each system and corpus: fastText's next training after a
                # one-vs-all model in the same process can fail with "Encountered NaN", and so can
                # fastText's after Vowpal Wabbit has run there.
                path = Path(tmp) / f"{system}-{name}.json"
                cmd = [sys.executable, __file__, "--systems", system, "--corpora", name, "--one-system-out", str(path)]
                subprocess.run(cmd + (["--quick"] if args.quick else []), check=True)
                part = json.loads(path.read_text(encoding="utf-8"))
                for key in ("scores", "train_seconds"):
                    for setting, values in part[key].items():
                        result[key].setdefault(setting, {})[name] = values[name]
            for setting, values in result["scores"].items():
                ok = [values[name] for name in names if values.get(name) is not None]
                values["mean"] = round(sum(ok) / len(ok), 4) if len(ok) == len(names) else None
            pick = choose(result["scores"], args.tolerance)
            out["scores"][system], out["train_seconds"][system] = result["scores"], result["train_seconds"]
            out["chosen"][system] = json.loads(pick)
            print(f"{system}: chosen {pick} (mean {result['scores'][pick]['mean']:.4f})", file=sys.stderr, flush=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(out["chosen"], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
