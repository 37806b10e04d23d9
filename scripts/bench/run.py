#!/usr/bin/env python3
"""Benchmark newsclf against fastText, Vowpal Wabbit and scikit-learn: one command, one table.

For every corpus and system, each run trains in a fresh process (worker.py, phase ``train``) and
predicts in another (phase ``predict``: reload, the whole test set at once, then documents one at a
time). Scores come from the predicted labels; the table shows medians over the runs.

    python scripts/bench/run.py --json docs/bench.json --markdown docs/bench-table.md
    python scripts/bench/run.py --corpora r8,news-topic --systems newsclf,fasttext --runs 1 --quick
    python scripts/bench/run.py --jsonl tests/data/tiny.jsonl:region --systems newsclf,sklearn --runs 1

Corpora: r8, r52, 20ng, news-topic, news-region (see corpora.py); ``--jsonl PATH:FIELD`` adds a
JSONL file with a seeded split. Systems: see systems.py; a family name (``fasttext``, ``sklearn``,
``newsclf``) selects all its members. A system whose library is not installed is skipped and
listed as such. ``--runs-for SYSTEM=N`` caps the runs of one system (a slow peer) below ``--runs``.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import corpora
import report
import systems

HERE = Path(__file__).resolve().parent
WORKER = HERE / "worker.py"

#: Documents kept per split by --quick.
QUICK_TRAIN, QUICK_TEST = 1500, 500


def _parse_runs_for(items: list[str]) -> dict[str, int]:
    out = {}
    for item in items:
        name, sep, n = item.partition("=")
        if not sep or not n.isdigit() or int(n) < 1:
            raise SystemExit(f"--runs-for must look like SYSTEM=N with N >= 1 (got {item!r})")
        for system in systems.expand(name):
            out[system] = int(n)
    return out


def prepare_corpora(names: list[str], jsonl: list[str], quick: bool, workdir: Path) -> dict[str, dict]:
    """Load, optionally subsample, and write each corpus's split under ``workdir``; returns their descriptions."""
    loaded = []
    for name in names:
        loaded.append(corpora.load(name))
    for spec in jsonl:
        path, sep, field = spec.rpartition(":")
        if not sep or not path:
            raise SystemExit(f"--jsonl must look like PATH:FIELD (got {spec!r})")
        loaded.append(corpora.load_jsonl(Path(path), field))
    described = {}
    for corpus in loaded:
        if quick:
            corpus = corpora.subsample(corpus, QUICK_TRAIN, QUICK_TEST)
        described[corpus.name] = corpora.write_split(corpus, workdir / "corpora" / corpus.name)
    return described


def run_worker(args: list[str], timeout: float) -> tuple[dict | None, float, str]:
    """Run worker.py with ``args`` in a fresh interpreter; returns (result or None, wall seconds, error)."""
    out = Path(args[args.index("--out") + 1])
    out.unlink(missing_ok=True)
    start = time.perf_counter()
    try:
        proc = subprocess.run([sys.executable, str(WORKER), *args], capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, time.perf_counter() - start, f"timed out after {timeout:.0f} s"
    wall = time.perf_counter() - start
    if proc.returncode != 0 or not out.is_file():
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        return None, wall, f"exit {proc.returncode}: {tail[0][:300]}"
    return json.loads(out.read_text(encoding="utf-8")), wall, ""


def measure(system: str, corpus: str, info: dict, run: int, args, workdir: Path) -> dict:
    """One run of one system on one corpus: train and predict workers, then the scores."""
    corpus_dir = workdir / "corpora" / corpus
    key = f"{corpus}--{system}--{run}"  # every path of a measurement is its own: lanes run side by side
    model_dir = workdir / "models" / key
    common = ["--system", system, "--corpus-dir", str(corpus_dir), "--model-dir", str(model_dir), "--threads", str(args.threads)]
    result: dict = {"run": run}
    trained, wall_train, error = run_worker(
        [*common, "--phase", "train", "--scratch", str(workdir / "scratch" / key), "--out", str(workdir / "out" / f"{key}--train.json")],
        args.timeout,
    )  # fmt: skip
    if trained is None:
        return {**result, "error": f"train: {error}"}
    predictions = workdir / "out" / f"{key}.jsonl"
    predicted, wall_predict, error = run_worker(
        [*common, "--phase", "predict", "--latency-docs", str(args.latency_docs), "--predictions", str(predictions),
         "--out", str(workdir / "out" / f"{key}--predict.json")],
        args.timeout,
    )  # fmt: skip
    if not args.keep_models:
        shutil.rmtree(model_dir, ignore_errors=True)
        shutil.rmtree(workdir / "scratch" / key, ignore_errors=True)
    if predicted is None:
        return {**result, "error": f"predict: {error}"}
    with open(corpus_dir / "test.jsonl", encoding="utf-8") as f:
        truth = [json.loads(line)["labels"] for line in f]
    with open(predictions, encoding="utf-8") as f:
        labels = [json.loads(line) for line in f]
    if not args.keep_models:
        predictions.unlink()
    result.update(report.score(info["kind"], truth, labels))
    result.update(
        {
            "train_seconds": trained["train_seconds"],
            "import_seconds_train": trained["import_seconds"],
            "model_bytes": trained["model_bytes"],
            "train_peak_rss_mib": trained["peak_rss_mib"],
            "train_baseline_rss_mib": trained["baseline_rss_mib"],
            "train_children_peak_rss_mib": trained["children_peak_rss_mib"],
            **{k: predicted[k] for k in ("load_seconds", "predict_seconds", "docs_per_second", "latency_ms_median",
                                         "latency_ms_p95", "latency_docs", "one_by_one_agrees")},
            "predict_peak_rss_mib": predicted["peak_rss_mib"],
            "predict_baseline_rss_mib": predicted["baseline_rss_mib"],
            "predict_children_peak_rss_mib": predicted["children_peak_rss_mib"],
            "wall_seconds": round(wall_train + wall_predict, 2),
        }
    )  # fmt: skip
    return result


def _progress(corpus: str, system: str, run: int, r: dict) -> None:
    if "error" in r:
        print(f"[{corpus} {system} run {run}] FAILED {r['error']}", file=sys.stderr, flush=True)
        return
    main = r.get("accuracy", r.get("micro_f1"))
    print(
        f"[{corpus} {system} run {run}] score {main:.4f} macro-F1 {r['macro_f1']:.4f} train {r['train_seconds']:.2f}s "
        f"predict {r['docs_per_second']:,.0f} docs/s latency {r['latency_ms_median']:.2f} ms; wall {r['wall_seconds']:.1f}s",
        file=sys.stderr, flush=True,
    )  # fmt: skip


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", default=",".join(corpora.CORPORA), help="comma-separated (default: all five)")
    parser.add_argument("--jsonl", action="append", default=[], metavar="PATH:FIELD", help="also a JSONL corpus (repeatable)")
    parser.add_argument("--systems", default=",".join(systems.names()), help="comma-separated names or families (default: all)")
    parser.add_argument("--runs", type=int, default=3, help="runs per system and corpus; medians are reported (default 3)")
    parser.add_argument("--runs-for", action="append", default=[], metavar="SYSTEM=N", help="fewer runs for one system")
    parser.add_argument("--quick", action="store_true", help=f"subsample each corpus to {QUICK_TRAIN} train / {QUICK_TEST} test documents")
    parser.add_argument("--threads", type=int, default=1, help="threads/processes a system may use (default 1, see docs/benchmarks.md)")
    parser.add_argument(
        "--lanes", type=int, default=1,
        help="measurements run side by side, each system still on --threads (default 1; see docs/benchmarks.md)",
    )  # fmt: skip
    parser.add_argument("--latency-docs", type=int, default=300, help="test documents predicted one at a time (default 300)")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds one worker may take (default 1800)")
    parser.add_argument("--workdir", type=Path, help="splits, models and scratch files (default: a new temporary folder)")
    parser.add_argument("--keep-models", action="store_true", help="keep the models and predictions in the workdir")
    parser.add_argument("--json", type=Path, help="write the full results here")
    parser.add_argument("--markdown", default="-", help="write the table here ('-': stdout, the default)")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.threads < 1 or args.lanes < 1 or args.latency_docs < 0:
        parser.error("--runs, --threads and --lanes must be >= 1 and --latency-docs >= 0")
    corpus_names = [c.strip() for c in args.corpora.split(",") if c.strip()]
    unknown = [c for c in corpus_names if c not in corpora.CORPORA]
    if unknown:
        parser.error(f"unknown corpus {unknown[0]!r}; choose from {', '.join(corpora.CORPORA)}")
    try:
        chosen = systems.expand(args.systems)
        runs_for = _parse_runs_for(args.runs_for)
    except ValueError as exc:
        parser.error(str(exc))
    skipped = {name: f"{systems.get(name).library} is not installed" for name in chosen if not systems.available(name)}
    chosen = [name for name in chosen if name not in skipped]
    for name, why in skipped.items():
        print(f"skipping {name}: {why} (pip install '.[bench]')", file=sys.stderr)

    started = time.perf_counter()
    temporary = None
    if args.workdir is None:
        temporary = tempfile.TemporaryDirectory(prefix="newsclf-bench-")
        workdir = Path(temporary.name)
    else:
        workdir = args.workdir
        workdir.mkdir(parents=True, exist_ok=True)
    results: dict = {
        "command": "python scripts/bench/run.py " + shlex.join(argv),
        "date": report.now(),
        "git": report.git_state(HERE.parents[1]),
        "machine": report.machine(),
        "versions": report.versions(),
        "settings": {
            "runs": args.runs, "runs_for": runs_for, "threads": args.threads, "lanes": args.lanes, "quick": args.quick,
            "latency_docs": args.latency_docs, "quick_sizes": [QUICK_TRAIN, QUICK_TEST] if args.quick else None,
        },  # fmt: skip
        "systems": {name: systems.get(name, args.threads).describe() for name in chosen},
        "skipped_systems": skipped,
    }
    try:
        described = prepare_corpora(corpus_names, args.jsonl, args.quick, workdir)
        results["corpora"] = {name: {k: v for k, v in info.items() if k != "labels"} for name, info in described.items()}
        runs: dict[tuple[str, str], list[dict]] = {(c, s): [] for c in described for s in chosen}
        # Runs are the outer loop, so a disturbance of the machine spreads over systems, not one system's runs.
        order = [
            (run, corpus, system)
            for run in range(1, args.runs + 1)
            for corpus in described
            for system in chosen
            if run <= runs_for.get(system, args.runs)
        ]

        def one(task):
            run, corpus, system = task
            r = measure(system, corpus, described[corpus], run, args, workdir)
            _progress(corpus, system, run, r)
            return task, r

        # Each lane runs one measurement (two worker processes, one after the other) at a time.
        with ThreadPoolExecutor(max_workers=args.lanes) as pool:
            for (run, corpus, system), r in pool.map(one, order):
                runs[(corpus, system)].append(r)
    finally:
        if temporary is not None:
            temporary.cleanup()
    results["results"] = []
    for (corpus, system), rs in runs.items():
        ok = [r for r in rs if "error" not in r]
        row = {"corpus": corpus, "system": system, "n_runs": len(ok), "median": report.median_of_runs(ok) if ok else None, "runs": rs}
        if not ok:
            row["error"] = rs[0]["error"] if rs else "not run"
        results["results"].append(row)
    results["elapsed_seconds"] = round(time.perf_counter() - started, 1)
    results["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    table = report.markdown(results)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    if args.markdown == "-":
        sys.stdout.write(table)
    else:
        Path(args.markdown).parent.mkdir(parents=True, exist_ok=True)
        Path(args.markdown).write_text(table, encoding="utf-8")
    print(f"done in {results['elapsed_seconds']:.0f} s", file=sys.stderr)
    failed = [r for r in results["results"] if r["median"] is None]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
