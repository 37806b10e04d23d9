"""The benchmark harness (scripts/bench) end to end on the tiny corpus, and its scoring helpers."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "scripts" / "bench"
TINY = ROOT / "tests" / "data" / "tiny.jsonl"


@pytest.fixture
def bench(monkeypatch):
    """The harness modules, imported the way run.py imports them (its folder on sys.path)."""
    monkeypatch.syspath_prepend(str(BENCH))
    return {name: importlib.import_module(name) for name in ("corpora", "report", "systems", "worker")}


def _run(tmp_path: Path, systems: str, *extra: str) -> tuple[dict, str]:
    out_json, out_md = tmp_path / "bench.json", tmp_path / "table.md"
    cmd = [
        sys.executable, str(BENCH / "run.py"), "--corpora", "", "--jsonl", f"{TINY}:topic", "--systems", systems,
        "--runs", "1", "--latency-docs", "5", "--workdir", str(tmp_path / "work"), "--json", str(out_json),
        "--markdown", str(out_md), *extra,
    ]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(out_json.read_text()), out_md.read_text()


def test_run_newsclf_and_sklearn(tmp_path):
    """One run of newsclf and scikit-learn's LinearSVC on the tiny multi-label corpus, in worker processes."""
    systems = ["newsclf", "sklearn-svm"]
    results, table = _run(tmp_path, ",".join(systems))
    for key in ("command", "date", "git", "machine", "versions", "settings", "systems", "corpora", "elapsed_seconds"):
        assert key in results, key
    assert results["settings"]["runs"] == 1 and results["settings"]["threads"] == 1
    for key in ("cpu", "logical_cores", "ram_gib", "os", "python"):
        assert results["machine"][key], key
    assert results["versions"]["newsclf"] and results["versions"]["scikit-learn"]
    corpus = results["corpora"]["tiny-topic"]
    assert (corpus["kind"], corpus["empty_label"], corpus["n_train"] + corpus["n_test"]) == ("multi", "other", 48)
    rows = {r["system"]: r for r in results["results"]}
    assert sorted(rows) == sorted(systems)
    for system, row in rows.items():
        assert row["corpus"] == "tiny-topic" and row["n_runs"] == 1, row.get("error")
        m = row["median"]
        for key in ("micro_f1", "subset_accuracy", "macro_f1"):
            assert 0.0 <= m[key] <= 1.0, (system, key)
        assert m["train_seconds"] > 0 and m["predict_seconds"] > 0 and m["load_seconds"] >= 0
        assert m["docs_per_second"] == pytest.approx(corpus["n_test"] / m["predict_seconds"], rel=0.05)
        assert 0 < m["latency_ms_median"] <= m["latency_ms_p95"]
        assert m["model_bytes"] > 1000
        run = row["runs"][0]
        assert run["latency_docs"] == 5 and run["one_by_one_agrees"] == 1.0
        for phase in ("train", "predict"):
            assert run[f"{phase}_peak_rss_mib"] >= run[f"{phase}_baseline_rss_mib"] > 5
        assert f"| tiny-topic | {system} |" in table
    assert len(table.strip().splitlines()) == 2 + len(rows)  # header, rule, one line per system
    assert not any((tmp_path / "work" / "models").iterdir())  # models are removed after each run


def test_lanes_run_measurements_side_by_side(tmp_path):
    """Two lanes, two runs of two systems: every run is kept, in run order, and nothing is left behind."""
    serial, _ = _run(tmp_path / "serial", "newsclf,sklearn-svm")
    results, table = _run(tmp_path / "lanes", "newsclf,sklearn-svm", "--lanes", "2", "--runs", "2")
    assert results["settings"]["lanes"] == 2
    rows = {r["system"]: r for r in results["results"]}
    assert sorted(rows) == ["newsclf", "sklearn-svm"]
    for system, row in rows.items():
        assert [run["run"] for run in row["runs"]] == [1, 2], row.get("error")
        # The same split and deterministic systems: lanes change the timings, never the scores.
        alone = next(r for r in serial["results"] if r["system"] == system)["median"]
        assert row["median"]["micro_f1"] == alone["micro_f1"]
    work = tmp_path / "lanes" / "work"
    assert not any((work / "models").iterdir()) and not any((work / "scratch").iterdir())


def _in_process(bench, tmp_path: Path, names: list[str]) -> None:
    """Train, reload and predict each system on the tiny single-label corpus in this process."""
    corpus = bench["corpora"].load_jsonl(TINY, "region")
    info = {"kind": corpus.kind, "labels": corpus.labels, "empty_label": corpus.empty_label}
    assert corpus.kind == "single" and len(corpus.test) == 12
    for name in names:
        system = bench["systems"].get(name)
        model_dir = tmp_path / name
        bench["systems"].clear_dir(model_dir)
        system.train(corpus.train, info, model_dir, tmp_path)
        model = system.load(model_dir)
        predicted = system.predict(model, corpus.test)
        assert len(predicted) == len(corpus.test)
        assert all(len(labels) == 1 and labels[0] in corpus.labels for labels in predicted), name
        assert [system.predict_one(model, doc) for doc in corpus.test] == predicted, name
        assert bench["systems"].model_bytes(model_dir) > 100


def test_single_label_systems_in_process(bench, tmp_path):
    _in_process(bench, tmp_path, ["newsclf", "sklearn-lr"])


def test_fasttext_and_vw_workers(bench, tmp_path):
    """fastText and Vowpal Wabbit through worker.py (each phase in a fresh process, as run.py does)."""
    pytest.importorskip("fasttext")
    pytest.importorskip("vowpalwabbit")
    corpus = bench["corpora"].load_jsonl(TINY, "region")
    bench["corpora"].write_split(corpus, tmp_path / "tiny")
    for name in ("fasttext-uni", "vw"):
        common = ["--system", name, "--corpus-dir", str(tmp_path / "tiny"), "--model-dir", str(tmp_path / name)]
        for phase in ("train", "predict"):
            out = tmp_path / f"{name}-{phase}.json"
            cmd = [sys.executable, str(BENCH / "worker.py"), *common, "--phase", phase, "--latency-docs", "4", "--out", str(out)]
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
            assert proc.returncode == 0, proc.stderr[-2000:]
            result = json.loads(out.read_text())
            assert json.loads(proc.stdout.strip().splitlines()[-1]) == result
        assert result["n_test"] == 12 and result["latency_docs"] == 4 and result["one_by_one_agrees"] == 1.0
        with open(result["predictions"], encoding="utf-8") as f:
            predicted = [json.loads(line) for line in f]
        assert len(predicted) == 12 and all(len(p) == 1 and p[0] in corpus.labels for p in predicted)


def test_score(bench):
    score = bench["report"].score
    assert score("single", [["a"], ["b"], ["b"], ["c"]], [["a"], ["b"], ["a"], ["c"]]) == {"accuracy": 0.75, "macro_f1": 0.7778}
    s = score("multi", [["a", "b"], ["other"], ["b"]], [["a"], ["other"], ["a", "b"]])
    assert s == {"micro_f1": 0.75, "subset_accuracy": 0.3333, "macro_f1": 0.7778}  # tp 3, fp 1, fn 1
    with pytest.raises(ValueError, match="same length"):
        score("single", [["a"]], [])


def test_decode_multi_and_tokens(bench):
    systems = bench["systems"]
    assert systems.decode_multi(["other", "military", "economy"], "other") == ["economy", "military"]
    assert systems.decode_multi([], "other") == ["other"]
    assert systems.decode_multi([], None) == []
    assert systems.tokens("EE.UU. sube 2,5%") == ["ee", ".", "uu", ".", "sube", "2", ",", "5", "%"]
    assert systems.expand("fasttext,newsclf") == ["fasttext-uni", "fasttext-bi", "newsclf"]
    with pytest.raises(ValueError, match="unknown system"):
        systems.expand("bert")


def test_percentile_and_latency_sample(bench):
    worker = bench["worker"]
    assert worker.percentile([1.0, 2.0, 3.0, 4.0, 5.0], 50) == 3.0
    assert worker.percentile(list(map(float, range(101))), 95) == pytest.approx(95.0)
    sample = worker.latency_sample(1000, 300)
    assert len(sample) == len(set(sample)) == 300 and sample == worker.latency_sample(1000, 300)
    assert worker.latency_sample(10, 300) == list(range(10))


def test_news_split_is_stratified_and_fixed(bench):
    corpora = bench["corpora"]
    records = [{"id": f"n{i:03d}", "region": ("europe", "asia", "africa")[i % 3]} for i in range(300)]
    train, test = corpora.news_split(records)
    assert len(test) == 60 and len(train) == 240
    for region in ("europe", "asia", "africa"):
        assert sum(r["region"] == region for r in test) == 20
    assert corpora.news_split(list(reversed(records)))[1] == list(reversed(test))  # order-free choice
    assert not {r["id"] for r in train} & {r["id"] for r in test}
