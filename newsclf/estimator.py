"""The scikit-learn estimator: one feature matrix, one linear classifier per label of every task.

:class:`NewsClassifier` builds the features of :mod:`newsclf.features` once and trains every task
on them. Each label gets a binary linear SVM (L2-regularised squared hinge, liblinear): one-vs-rest
for both kinds of task. Decision values become probabilities in :mod:`newsclf.calibration`, fitted
on out-of-fold decisions from ``cv`` folds, which also choose each multi-label threshold and give
the cross-validated scores recorded in the model card (``cv_scores_``).

Weights are kept as ``float32`` (that is what a saved model holds, so a loaded model predicts
bit-identically) and dense per task (labels x features), which makes the one sparse product per
batch fast.

The estimator follows scikit-learn's conventions: every hyperparameter is a keyword stored unchanged
in ``__init__``, all work happens in ``fit``, learned state ends in ``_``, and ``clone`` and
``get_params`` work. ``y`` is a list of mappings ``{task: labels}``; with a single task it may also
be a plain list of labels.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import numpy as np
import scipy.sparse as sp
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import KFold
from sklearn.svm import LinearSVC
from sklearn.utils.validation import check_is_fitted

from . import calibration
from .document import as_documents
from .errors import CorpusError, LabelError
from .features import Featurizer
from .schema import Task, parse_tasks

__all__ = ["NewsClassifier"]

log = logging.getLogger(__name__)

_FEATURE_PARAMS = (
    "word_ngram_range", "char_ngram_range", "title_weight", "sublinear_tf", "min_df",
    "max_word_features", "max_char_features", "stop_words", "stemming", "country_weight",
)  # fmt: skip


def _fit_binary(X, rows, target: np.ndarray, C: float, class_weight, random_state: int, tol: float):
    """Weights and intercept of one binary linear SVM on ``rows`` of ``X`` (``None``: all rows).

    A label with a single outcome among the rows gets zero weights and a constant decision.
    """
    if rows is not None:
        X, target = X[rows], target[rows]
    n_pos = int(target.sum())
    if n_pos == 0 or n_pos == len(target):
        return np.zeros(X.shape[1], dtype=np.float32), np.float32(1.0 if n_pos else -1.0)
    svm = LinearSVC(C=C, class_weight=class_weight, random_state=random_state, dual=True, max_iter=5000, tol=tol)
    svm.fit(X, target)
    return svm.coef_[0].astype(np.float32), np.float32(svm.intercept_[0])


def _fit_one_of(X, rows, target: np.ndarray, n_labels: int, C: float, class_weight, random_state: int, tol: float):
    """Weights (labels x features) and intercepts of the one-vs-rest SVMs of a single-label task.

    ``target`` holds each document's label index. Without class weights, the binary problems are
    solved in one liblinear call, which converts ``X`` to its own format once instead of once per
    label (for R52's 52 labels, 45% of the fitting time; ``scripts/bench/training_choices.py``).
    Each problem is the one :func:`_fit_binary` solves, and the weights agree with it to the
    solver's tolerance.
    liblinear's own class weights would weigh only each problem's positives, so with
    ``class_weight="balanced"`` the labels are fitted one by one.
    """
    if class_weight is not None:
        fitted = [_fit_binary(X, rows, target == j, C, class_weight, random_state, tol) for j in range(n_labels)]
        return np.stack([w for w, _ in fitted]), np.array([b for _, b in fitted], dtype=np.float32)
    if rows is not None:
        X, target = X[rows], target[rows]
    present = np.unique(target)
    coef = np.zeros((n_labels, X.shape[1]), dtype=np.float32)
    intercept = np.full(n_labels, -1.0, dtype=np.float32)  # a label absent from the rows: never chosen
    if len(present) == 1:
        intercept[present[0]] = 1.0
        return coef, intercept
    svm = LinearSVC(C=C, random_state=random_state, dual=True, max_iter=5000, tol=tol)
    svm.fit(X, target)
    if len(present) == 2:  # liblinear solves one problem; the other label's is its mirror image
        coef[present[1]], intercept[present[1]] = svm.coef_[0], svm.intercept_[0]
        coef[present[0]], intercept[present[0]] = -svm.coef_[0], -svm.intercept_[0]
    else:
        coef[present], intercept[present] = svm.coef_, svm.intercept_
    return coef, intercept


class NewsClassifier(ClassifierMixin, BaseEstimator):
    """Multi-task news classifier over TF-IDF features.

    Parameters
    ----------
    tasks : mapping, list of str or None
        What to predict (see :func:`newsclf.schema.parse_tasks`); ``None`` is the default schema.
    C : float
        Inverse regularisation strength of every linear SVM.
    class_weight : {"balanced", None}
        ``"balanced"`` weighs each label's positives by how rare they are.
    cv : int
        Folds for out-of-fold calibration, thresholds and the cross-validated scores (>= 2).
    random_state : int
        Seed for the folds and the solver: equal seeds give equal models.
    tol : float
        Stopping tolerance of the solver (liblinear's dual coordinate descent stops when the
        largest violation of its optimality conditions is below ``tol``). 0.1 is liblinear's own
        default for this solver; scikit-learn's ``LinearSVC`` uses 1e-4, which took 1.4-1.75 times
        as long on three benchmark corpora for the same validation accuracy within one document
        (``python scripts/bench/training_choices.py tolerance``, docs/benchmarks.md).
    n_jobs : int or None
        Processes for analysing the training documents and for training the per-label
        classifiers (joblib semantics; ``None`` is one). The model does not depend on it.
    word_ngram_range, char_ngram_range, title_weight, sublinear_tf, min_df, max_word_features,
    max_char_features, stop_words, stemming, country_weight
        Feature parameters, see :class:`newsclf.features.Featurizer`.
    """

    def __init__(
        self,
        tasks=None,
        C=0.5,
        class_weight=None,
        cv=3,
        random_state=0,
        tol=0.1,
        n_jobs=None,
        word_ngram_range=(1, 2),
        char_ngram_range=(3, 5),
        title_weight=2.0,
        sublinear_tf=True,
        min_df=1,
        max_word_features=200_000,
        max_char_features=200_000,
        stop_words=True,
        stemming=True,
        country_weight=1.0,
    ):
        self.tasks = tasks
        self.C = C
        self.class_weight = class_weight
        self.cv = cv
        self.random_state = random_state
        self.tol = tol
        self.n_jobs = n_jobs
        self.word_ngram_range = word_ngram_range
        self.char_ngram_range = char_ngram_range
        self.title_weight = title_weight
        self.sublinear_tf = sublinear_tf
        self.min_df = min_df
        self.max_word_features = max_word_features
        self.max_char_features = max_char_features
        self.stop_words = stop_words
        self.stemming = stemming
        self.country_weight = country_weight

    # -- fitting ------------------------------------------------------------------------------
    def _check_params(self):
        if not isinstance(self.C, (int, float)) or not self.C > 0:
            raise ValueError(f"C must be a positive number (got {self.C!r})")
        if self.class_weight not in (None, "balanced"):
            raise ValueError(f"class_weight must be 'balanced' or None (got {self.class_weight!r})")
        if not isinstance(self.tol, (int, float)) or not self.tol > 0:
            raise ValueError(f"tol must be a positive number (got {self.tol!r})")
        if not isinstance(self.cv, (int, np.integer)) or self.cv < 2:
            raise ValueError(f"cv must be an integer >= 2 (got {self.cv!r})")

    def _targets(self, tasks: Sequence[Task], y, n: int) -> dict[str, list[tuple[str, ...]]]:
        if isinstance(y, Mapping):
            raise TypeError("y must be a list with one entry per document, not a mapping")
        y = list(y)
        if len(y) != n:
            raise ValueError(f"y must have one entry per document ({n}), got {len(y)}")
        if y and not isinstance(y[0], Mapping):
            if len(tasks) != 1:
                raise TypeError("with several tasks, y must be a list of mappings {task: labels}")
            y = [{tasks[0].name: v} for v in y]
        out = {}
        for task in tasks:
            rows = []
            for i, row in enumerate(y):
                if task.name not in row:
                    raise LabelError(f"document {i}: no labels for task {task.name!r}")
                rows.append(task.parse(row[task.name]))
            out[task.name] = rows
        return out

    def fit(self, X, y):
        """Fit features and every task's classifiers on documents ``X`` and labels ``y``."""
        self._check_params()
        docs = as_documents(X)
        targets = self._prepare_targets(y, len(docs))
        self.featurizer_ = Featurizer(**{p: getattr(self, p) for p in _FEATURE_PARAMS}, n_jobs=self.n_jobs)
        return self._fit_classifiers(self.featurizer_.fit_transform(docs), targets)

    def fit_from_features(self, features: sp.csr_matrix, y, featurizer: Featurizer):
        """Fit every task's classifiers on ``features``, built for the training documents by ``featurizer``.

        The same model as :meth:`fit` on those documents, without building their features again:
        a hyperparameter search (:mod:`newsclf.tune`) builds each fold's features once and fits
        every ``C`` and ``class_weight`` on them. ``featurizer`` must be fitted, with this
        estimator's feature parameters.
        """
        self._check_params()
        check_is_fitted(featurizer, "word_terms_")
        differ = [p for p in _FEATURE_PARAMS if getattr(featurizer, p) != getattr(self, p)]
        if differ:
            raise ValueError(f"featurizer parameter(s) {', '.join(differ)} differ from this estimator's")
        if not sp.issparse(features) or features.shape[1] != featurizer.n_features_:
            raise ValueError(f"features must be the sparse matrix of featurizer's {featurizer.n_features_} columns")
        targets = self._prepare_targets(y, features.shape[0])
        self.featurizer_ = featurizer
        return self._fit_classifiers(sp.csr_matrix(features), targets)

    def _prepare_targets(self, y, n: int) -> dict[str, list[tuple[str, ...]]]:
        """Parsed labels of ``n`` documents per task; settles ``tasks_`` and checks there is enough to learn."""
        tasks = parse_tasks(self.tasks)
        targets = self._targets(tasks, y, n)
        if n < 4:
            raise CorpusError(f"too few documents to train: {n} (need at least 4)")
        self.tasks_ = tuple(task.resolve(targets[task.name]) for task in tasks)
        for task in self.tasks_:
            if len(task.scored_labels) < (1 if task.is_multi else 2):
                raise CorpusError(
                    f"task {task.name!r} has only {len(task.labels)} label(s) in the training corpus "
                    f"({', '.join(task.labels)}); a classifier needs at least two"
                )
        return targets

    def _fit_classifiers(self, features: sp.csr_matrix, targets: dict[str, list[tuple[str, ...]]]):
        n = features.shape[0]
        indicators = {t.name: self._indicators(t, targets[t.name]) for t in self.tasks_}

        folds = min(self.cv, n // 2)
        splitter = KFold(n_splits=folds, shuffle=True, random_state=self.random_state)
        splits = list(splitter.split(np.zeros(n)))
        # A job is one fold (``folds``: all documents) of one task, or of one label of a multi-label task.
        jobs = [
            (fold, task.name, j)
            for fold in range(folds + 1)
            for task in self.tasks_
            for j in (range(len(task.scored_labels)) if task.is_multi else [None])
        ]
        targets_of = {
            t.name: indicators[t.name] if t.is_multi else indicators[t.name].argmax(axis=1) for t in self.tasks_
        }

        def job(fold, name, j):
            rows = None if fold == folds else splits[fold][0]
            if j is None:
                return delayed(_fit_one_of)(
                    features, rows, targets_of[name], indicators[name].shape[1], self.C, self.class_weight,
                    self.random_state, self.tol,
                )
            return delayed(_fit_binary)(
                features, rows, targets_of[name][:, j], self.C, self.class_weight, self.random_state, self.tol
            )

        # Processes, not threads: liblinear seeds a process-wide C random generator, so two fits
        # sharing a process at once would make the result depend on scheduling.
        fitted = dict(zip(jobs, Parallel(n_jobs=self.n_jobs)(job(*key) for key in jobs)))

        def weights(fold, task):
            if not task.is_multi:
                return fitted[fold, task.name, None]
            pairs = [fitted[fold, task.name, j] for j in range(len(task.scored_labels))]
            return np.stack([w for w, _ in pairs]), np.array([b for _, b in pairs], dtype=np.float32)

        self.coef_, self.intercept_, self.calibration_, self.thresholds_ = {}, {}, {}, {}
        oof = {}
        for task in self.tasks_:
            decision = np.zeros((n, len(task.scored_labels)))
            for fold, (_, test) in enumerate(splits):
                decision[test] = self._decide(features[test], *weights(fold, task))
            self.coef_[task.name], self.intercept_[task.name] = weights(folds, task)
            self._calibrate(task, decision, indicators[task.name])
            oof[task.name] = self._proba_from_decision(task, decision)
        self.cv_scores_ = self._scores(oof, targets)
        self.n_features_in_ = features.shape[1]
        return self

    @staticmethod
    def _indicators(task: Task, rows: list[tuple[str, ...]]) -> np.ndarray:
        index = {label: j for j, label in enumerate(task.scored_labels)}
        out = np.zeros((len(rows), len(index)), dtype=bool)
        for i, row in enumerate(rows):
            for label in row:
                if label in index:
                    out[i, index[label]] = True
        return out

    def _calibrate(self, task: Task, decision: np.ndarray, truth: np.ndarray):
        if task.is_multi:
            ab = [calibration.fit_platt(decision[:, j], truth[:, j]) for j in range(truth.shape[1])]
            a = np.array([p[0] for p in ab])
            b = np.array([p[1] for p in ab])
            self.calibration_[task.name] = {"a": a, "b": b}
            proba = calibration.apply_platt(decision, a, b)
            self.thresholds_[task.name] = np.array(
                [calibration.best_threshold(proba[:, j], truth[:, j]) for j in range(truth.shape[1])]
            )
        else:
            t = calibration.fit_temperature(decision, truth.argmax(axis=1))
            self.calibration_[task.name] = {"t": np.array([t])}

    # -- predicting ---------------------------------------------------------------------------
    @staticmethod
    def _decide(features: sp.csr_matrix, coef: np.ndarray, intercept: np.ndarray) -> np.ndarray:
        """``features @ coef.T + intercept`` in float64, reading only the weights of the columns in use.

        The product runs over the matrix restricted to the columns it has values in (stored order
        kept, so every sum is the same), which makes its cost follow the documents' size rather than
        the vocabulary's: one short document no longer converts every weight of the model.
        """
        features = sp.csr_matrix(features)
        columns, local = np.unique(features.indices, return_inverse=True)
        used = sp.csr_matrix(
            (features.data, local.astype(features.indices.dtype, copy=False), features.indptr),
            shape=(features.shape[0], len(columns)),
        )
        weights = np.ascontiguousarray(coef[:, columns].T, dtype=np.float64)
        return np.asarray(used @ weights) + intercept.astype(np.float64)

    def _proba_from_decision(self, task: Task, decision: np.ndarray) -> np.ndarray:
        """Probabilities aligned with ``task.labels`` (the empty label gets P(no other label))."""
        cal = self.calibration_[task.name]
        if not task.is_multi:
            return calibration.apply_temperature(decision, float(cal["t"][0]))
        scored = calibration.apply_platt(decision, cal["a"], cal["b"])
        if task.empty is None:
            return scored
        out = np.empty((scored.shape[0], len(task.labels)))
        columns = [task.labels.index(label) for label in task.scored_labels]
        out[:, columns] = scored
        out[:, task.labels.index(task.empty)] = np.prod(1.0 - scored, axis=1)
        return out

    def _check_task(self, name: str) -> Task:
        for task in self.tasks_:
            if task.name == name:
                return task
        raise LabelError(f"unknown task {name!r} (this model predicts: {', '.join(t.name for t in self.tasks_)})")

    def features(self, X):
        """Feature matrix of documents ``X`` and a :class:`~newsclf.features.BatchInfo` about them."""
        check_is_fitted(self, "coef_")
        return self.featurizer_.transform_with_info(as_documents(X))

    def decision_function_from_features(self, features: sp.csr_matrix) -> dict[str, np.ndarray]:
        return {t.name: self._decide(features, self.coef_[t.name], self.intercept_[t.name]) for t in self.tasks_}

    def predict_proba_from_features(self, features: sp.csr_matrix) -> dict[str, np.ndarray]:
        decisions = self.decision_function_from_features(features)
        return {t.name: self._proba_from_decision(t, decisions[t.name]) for t in self.tasks_}

    def decision_function(self, X) -> dict[str, np.ndarray]:
        """Raw decision values per task, columns in ``task.scored_labels`` order."""
        return self.decision_function_from_features(self.features(X)[0])

    def predict_proba(self, X) -> dict[str, np.ndarray]:
        """Probabilities per task, columns in ``task.labels`` order."""
        return self.predict_proba_from_features(self.features(X)[0])

    def labels_from_proba(self, proba: Mapping[str, np.ndarray], thresholds: Mapping[str, float] | None = None):
        """Predicted label tuples per document from :meth:`predict_proba` output.

        ``thresholds`` overrides the learned threshold of named multi-label labels.
        """
        thresholds = dict(thresholds or {})
        per_task = {}
        for task in self.tasks_:
            p = proba[task.name]
            if not task.is_multi:
                best = p.argmax(axis=1)
                per_task[task.name] = [(task.labels[k],) for k in best]
                continue
            cut = self.thresholds_[task.name].copy()
            for j, label in enumerate(task.scored_labels):
                if label in thresholds:
                    cut[j] = thresholds[label]
            columns = [task.labels.index(label) for label in task.scored_labels]
            chosen = p[:, columns] >= cut
            rows = []
            for i in range(p.shape[0]):
                labels = tuple(task.scored_labels[j] for j in np.flatnonzero(chosen[i]))
                if not labels and task.empty is not None:
                    labels = (task.empty,)
                rows.append(labels)
            per_task[task.name] = rows
        n = next(iter(proba.values())).shape[0] if proba else 0
        return [{name: rows[i] for name, rows in per_task.items()} for i in range(n)]

    def predict(self, X) -> list[dict[str, tuple[str, ...]]]:
        """Label tuples per task for every document of ``X``."""
        return self.labels_from_proba(self.predict_proba(X))

    def score(self, X, y) -> float:
        """Mean over tasks of accuracy (single-label) or micro-F1 (multi-label)."""
        from .evaluate import task_scores

        targets = self._targets(self.tasks_, y, len(as_documents(X)))
        predicted = self.predict(X)
        values = []
        for task in self.tasks_:
            s = task_scores(task, targets[task.name], [p[task.name] for p in predicted])
            values.append(s["micro_f1"] if task.is_multi else s["accuracy"])
        return float(np.mean(values))

    def _scores(self, oof: dict[str, np.ndarray], targets) -> dict:
        from .evaluate import task_calibration, task_scores

        out = {"folds": min(self.cv, len(next(iter(targets.values()))) // 2)}
        predicted = self.labels_from_proba(oof)
        for task in self.tasks_:
            truth = targets[task.name]
            scores = task_scores(task, truth, [p[task.name] for p in predicted])
            scores["ece"] = task_calibration(task, oof[task.name], truth)["ece"]
            out[task.name] = scores
        return out

