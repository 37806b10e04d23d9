#!/usr/bin/env python3
"""Scoring throughput: ``newsclf score`` with 1 and 2 workers against fastText batch prediction.

Builds a CSV of ``--rows`` news rows (headline and lead, sampled with a fixed seed from
datasets/news_corpus.jsonl), then times, each in a fresh process and ``--repeats`` times (the
median is reported):

- ``newsclf score IN -o OUT -j 1`` and ``-j 2`` with the bundled model;
- fastText (``pip install fasttext-wheel``): two supervised models (topic, one-vs-all; region,
  softmax) trained on the same corpus beforehand, then a script that reads the same CSV with the
  csv module, lower-cases and splits each text, predicts in batches of 2,000 rows with both models,
  and writes every input column plus the labels and scores — the same job, reading and writing
  included.

Peak RSS is the largest resident set of the process and its workers (``RUSAGE_CHILDREN``).
``--rss-check`` scores 100k and 1M rows with one worker and compares their peak RSS.

    python scripts/bench_scoring.py --rows 200000 --repeats 3 --json out/bench_scoring.json
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "datasets" / "news_corpus.jsonl"

FASTTEXT_SCORER = r'''
import csv, sys
import fasttext
csv.field_size_limit(2**31 - 1)
topic, region = fasttext.load_model(sys.argv[3]), fasttext.load_model(sys.argv[4])
def flush(rows, writer):
    lines = [" ".join(f"{r[1]} {r[2]}".lower().split()) for r in rows]
    t_labels, t_probs = topic.predict(lines, k=-1, threshold=0.5)
    r_labels, r_probs = region.predict(lines, k=1)
    for row, tl, tp, rl, rp in zip(rows, t_labels, t_probs, r_labels, r_probs):
        labels = [l[9:] for l in tl] or ["other"]
        writer.writerow(row + ["|".join(labels), "|".join(f"{p:.4f}" for p in tp), rl[0][9:], f"{rp[0]:.4f}"])
with open(sys.argv[1], newline="", encoding="utf-8") as fin, open(sys.argv[2], "w", newline="", encoding="utf-8") as fout:
    reader, writer = csv.reader(fin), csv.writer(fout, lineterminator="\n")
    writer.writerow(next(reader) + ["pred_topic", "pred_topic_score", "pred_region", "pred_region_score"])
    batch = []
    for row in reader:
        batch.append(row)
        if len(batch) == 2000:
            flush(batch, writer); batch = []
    if batch:
        flush(batch, writer)
'''


def build_csv(path: Path, rows: int, seed: int = 0) -> None:
    """``rows`` rows of id, title, body sampled with replacement from the corpus."""
    with open(CORPUS, encoding="utf-8") as f:
        items = [json.loads(line) for line in f]
    rng = random.Random(seed)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["id", "title", "body"])
        for i in range(rows):
            item = rng.choice(items)
            writer.writerow([i, item["title"], item["body"]])


def timed(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of a command run in a fresh child process."""
    wrapper = (
        "import resource, subprocess, sys, time\n"
        "t = time.perf_counter(); subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)\n"
        "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    out = subprocess.run([sys.executable, "-c", wrapper, *cmd], check=True, capture_output=True, text=True).stdout
    seconds, rss_kib = out.split()
    return float(seconds), int(rss_kib) / 1024


def train_fasttext(workdir: Path) -> tuple[Path, Path]:
    import fasttext

    with open(CORPUS, encoding="utf-8") as f:
        items = [json.loads(line) for line in f]
    paths = []
    for task, loss in (("topic", "ova"), ("region", "softmax")):
        data = workdir / f"{task}.txt"
        with open(data, "w", encoding="utf-8") as f:
            for item in items:
                labels = item[task] if isinstance(item[task], list) else [item[task]]
                text = " ".join(f"{item['title']} {item['body']}".lower().split())
                f.write(" ".join(f"__label__{label}" for label in labels) + f" {text}\n")
        model = fasttext.train_supervised(str(data), loss=loss, epoch=50, lr=0.5, wordNgrams=2, verbose=0, thread=2)
        path = workdir / f"{task}.bin"
        model.save_model(str(path))
        paths.append(path)
    return paths[0], paths[1]


def median_run(cmd, repeats):
    runs = [timed(cmd) for _ in range(repeats)]
    return statistics.median(r[0] for r in runs), max(r[1] for r in runs)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-fasttext", action="store_true")
    parser.add_argument("--rss-check", action="store_true", help="compare peak RSS at 100k and 1M rows")
    parser.add_argument("--rss-only", action="store_true", help="only the RSS check (implies --rss-check)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    results: dict = {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
        "command": "python scripts/bench_scoring.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "rows": args.rows,
        "repeats": args.repeats,
    }
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        data = tmp / "in.csv"
        build_csv(data, 0 if args.rss_only else args.rows)
        results["input_mib"] = round(data.stat().st_size / 2**20, 1)
        newsclf = [sys.executable, "-m", "newsclf", "score", str(data), "-o", str(tmp / "out.csv"), "-q"]
        for jobs in () if args.rss_only else (1, 2):
            seconds, rss = median_run([*newsclf, "-j", str(jobs)], args.repeats)
            results[f"newsclf_j{jobs}"] = {"seconds": round(seconds, 2), "rows_per_s": round(args.rows / seconds), "peak_rss_mib": round(rss)}
            print(f"newsclf -j {jobs}: {args.rows / seconds:,.0f} rows/s, peak RSS {rss:.0f} MiB", file=sys.stderr)
        if not args.rss_only:
            results["speedup_1_to_2"] = round(results["newsclf_j1"]["seconds"] / results["newsclf_j2"]["seconds"], 2)
        if not args.no_fasttext and not args.rss_only:
            topic, region = train_fasttext(tmp)
            script = tmp / "ft_score.py"
            script.write_text(FASTTEXT_SCORER)
            cmd = [sys.executable, str(script), str(data), str(tmp / "ft_out.csv"), str(topic), str(region)]
            seconds, rss = median_run(cmd, args.repeats)
            results["fasttext"] = {"seconds": round(seconds, 2), "rows_per_s": round(args.rows / seconds), "peak_rss_mib": round(rss)}
            best = max(results["newsclf_j1"]["rows_per_s"], results["newsclf_j2"]["rows_per_s"])
            results["newsclf_best_over_fasttext"] = round(best / results["fasttext"]["rows_per_s"], 3)
            print(f"fastText: {args.rows / seconds:,.0f} rows/s, peak RSS {rss:.0f} MiB", file=sys.stderr)
        if args.rss_check or args.rss_only:
            for rows in (100_000, 1_000_000):
                build_csv(data, rows)
                _, rss = timed([*newsclf, "-j", "1"])
                results[f"rss_{rows}"] = round(rss)
                print(f"{rows} rows: peak RSS {rss:.0f} MiB", file=sys.stderr)
            results["rss_ratio_1m_over_100k"] = round(results["rss_1000000"] / results["rss_100000"], 3)
    print(json.dumps(results, indent=2))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
