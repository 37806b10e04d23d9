"""End-to-end checks on the public benchmark corpora in ../shared (skipped where it is absent)."""

import csv
import importlib.util
from pathlib import Path

import pytest

import newsclf
from newsclf.cli import main

pytestmark = [pytest.mark.shared, pytest.mark.slow]
SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"


def _script(name):
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_r8_accuracy_from_the_command_line(shared, tmp_path, capsys):
    r8 = _script("reuters_r8")
    train, test = r8.write_splits(shared / "data" / "bench" / "reuters21578.csv", tmp_path)
    assert main(["train", str(train), "-o", str(tmp_path / "m"), "--task", "label:single", "-j", "2"]) == 0
    assert main(["info", str(tmp_path / "m")]) == 0
    assert "task label (single): acq" in capsys.readouterr().out
    model = newsclf.load(tmp_path / "m")
    with open(test, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 2189
    predicted = model.predict([(r["title"], r["body"]) for r in rows])
    accuracy = sum(p.labels["label"][0] == r["label"] for p, r in zip(predicted, rows)) / len(rows)
    assert accuracy >= 0.97


def test_spanish_article_and_gist_with_a_model_trained_from_the_command_line(shared, tmp_path):
    corpus = Path(__file__).resolve().parents[1] / "datasets" / "news_corpus.jsonl"
    out = tmp_path / "m"
    assert main(["train", str(corpus), "-o", str(out), "--cv", "3", "-j", "2"]) == 0
    model = newsclf.load(out)
    (article,) = sorted((shared / "examples").glob("*.txt"))
    gist = "Russia reaffirms support for Maduro as Venezuela mobilises militias against US pressure"
    for p in model.predict([("", article.read_text(encoding="utf-8")), gist]):
        assert p.labels == {"topic": ("diplomacy", "military"), "region": ("latin_america",)}
