"""The bundled default model: loads lazily and once, labels the motivating article, retrains identically."""

import csv
import hashlib
import importlib.util
from pathlib import Path

import numpy as np
import pytest

import newsclf

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "datasets" / "sample_headlines.csv"


def _sample(ids):
    with open(SAMPLE, encoding="utf-8", newline="") as f:
        rows = {row["id"]: row for row in csv.DictReader(f)}
    return [rows[i] for i in ids]


def test_load_returns_one_cached_model():
    a, b = newsclf.load(), newsclf.load()
    assert a is b
    assert [t.name for t in a.tasks] == ["topic", "region"]
    assert a.card["corpus"]["sources"] == ["news_corpus.jsonl"]


def test_the_parameters_it_was_trained_with():
    # Saved before ``tol`` was a parameter: the loader fills in the tolerance of that time, not the
    # library's current default. Character 2-5-grams are in the saved parameters.
    params = newsclf.load().estimator.get_params()
    assert params["tol"] == 1e-4 and params["char_ngram_range"] == (2, 5)


def test_motivating_headline_from_the_command_line(capsys):
    from newsclf.cli import main

    assert main(["predict", "Lavrov reafirma el respaldo de Moscú a Maduro"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("topic=diplomacy(") and "region=latin_america(" in out


@pytest.mark.parametrize("row_id", ["3", "4"])
def test_english_and_portuguese_gists(row_id):
    (row,) = _sample([row_id])
    p = newsclf.load().predict_one(row["title"], body=row["body"])
    assert p.labels["topic"] == ("diplomacy", "military")
    assert p.labels["region"] == ("latin_america",)
    assert {"RU", "VE"} <= set(p.countries)


@pytest.mark.shared
def test_spanish_article(shared):
    (path,) = sorted((shared / "examples").glob("*.txt"))
    p = newsclf.load().predict_one("", body=path.read_text(encoding="utf-8"))  # an article without a headline
    assert p.labels["topic"] == ("diplomacy", "military")
    assert p.labels["region"] == ("latin_america",)
    assert p.language == "es" and {"VE", "RU", "US"} <= set(p.countries)


def _array_digest(model) -> str:
    digest = hashlib.sha256()
    est = model.estimator
    for name in sorted(est.coef_):
        digest.update(np.ascontiguousarray(est.coef_[name]).tobytes())
        digest.update(np.ascontiguousarray(est.intercept_[name]).tobytes())
    digest.update(np.ascontiguousarray(est.featurizer_.word_idf_).tobytes())
    digest.update("\n".join(est.featurizer_.word_terms_ + est.featurizer_.char_terms_).encode())
    return digest.hexdigest()


@pytest.mark.slow
def test_retraining_gives_the_same_model():
    spec = importlib.util.spec_from_file_location("train_default", ROOT / "scripts" / "train_default.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rebuilt = module.build(n_jobs=2)
    assert _array_digest(rebuilt) == _array_digest(newsclf.load())
