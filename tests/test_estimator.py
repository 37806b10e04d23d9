import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone

from newsclf import NewsClassifier
from newsclf.errors import CorpusError, LabelError
from newsclf.estimator import _fit_binary, _fit_one_of


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
    [
        ({"C": 0}, "C must be"), ({"class_weight": "auto"}, "class_weight must be"), ({"cv": 1}, "cv must be"),
        ({"tol": 0}, "tol must be"), ({"tol": "0.1"}, "tol must be"),
    ],
)
def test_bad_parameters(params, message):
    with pytest.raises(ValueError, match=message):
        NewsClassifier(**params).fit(["a", "b", "c", "d"], ["x", "y", "x", "y"])


def test_balanced_class_weight_trains(tiny_records):
    X, y = _xy(tiny_records)
    est = NewsClassifier(cv=3, class_weight="balanced", char_ngram_range=None).fit(X, y)
    assert est.predict(X[:1])[0]["region"][0] in est.tasks_[1].labels


def _separable(n_labels, n_docs=60, n_features=40, seed=0):
    rng = np.random.default_rng(seed)
    target = rng.integers(0, n_labels, n_docs)
    X = rng.random((n_docs, n_features)) * (rng.random((n_docs, n_features)) < 0.2)
    X[np.arange(n_docs), target] += 1.0  # one telling column per label
    return sp.csr_matrix(X), target


@pytest.mark.parametrize("n_labels", [2, 3, 5])
@pytest.mark.parametrize("class_weight", [None, "balanced"])
def test_one_liblinear_call_solves_each_label_problem(n_labels, class_weight):
    X, target = _separable(n_labels)
    coef, intercept = _fit_one_of(X, None, target, n_labels, 0.5, class_weight, 0, 1e-4)
    for j in range(n_labels):
        w, b = _fit_binary(X, None, target == j, 0.5, class_weight, 0, 1e-4)
        np.testing.assert_allclose(coef[j], w, atol=2e-3)
        assert intercept[j] == pytest.approx(b, abs=2e-3)
    assert coef.dtype == np.float32 and intercept.dtype == np.float32


def test_labels_missing_from_the_rows_are_never_chosen():
    X, target = _separable(4)
    rows = np.flatnonzero(target != 2)
    coef, intercept = _fit_one_of(X, rows, target, 4, 0.5, None, 0, 1e-4)
    assert not coef[2].any() and intercept[2] == -1.0
    decision = X @ coef.T + intercept
    assert (decision.argmax(axis=1) != 2).all()
    only = np.flatnonzero(target == 1)
    coef, intercept = _fit_one_of(X, only, target, 4, 0.5, None, 0, 1e-4)
    assert not coef.any() and list(intercept) == [-1.0, 1.0, -1.0, -1.0]
