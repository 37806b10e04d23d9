#!/usr/bin/env python3
"""Tune newsclf on Reuters-21578 R8 with the command line and compare it with the untuned model.

Writes the R8 ModApte splits into --workdir (as scripts/reuters_r8.py does), runs ``newsclf tune``
on the training split and times it, trains the untuned model with ``newsclf train``, evaluates both
on the test split, and prints a JSON summary: the search's wall time and the machine's load
average around it, the cross-validated scores of the chosen and the untuned parameters, and the
test accuracy and macro-F1 of both models (to ``--json`` if given: the search's table goes to
standard output either way).

    python scripts/tune_r8.py -j 2 --json docs/tune_r8.json
    python scripts/tune_r8.py -j 2 --progress     # extra options go to `newsclf tune`
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import newsclf  # noqa: E402
from newsclf.cli import main as newsclf_cli  # noqa: E402
from newsclf.corpus import read_corpus  # noqa: E402
from newsclf.evaluate import evaluate  # noqa: E402
from reuters_r8 import DEFAULT_SOURCE, write_splits  # noqa: E402


def test_scores(model_dir: Path, test: Path) -> dict:
    """Accuracy and macro-F1 of a saved single-task model on a labelled test file."""
    model = newsclf.load(model_dir)
    report = evaluate(model, read_corpus(str(test), model.tasks))
    scores = report.overall[model.tasks[0].name]
    return {"accuracy": round(scores["accuracy"], 4), "macro_f1": round(scores["macro_f1"], 4)}


def run(source: Path, workdir: Path, jobs: int | None, tune_args: list[str], json_path: Path | None = None) -> int:
    train, test = write_splits(source, workdir, "r8_label")
    tuned, untuned = workdir / "tuned", workdir / "untuned"
    common = ["--task", "label:single", *(["-j", str(jobs)] if jobs else [])]
    load_before = os.getloadavg()
    started = time.perf_counter()
    code = newsclf_cli(["tune", str(train), "-o", str(tuned), *common, *tune_args])
    wall = time.perf_counter() - started
    load_after = os.getloadavg()
    if code:
        return code
    code = newsclf_cli(["train", str(train), "-o", str(untuned), *common])
    if code:
        return code
    tuning = newsclf.load(tuned).card["tuning"]
    summary = {
        "tune_wall_seconds": round(wall, 1),
        "tune_seconds": tuning["seconds"],
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in load_after],
        "cpus": os.cpu_count(),
        "candidates": len(tuning["candidates"]),
        "chosen": tuning["chosen"]["params"],
        "cv_accuracy": {
            "tuned": [tuning["chosen"]["mean"], tuning["chosen"]["std"]],
            "untuned": [tuning["untuned"]["mean"], tuning["untuned"]["std"]],
        },
        "test": {"tuned": test_scores(tuned, test), "untuned": test_scores(untuned, test)},
    }
    text = json.dumps(summary, indent=2) + "\n"
    if json_path is None:
        print(text, end="")
    else:
        json_path.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="reuters21578.csv")
    parser.add_argument("--workdir", type=Path, default=Path("out/r8-tune"), help="where splits and models go")
    parser.add_argument("-j", "--jobs", type=int, default=None, help="processes for tuning and training")
    parser.add_argument("--json", type=Path, default=None, help="write the summary here instead of printing it")
    args, rest = parser.parse_known_args()  # the rest goes to `newsclf tune` (e.g. --progress, --cv 5)
    if not args.source.is_file():
        sys.exit(f"no corpus at {args.source}; pass --source")
    sys.exit(run(args.source, args.workdir, args.jobs, rest, args.json))
