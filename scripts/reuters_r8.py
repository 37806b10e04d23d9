#!/usr/bin/env python3
"""Train and evaluate newsclf on Reuters-21578 R8 with the command line, as a user would.

Reads ../shared/data/bench/reuters21578.csv (or --source), writes the R8 ModApte train and test
splits as CSV into --workdir, then runs ``newsclf train``, ``newsclf info`` and ``newsclf evaluate``.

    python scripts/reuters_r8.py                # prints the card and the test report
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

from newsclf.cli import main as newsclf

DEFAULT_SOURCE = Path(__file__).resolve().parents[2] / "shared" / "data" / "bench" / "reuters21578.csv"


def write_splits(source: Path, workdir: Path, label: str = "r8_label") -> tuple[Path, Path]:
    """Write ``train.csv`` and ``test.csv`` (title, body, label) for rows with a ``label``."""
    csv.field_size_limit(2**31 - 1)
    workdir.mkdir(parents=True, exist_ok=True)
    paths = {split: workdir / f"{split}.csv" for split in ("train", "test")}
    files = {split: open(path, "w", newline="", encoding="utf-8") for split, path in paths.items()}
    try:
        writers = {split: csv.writer(f) for split, f in files.items()}
        for w in writers.values():
            w.writerow(["title", "body", "label"])
        with open(source, encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                if row[label] and row["modapte_split"] in writers:
                    writers[row["modapte_split"]].writerow([row["title"], row["body"], row[label]])
    finally:
        for f in files.values():
            f.close()
    return paths["train"], paths["test"]


def run(source: Path, workdir: Path, label: str = "r8_label", extra: list[str] | None = None) -> int:
    train, test = write_splits(source, workdir, label)
    model = workdir / "model"
    code = newsclf(["train", str(train), "-o", str(model), "--task", "label:single", *(extra or [])])
    if code == 0:
        code = newsclf(["info", str(model)])
    if code == 0:
        code = newsclf(["evaluate", str(model), str(test)])
    return code


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="reuters21578.csv")
    parser.add_argument("--workdir", type=Path, default=Path("out/r8"), help="where splits and model go")
    parser.add_argument("--label", default="r8_label", choices=["r8_label", "r52_label"])
    args, rest = parser.parse_known_args()  # the rest goes to `newsclf train` (e.g. --C 1 -j 2)
    if not args.source.is_file():
        sys.exit(f"no corpus at {args.source}; pass --source")
    sys.exit(run(args.source, args.workdir, args.label, rest))
