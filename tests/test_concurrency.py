"""Concurrency (issue 7): one Model shared by threads, and scoring processes side by side.

A loaded :class:`~newsclf.Model` holds caches that fill while it predicts (stems per language in
:mod:`newsclf.text`, character n-grams per token in the featuriser). Threads predicting at once
must get exactly what one thread gets: the texts here carry words never seen before in each round,
so every thread is filling the caches while the others read them, and the interpreter switches
threads far more often than usual.
"""

from __future__ import annotations

import csv
import random
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import newsclf
from newsclf.scoring import score_file

THREADS = 8


@pytest.fixture()
def fast_switching():
    """Switch threads every 10 µs instead of every 5 ms, so races show up if there are any."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    yield
    sys.setswitchinterval(interval)


def _texts(records: list[dict], round_: int, n: int = 400) -> list:
    """Different documents each round: corpus texts with invented words, in the four languages."""
    rng = random.Random(round_)
    syllables = ["ka", "lo", "ção", "ñu", "ré", "mi", "tro", "vé", "qu'", "st", "-ur", "ë", "ss", "ü"]
    out = []
    for i in range(n):
        record = records[i % len(records)]
        invented = " ".join("".join(rng.choices(syllables, k=rng.randint(2, 6))) for _ in range(rng.randint(1, 8)))
        shape = i % 3
        if shape == 0:
            out.append(f"{record['title']} {invented}")
        elif shape == 1:
            out.append({"title": invented, "body": record["body"]})
        else:
            out.append((record["title"], f"{record['body']} {invented} {invented.upper()}"))
    return out


def test_one_model_in_eight_threads_predicts_as_one_thread(tiny_model_dir, tiny_records, fast_switching):
    serial_model, shared_model = newsclf.load(tiny_model_dir), newsclf.load(tiny_model_dir)
    for round_ in range(3):
        texts = _texts(tiny_records, round_)
        expected = serial_model.predict(texts)
        # Each thread predicts its own slices, in batches of varying size, all at once.
        slices = [texts[start::THREADS] for start in range(THREADS)]
        with ThreadPoolExecutor(THREADS) as pool:
            results = list(pool.map(lambda part: shared_model.predict(part[0], batch_size=part[1]), zip(slices, [1, 7, 50, 2000] * 2)))
        got = [None] * len(texts)
        for start, preds in enumerate(results):
            got[start::THREADS] = preds
        assert got == expected, f"round {round_}: threads disagree with the serial run"


def test_threads_predicting_the_same_documents_agree(tiny_model_dir, tiny_records, fast_switching):
    model = newsclf.load(tiny_model_dir)
    texts = _texts(tiny_records, 99, n=200)
    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(lambda _: model.predict(texts), range(THREADS)))
    expected = newsclf.load(tiny_model_dir).predict(texts)
    assert all(result == expected for result in results)


def test_the_bundled_model_from_threads(tiny_records, fast_switching):
    model = newsclf.load()
    texts = _texts(tiny_records, 7, n=48)
    expected = [model.predict([t])[0] for t in texts]
    with ThreadPoolExecutor(THREADS) as pool:
        got = list(pool.map(lambda t: model.predict([t])[0], texts))
    assert got == expected


def _write_input(path: Path, records: list[dict], seed: int, n: int = 300) -> Path:
    texts = _texts(records, seed, n)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "title", "body"])
        for i, text in enumerate(texts):
            title, body = (text, "") if isinstance(text, str) else (text["title"], text["body"]) if isinstance(text, dict) else text
            writer.writerow([i, title, body])
    return path


def test_two_scoring_processes_do_not_interfere(tiny_model_dir, tiny_records, tmp_path):
    inputs = [_write_input(tmp_path / "a.csv", tiny_records, 1), _write_input(tmp_path / "b.csv", tiny_records, 2)]
    runs = [(inputs[0], tmp_path / "out_a.csv"), (inputs[1], tmp_path / "out_b.csv")]
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "newsclf", "score", str(src), "-o", str(out), "-m", str(tiny_model_dir), "-j", "1", "--chunk-rows", "25", "-q"],
            stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        for src, out in runs
    ]
    errors = [proc.communicate(timeout=120)[1] for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0], errors
    assert all(err.startswith("scored 300 rows") for err in errors)
    model = newsclf.load(tiny_model_dir)
    for src, out in runs:
        reference = tmp_path / f"serial_{out.name}"
        score_file(str(src), str(reference), model, chunk_rows=25)
        assert out.read_bytes() == reference.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir() if "partial" in p.name or "state" in p.name) == []
