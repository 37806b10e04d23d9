import numpy as np
import pytest
from sklearn.base import clone

from newsclf import NewsClassifier
from newsclf.errors import CorpusError, LabelError


def _xy(records):
    X = [{"title": r["title"], "body": r["body"]} for r in records]
    y = [{"topic": r["topic"], "region": r["region"]} for r in records]
    return X, y


def test_get_params_clone_and_fit(tiny_records):
    est = NewsClassifier(C=0.7, cv=3, char_ngram_range=(3, 4))
    assert est.get_params()["C"] == 0.7
    X, y = _xy(tiny_records)
    fitted = clone(est).fit(X, y)
    assert [t.name for t in fitted.tasks_] == ["topic", "region"]
    proba = fitted.predict_proba(X[:3])
    assert proba["topic"].shape == (3, 4) and proba["region"].shape == (3, 8)
    assert np.allclose(proba["region"].sum(axis=1), 1.0)
    assert ((proba["topic"] >= 0) & (proba["topic"] <= 1)).all()
    assert set(fitted.cv_scores_) >= {"topic", "region", "folds"}
    decision = fitted.decision_function(X[:3])
    assert decision["topic"].shape == (3, 3) and decision["region"].shape == (3, 8)
    cal = fitted.calibration_["topic"]
    expected = 1.0 / (1.0 + np.exp(-(decision["topic"] * cal["a"] + cal["b"])))
    assert np.allclose(proba["topic"][:, :3], expected)  # scored labels come first in sorted order
    assert 0 <= fitted.cv_scores_["region"]["ece"] <= 1


def test_empty_label_never_with_another(tiny_records):
    X, y = _xy(tiny_records)
    est = NewsClassifier(cv=3, char_ngram_range=None).fit(X, y)
    topic = est.tasks_[0]
    assert topic.empty == "other"
    for labels in est.predict(X + ["", "zzz qqq"]):
        assert labels["topic"] and ("other" not in labels["topic"] or labels["topic"] == ("other",))
    # Forcing every threshold to 1 leaves only the empty label.
    proba = est.predict_proba(X[:5])
    forced = est.labels_from_proba(proba, {label: 1.0 for label in topic.scored_labels})
    assert all(p["topic"] == ("other",) for p in forced)


def test_deterministic_for_a_seed(tiny_records):
    X, y = _xy(tiny_records)
    a = NewsClassifier(cv=3, random_state=3).fit(X, y)
    b = NewsClassifier(cv=3, random_state=3, n_jobs=2).fit(X, y)
    for name in a.coef_:
        assert np.array_equal(a.coef_[name], b.coef_[name])
    assert a.cv_scores_ == b.cv_scores_


def test_single_task_with_plain_labels():
    X = ["oil price up", "oil output cut", "goal scored", "match won", "crude rises", "team wins"]
    y = ["econ", "econ", "sport", "sport", "econ", "sport"]
    est = NewsClassifier(tasks={"kind": "single"}, cv=2).fit(X, y)
    assert est.predict(["oil falls"])[0]["kind"] == ("econ",)
    assert 0 <= est.score(X, y) <= 1


@pytest.mark.parametrize(
    ("X", "y", "error", "message"),
    [
        (["a b", "c d", "e f", "g h"], ["x"] * 4, CorpusError, "only 1 label"),
        (["a", "b"], ["x", "y"], CorpusError, "too few documents"),
        (["a", "b", "c"], ["x", "y"], ValueError, "one entry per document"),
        (["a", "b", "c", "d"], [{"other": "x"}] * 4, LabelError, "no labels for task"),
    ],
)
def test_fit_errors(X, y, error, message):
    with pytest.raises(error, match=message):
        NewsClassifier(tasks={"t": "single"}, cv=2).fit(X, y)


@pytest.mark.parametrize(
    ("params", "message"),
    [({"C": 0}, "C must be"), ({"class_weight": "auto"}, "class_weight must be"), ({"cv": 1}, "cv must be")],
)
def test_bad_parameters(params, message):
    with pytest.raises(ValueError, match=message):
        NewsClassifier(**params).fit(["a", "b", "c", "d"], ["x", "y", "x", "y"])


def test_balanced_class_weight_trains(tiny_records):
    X, y = _xy(tiny_records)
    est = NewsClassifier(cv=3, class_weight="balanced", char_ngram_range=None).fit(X, y)
    assert est.predict(X[:1])[0]["region"][0] in est.tasks_[1].labels
