"""Cross-validated hyperparameter search: :func:`tune` picks the parameters, then trains the model.

A *grid* maps parameters of :class:`~newsclf.estimator.NewsClassifier` to the values to try::

    {"C": [0.1, 0.5, 2.0], "class_weight": [None, "balanced"], "char_ngram_range": [None, (3, 5)]}

The parameters fall in two kinds. *Feature* parameters (``word_ngram_range``, ``char_ngram_range``,
``title_weight`` and the other :class:`~newsclf.features.Featurizer` parameters) decide the
feature matrix, whose building (analysing every document, counting n-grams) is the expensive,
pure-Python part of training. *Classifier* parameters (``C``, ``class_weight``) only change the
linear SVMs, which are cheap to refit on features already built. Each distinct combination of
feature values is a *feature configuration*; its features are built once per fold, stored in a
temporary directory, and reused for every classifier setting tried on it.

The search is coarse then fine:

1. **coarse**: every feature configuration of the grid, with the classifier parameters of the
   untuned model (``C=0.5``, no class weights, or what ``params`` fixes);
2. **fine**: the ``keep`` best feature configurations (1 by default) with every combination of
   the grid's classifier parameters.

Why: the feature configurations are what cost (building them, and fitting the larger matrices of
the character block), while refitting the SVMs with another ``C`` or class weighting on features
already built is cheap, and the best ``C`` moves less between good feature configurations than the
scores of the configurations differ. With :data:`DEFAULT_GRID` the full product is 12 feature
configurations x 8 classifier settings = 96 candidates; this search scores 12 + 7 = 19 of them and
builds each fold's features 12 times. ``keep=None`` scores the full product.

The untuned model (the estimator's defaults updated by ``params``) is always scored on the same
folds and competes with the others, so the chosen candidate's cross-validated score is never below
the untuned one. The best mean score wins; ties go to the candidate scored first, and the
untuned model is scored first.

Folds
-----
``cv`` folds, the same for every candidate, stratified by the documents' labels: the label of a
single-label task, the label set of a multi-label one, and with several tasks the combination
(a combination seen fewer than ``cv`` times falls back to the first task's labels, then to a
shared "rare" stratum). With ``group_column``, documents with the same value in that column
(a story id, a near-duplicate cluster) stay in the same fold (``StratifiedGroupKFold``), so a
copy of a training document never scores the model; a document with no value is its own group.

Scores
------
By default the mean over tasks of accuracy (single-label tasks) or micro-F1 (multi-label tasks),
as :meth:`NewsClassifier.score <newsclf.estimator.NewsClassifier.score>` computes it; ``scoring``
may name one task (``"region"``) or a task and a metric of :func:`newsclf.evaluate.task_scores`
(``"topic:macro_f1"``). Every fold model predicts exactly what a model trained with those
parameters on the fold's other documents would: a single-label task predicts the label with the
highest decision value (temperature scaling does not change the order), so when every task is
single-label a fold model is one binary SVM per label; a multi-label task's predictions depend on
thresholds chosen on inner out-of-fold decisions, so then the fold model is a full
:meth:`~newsclf.estimator.NewsClassifier.fit_from_features` with the model's ``cv`` inner folds.

Candidates x folds run in parallel in ``n_jobs`` processes (processes, as
:mod:`newsclf.estimator` explains for liblinear). Then the best candidate is trained on the whole
corpus with :func:`newsclf.train`, as ``newsclf train`` would, and the search goes into its model
card under ``"tuning"``.
"""

from __future__ import annotations

import itertools
import logging
import os
import pickle
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from joblib import Parallel, delayed
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

from .corpus import gather_records
from .document import as_documents
from .errors import CorpusError
from .estimator import _FEATURE_PARAMS, NewsClassifier, _fit_one_of
from .evaluate import task_scores
from .features import Featurizer
from .model import Model, train
from .schema import Task, parse_tasks

__all__ = ["DEFAULT_GRID", "Candidate", "TuneResult", "check_grid", "make_folds", "tune"]

log = logging.getLogger(__name__)

#: The grid :func:`tune` searches when given none: 12 feature configurations (word unigrams or
#: uni+bigrams, character n-grams off or 3-5, title weight 1, 2 or 4) and 8 classifier settings
#: (``C`` from 0.25 to 2 in factors of 2, with and without balanced class weights). On Reuters R8
#: (5,485 documents, 3 folds, ``n_jobs=2``, a 2-core machine) the staged search scored 19 of them
#: and, with the final model, took 91 s (``python scripts/tune_r8.py -j 2``, docs/tune_r8.json).
DEFAULT_GRID: dict[str, tuple] = {
    "word_ngram_range": ((1, 1), (1, 2)),
    "char_ngram_range": (None, (3, 5)),
    "title_weight": (1.0, 2.0, 4.0),
    "C": (0.25, 0.5, 1.0, 2.0),
    "class_weight": (None, "balanced"),
}

_CLASSIFIER_PARAMS = ("C", "class_weight")
_SEARCHABLE = (*_CLASSIFIER_PARAMS, *_FEATURE_PARAMS)
_RANGE_PARAMS = ("word_ngram_range", "char_ngram_range")
_MAIN_METRIC = {"single": "accuracy", "multi": "micro_f1"}
_METRICS = {
    "single": ("accuracy", "micro_f1", "macro_f1"),
    "multi": ("micro_f1", "macro_f1", "micro_f1_scored", "subset_accuracy"),
}


@dataclass
class Candidate:
    """One parameter setting and its cross-validated scores.

    Attributes
    ----------
    params : dict
        The value of every searched parameter.
    stage : str
        ``"default"`` (the untuned model), ``"coarse"`` or ``"fine"``.
    scores : tuple of float
        The score on each fold, in fold order.
    """

    params: dict
    stage: str
    scores: tuple = ()

    @property
    def mean(self) -> float:
        return float(np.mean(self.scores))

    @property
    def std(self) -> float:
        """Standard deviation of the fold scores (population, ``ddof=0``)."""
        return float(np.std(self.scores))

    def to_dict(self) -> dict:
        return {
            "params": _jsonable(self.params),
            "stage": self.stage,
            "mean": round(self.mean, 6),
            "std": round(self.std, 6),
            "fold_scores": [round(s, 6) for s in self.scores],
        }


@dataclass
class TuneResult:
    """What :func:`tune` tried and chose.

    Attributes
    ----------
    grid : dict
        The searched values of each parameter (normalised: ranges as tuples).
    fixed : dict
        Parameters given in ``params``, the same for every candidate and the final model.
    candidates : list of Candidate
        Every candidate scored, in the order scored; the untuned model first.
    best, default : Candidate
        The chosen candidate and the untuned model.
    scoring : str
        What the scores are, e.g. ``"mean of label:accuracy"``.
    folds : list of (ndarray, ndarray)
        Training and test document indices of each fold.
    fold_info : dict
        How the folds were made (splitter, stratification, grouping, sizes).
    keep : int or None
        Feature configurations carried to the fine stage (``None``: all, a full product).
    seconds : dict
        Wall-clock time of the search and of training the final model.
    """

    grid: dict
    fixed: dict
    candidates: list
    best: Candidate
    default: Candidate
    scoring: str
    folds: list
    fold_info: dict
    keep: int | None
    seconds: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """A JSON-ready summary, as stored in the model card under ``"tuning"``."""
        return {
            "search": "coarse-then-fine" if self.keep is not None else "full grid",
            "keep": self.keep,
            "space": {name: _jsonable({name: values})[name] for name, values in self.grid.items()},
            "fixed": _jsonable(self.fixed),
            "scoring": self.scoring,
            "folds": self.fold_info,
            "candidates": [c.to_dict() for c in self.candidates],
            "chosen": {**self.best.to_dict(), "improvement": round(self.best.mean - self.default.mean, 6)},
            "untuned": self.default.to_dict(),
            "seconds": {k: round(v, 1) for k, v in self.seconds.items()},
        }

    def format(self) -> str:
        """A table of every candidate, best first, and the choice."""
        names = list(self.grid)
        header = ["rank", "stage", *names, "score (mean ± std)"]
        ranked = sorted(self.candidates, key=lambda c: -c.mean)  # stable: ties keep scoring order
        rows = []
        for rank, c in enumerate(ranked, 1):
            mark = " *" if c is self.best else ""
            rows.append([str(rank), c.stage, *(_show(c.params[n]) for n in names), f"{c.mean:.4f} ± {c.std:.4f}{mark}"])
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
        lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in [header, *rows]]
        chosen = ", ".join(f"{n}={_show(self.best.params[n])}" for n in names)
        delta = self.best.mean - self.default.mean
        lines.append("")
        lines.append(f"scoring: {self.scoring}, {self.fold_info['k']} folds ({self.fold_info['splitter']})")
        lines.append(f"chosen (*): {chosen}")
        lines.append(
            f"cross-validated {self.best.mean:.4f} ± {self.best.std:.4f}, untuned {self.default.mean:.4f} ± "
            f"{self.default.std:.4f} ({delta:+.4f})"
        )
        return "\n".join(lines)


def _show(value) -> str:
    if value is None:
        return "none"
    if isinstance(value, tuple):
        return ",".join(map(str, value))
    return f"{value:g}" if isinstance(value, float) else str(value)


def _jsonable(params: Mapping) -> dict:
    out = {}
    for key, value in params.items():
        if isinstance(value, (list, tuple)):
            value = [list(v) if isinstance(v, tuple) else v for v in value] if key not in _RANGE_PARAMS else list(value)
        out[key] = value
    return out


# -- the grid ------------------------------------------------------------------------------------
def _normalise_value(name: str, value):
    """A grid value as the estimator takes it: JSON lists become range tuples, "none" becomes None."""
    if isinstance(value, str) and value.lower() in ("none", "null", "off") and name in ("char_ngram_range", "class_weight"):
        return None
    if name in _RANGE_PARAMS and isinstance(value, list):
        return tuple(value)
    if name in ("C", "title_weight", "country_weight") and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def _check_value(name: str, value) -> None:
    """Raise ValueError unless ``value`` is a valid value of parameter ``name``."""
    if name in _FEATURE_PARAMS:
        Featurizer(**{name: value})._check_params()
    else:
        NewsClassifier(**{name: value})._check_params()
    if name in ("C", "title_weight", "country_weight") and isinstance(value, bool):
        raise ValueError(f"{name} must be a number (got {value!r})")


def check_grid(grid: Mapping) -> dict[str, tuple]:
    """The grid with values normalised and validated; raises ``ValueError``/``TypeError`` naming the problem."""
    if not isinstance(grid, Mapping):
        raise TypeError(f"grid must be a mapping of parameter names to lists of values (got {type(grid).__name__})")
    if not grid:
        raise ValueError("grid is empty: give at least one parameter with a list of values to try")
    out = {}
    for name, values in grid.items():
        if name not in _SEARCHABLE:
            raise ValueError(f"unknown parameter {name!r} in grid (searchable: {', '.join(sorted(_SEARCHABLE))})")
        if isinstance(values, (str, bytes, Mapping)) or not isinstance(values, Iterable):
            raise ValueError(f"grid[{name!r}] must be a list of values to try (got {values!r})")
        values = list(values)
        if not values:
            raise ValueError(f"grid[{name!r}] is empty: give at least one value")
        normalised = []
        for value in values:
            value = _normalise_value(name, value)
            try:
                _check_value(name, value)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"grid[{name!r}]: {exc}") from None
            if value not in normalised:
                normalised.append(value)
        out[name] = tuple(normalised)
    return out


def _product(grid: Mapping[str, tuple], names: Sequence[str]) -> list[dict]:
    names = [n for n in grid if n in names]
    return [dict(zip(names, values)) for values in itertools.product(*(grid[n] for n in names))]


# -- folds -----------------------------------------------------------------------------------------
def _strata(targets: Sequence[Mapping[str, tuple]], tasks: Sequence[Task], cv: int) -> list[str]:
    def key(row, names):
        return " / ".join("|".join(sorted(row[n])) for n in names)

    names = [t.name for t in tasks]
    full = [key(row, names) for row in targets]
    first = [key(row, names[:1]) for row in targets]
    full_counts, first_counts = Counter(full), Counter(first)
    out = [f if full_counts[f] >= cv else (s if first_counts[s] >= cv else "<rare>") for f, s in zip(full, first)]
    counts = Counter(out)
    if 0 < counts["<rare>"] < cv and len(counts) > 1:  # too few rare documents to spread: join the largest stratum
        largest = max((k for k in counts if k != "<rare>"), key=counts.__getitem__)
        out = [largest if k == "<rare>" else k for k in out]
    return out


def make_folds(
    targets: Sequence[Mapping[str, tuple]],
    tasks: Sequence[Task],
    cv: int = 3,
    groups: Sequence[str | None] | None = None,
    random_state: int = 0,
) -> tuple[list[tuple[np.ndarray, np.ndarray]], dict]:
    """Stratified (and, with ``groups``, grouped) folds of documents; returns ``(folds, info)``.

    Parameters
    ----------
    targets : list of mappings
        ``{task: labels}`` of every document.
    tasks : sequence of Task
        The tasks, the first one giving the fallback strata (see the module docstring).
    cv : int
        Number of folds (>= 2).
    groups : sequence, optional
        A group per document; documents of one group share a fold. ``None`` or ``""`` is a group
        of its own.
    random_state : int
        Seed of the shuffling.

    Returns
    -------
    folds : list of (train indices, test indices)
    info : dict
        JSON-ready description: splitter, ``k``, stratification, grouping and fold sizes.
    """
    if not isinstance(cv, (int, np.integer)) or isinstance(cv, bool) or cv < 2:
        raise ValueError(f"cv must be an integer >= 2 (got {cv!r})")
    n = len(targets)
    if n < 2 * cv:
        raise CorpusError(f"too few documents for {cv} folds: {n} (need at least {2 * cv})")
    strata = _strata(targets, tasks, cv)
    info: dict = {"k": int(cv), "stratified_by": " + ".join(t.name for t in tasks), "strata": len(set(strata))}
    if groups is None:
        splitter = StratifiedKFold(n_splits=cv, shuffle=True, random_state=random_state)
        folds = list(splitter.split(np.zeros(n), strata))
        info["splitter"] = "StratifiedKFold"
    else:
        if len(groups) != n:
            raise ValueError(f"groups must have one entry per document ({n}), got {len(groups)}")
        ids = [f"\0{i}" if g is None or g == "" else str(g) for i, g in enumerate(groups)]  # "\0": no clash with a value
        n_groups = len(set(ids))
        if n_groups < cv:
            raise CorpusError(f"only {n_groups} distinct group(s): cannot make {cv} grouped folds")
        splitter = StratifiedGroupKFold(n_splits=cv, shuffle=True, random_state=random_state)
        folds = list(splitter.split(np.zeros(n), strata, ids))
        info["splitter"] = "StratifiedGroupKFold"
        info["groups"] = n_groups
        info["ungrouped_documents"] = sum(1 for g in groups if g is None or g == "")
    info["test_sizes"] = [int(len(test)) for _, test in folds]
    return [(np.asarray(tr), np.asarray(te)) for tr, te in folds], info


# -- scoring ---------------------------------------------------------------------------------------
def _parse_scoring(scoring: str | None, tasks: Sequence[Task]) -> tuple[list[tuple[str, str]], str]:
    """``[(task, metric), ...]`` averaged into the score, and a description."""
    kinds = {t.name: t.kind for t in tasks}
    if scoring is None:
        pairs = [(t.name, _MAIN_METRIC[t.kind]) for t in tasks]
        return pairs, "mean of " + ", ".join(f"{name}:{metric}" for name, metric in pairs)
    if not isinstance(scoring, str) or not scoring:
        raise ValueError(f"scoring must be TASK or TASK:METRIC (got {scoring!r})")
    name, _, metric = scoring.partition(":")
    if name not in kinds:
        raise ValueError(f"scoring names unknown task {name!r} (tasks: {', '.join(kinds)})")
    metric = metric or _MAIN_METRIC[kinds[name]]
    if metric not in _METRICS[kinds[name]]:
        raise ValueError(
            f"scoring metric {metric!r} is not one of {', '.join(_METRICS[kinds[name]])} "
            f"for {kinds[name]}-label task {name!r}"
        )
    return [(name, metric)], f"{name}:{metric}"


def _score(tasks: Sequence[Task], truth: Sequence[Mapping], predicted: Sequence[Mapping], pairs) -> float:
    by_name = {t.name: t for t in tasks}
    values = []
    for name, metric in pairs:
        s = task_scores(by_name[name], [row[name] for row in truth], [row[name] for row in predicted])
        values.append(s[metric])
    return float(np.mean(values))


def _predict_single(tasks, X_train, y_train, X_test, C, class_weight, random_state, tol) -> list[dict]:
    """Labels a model of single-label tasks trained on the fold would predict: the top decision value."""
    per_task = {}
    for task in tasks:
        resolved = task.resolve([row[task.name] for row in y_train])
        labels = resolved.scored_labels
        if len(labels) < 2:
            raise CorpusError(
                f"a training fold has only one label for task {task.name!r} ({labels[0]}); use fewer folds"
            )
        index = {label: k for k, label in enumerate(labels)}
        truth = np.array([index[row[task.name][0]] for row in y_train])
        coef, intercept = _fit_one_of(X_train, None, truth, len(labels), C, class_weight, random_state, tol)
        decision = NewsClassifier._decide(X_test, coef, intercept)
        per_task[task.name] = [(labels[k],) for k in decision.argmax(axis=1)]
    return [{name: rows[i] for name, rows in per_task.items()} for i in range(X_test.shape[0])]


def _fold_scores(path: str, docs, tasks, y_train, y_test, settings: list[dict], base: dict, pairs) -> list[float]:
    """Scores on one fold of one feature configuration, for each classifier setting in ``settings``.

    With ``docs = (train documents, test documents)`` the fold's features are built and stored at
    ``path``; without, they are read from there.
    """
    if docs is not None:
        featurizer = Featurizer(**{p: base[p] for p in _FEATURE_PARAMS})
        X_train = featurizer.fit_transform(docs[0])
        X_test = featurizer.transform(docs[1])
        # Plain pickle, not joblib.dump: joblib's pure-Python pickler is some 30 times slower over
        # the featurizer's vocabularies. The file is this search's own, in its private directory.
        with open(path, "wb") as f:
            pickle.dump((featurizer, X_train, X_test), f, protocol=5)
    else:
        with open(path, "rb") as f:
            featurizer, X_train, X_test = pickle.load(f)
    out = []
    for setting in settings:
        params = {**base, **setting}
        if not any(t.is_multi for t in tasks):
            solver = (params[k] for k in ("C", "class_weight", "random_state", "tol"))
            predicted = _predict_single(tasks, X_train, y_train, X_test, *solver)
            scored_tasks = tasks
        else:
            est = NewsClassifier(tasks=list(tasks), **{k: v for k, v in params.items() if k != "tasks"}, n_jobs=None)
            est.fit_from_features(X_train, y_train, featurizer)
            predicted = est.labels_from_proba(est.predict_proba_from_features(X_test))
            scored_tasks = est.tasks_
        out.append(_score(scored_tasks, y_test, predicted, pairs))
    return out


# -- reading ---------------------------------------------------------------------------------------
def _read(corpus, tasks: Sequence[Task], group_column: str | None, strict: bool, reading: dict):
    """``(records, groups or None)`` of a corpus given like :func:`newsclf.train` takes it."""
    extra = [group_column] if group_column else []
    records, _, _ = gather_records(corpus, tasks, strict=strict, extra_columns=extra, **reading)
    groups = [r.get(group_column) for r in records] if group_column else None
    if groups is not None:
        groups = [None if g is None or (isinstance(g, float) and g != g) or g == "" else str(g) for g in groups]
        if all(g is None for g in groups):
            raise CorpusError(f"group column {group_column!r} is missing or empty in every row")
    return records, groups


# -- the search ------------------------------------------------------------------------------------
def tune(
    corpus,
    tasks=None,
    *,
    grid: Mapping | None = None,
    cv: int = 3,
    group_column: str | None = None,
    scoring: str | None = None,
    keep: int | None = 1,
    params: Mapping | None = None,
    n_jobs: int | None = None,
    progress: bool = False,
    random_state: int = 0,
    title_column: str = "title",
    body_column: str | None = "body",
    text_column: str | None = None,
    label_columns: Mapping[str, str] | None = None,
    delimiter: str | None = None,
    encoding: str = "utf-8-sig",
    strict: bool = False,
) -> tuple[Model, TuneResult]:
    """Choose parameters by cross-validation, then train the model with them on the whole corpus.

    Parameters
    ----------
    corpus : path, list of paths, or list of dicts
        As for :func:`newsclf.train`.
    tasks : mapping or list, optional
        As for :func:`newsclf.train`; default: the newsclf taxonomy.
    grid : mapping, optional
        ``{parameter: [values]}`` to search (default :data:`DEFAULT_GRID`). Ranges may be lists
        (``[1, 2]``); ``char_ngram_range`` and ``class_weight`` take ``None`` (or ``"none"``).
    cv : int
        Folds of the search (>= 2).
    group_column : str, optional
        A column (a record key) whose equal values must share a fold.
    scoring : str, optional
        ``TASK`` or ``TASK:METRIC`` to optimise instead of the mean over tasks of accuracy /
        micro-F1.
    keep : int or None
        Feature configurations carried from the coarse to the fine stage; ``None`` searches the
        full product of the grid.
    params : mapping, optional
        Fixed :class:`~newsclf.estimator.NewsClassifier` parameters for every candidate and the
        final model (e.g. ``{"min_df": 2, "cv": 3}``); they may not also be in the grid.
    n_jobs : int or None
        Processes for the search and for training the final model (joblib semantics).
    progress : bool
        Show a progress bar (tqdm, on stderr).
    random_state : int
        Seed of the folds and of the models.
    title_column, body_column, text_column, label_columns, delimiter, encoding, strict
        How to read corpus files, as for :func:`newsclf.train`.

    Returns
    -------
    (Model, TuneResult)
        The model trained with the chosen parameters (its card holds ``result.to_dict()`` under
        ``"tuning"``) and the search.

    Examples
    --------
    >>> model, result = tune("corpus.csv", {"label": "single"}, grid={"C": [0.1, 1.0]}, n_jobs=2)  # doctest: +SKIP
    >>> print(result.format())                                                              # doctest: +SKIP
    """
    started = time.perf_counter()
    grid = check_grid(DEFAULT_GRID if grid is None else grid)
    fixed = dict(params or {})
    allowed = set(NewsClassifier().get_params()) - {"tasks", "n_jobs", "random_state"}
    unknown = sorted(set(fixed) - allowed)
    if unknown:
        raise ValueError(
            f"unknown or not fixable parameter(s) in params: {', '.join(unknown)} "
            "(tasks, n_jobs and random_state are arguments of tune)"
        )
    both = sorted(set(fixed) & set(grid))
    if both:
        raise ValueError(f"parameter(s) {', '.join(both)} are both in the grid and fixed in params")
    for name, value in fixed.items():
        _check_value(name, value)
    if keep is not None and (not isinstance(keep, int) or isinstance(keep, bool) or keep < 1):
        raise ValueError(f"keep must be a positive integer or None (got {keep!r})")
    parsed = parse_tasks(tasks)
    pairs, scoring_text = _parse_scoring(scoring, parsed)
    reading = {
        "title_column": title_column, "body_column": body_column, "text_column": text_column,
        "label_columns": dict(label_columns or {}), "delimiter": delimiter, "encoding": encoding,
    }  # fmt: skip

    if isinstance(corpus, Iterable) and not isinstance(corpus, (str, bytes, os.PathLike, Mapping, list)):
        corpus = list(corpus)  # read twice: for the search and for the final model
    records, groups = _read(corpus, parsed, group_column, strict, reading)
    targets = [{t.name: r[t.name] for t in parsed} for r in records]
    docs = as_documents([{"title": r["title"], "body": r["body"]} for r in records])
    folds, fold_info = make_folds(targets, parsed, cv, groups, random_state)
    if group_column:
        fold_info["group_column"] = group_column

    base = {**NewsClassifier().get_params(), **fixed, "random_state": random_state}
    base.pop("tasks"), base.pop("n_jobs")
    feature_names = [n for n in grid if n in _FEATURE_PARAMS]
    classifier_names = [n for n in grid if n in _CLASSIFIER_PARAMS]
    default_params = {n: base[n] for n in grid}
    baseline = {n: base[n] for n in classifier_names}
    configs = _product(grid, feature_names) or [{}]
    default_config = {n: base[n] for n in feature_names}

    log.info("tuning on %d documents, %d folds; %d feature configurations", len(docs), len(folds), len(configs))
    bar = None
    candidates: dict[tuple, Candidate] = {}

    def key_of(p: Mapping) -> tuple:
        return tuple((n, p[n]) for n in grid)

    with tempfile.TemporaryDirectory(prefix="newsclf-tune-") as store:
        stored: dict[tuple, str] = {}
        parallel = Parallel(n_jobs=n_jobs, return_as="generator")

        def run(stage: str, settings_by_config: list[tuple[dict, list[dict]]]):
            jobs, owners = [], []
            for config, settings in settings_by_config:
                if not settings:
                    continue
                ckey = tuple(sorted(config.items()))
                for k, (train_idx, test_idx) in enumerate(folds):
                    path = stored.setdefault((ckey, k), os.path.join(store, f"{len(stored)}.pickle"))
                    built = os.path.exists(path)
                    # Once the features are built, one job per setting spreads the work evenly.
                    for chunk in [[s] for s in settings] if built else [settings]:
                        build = None if built else ([docs[i] for i in train_idx], [docs[i] for i in test_idx])
                        jobs.append(
                            delayed(_fold_scores)(
                                path, build, parsed, [targets[i] for i in train_idx], [targets[i] for i in test_idx],
                                chunk, {**base, **config}, pairs,
                            )
                        )  # fmt: skip
                        owners.append((k, [{**config, **s} for s in chunk]))

            def cost(j: int) -> tuple:
                # Longest first, so that no process is left with a slow job at the end: the character
                # block makes features slower to build and fit, balanced weights and a large C slow the solver.
                p = {**base, **owners[j][1][0]}
                return (p["char_ngram_range"] is None, p["class_weight"] is None, -p["C"])

            order = sorted(range(len(jobs)), key=cost)
            nonlocal bar
            if progress and bar is None:
                bar = _progress_bar(len(jobs))
            elif bar is not None:
                bar.total += len(jobs)
                bar.refresh()
            results = [None] * len(jobs)
            for j, result in zip(order, parallel(jobs[j] for j in order)):
                results[j] = result
                if bar is not None:
                    bar.update(1)
            scores: dict[tuple, dict[int, float]] = {}
            for (k, settings), result in zip(owners, results):  # in the order given, not the order run
                for setting, value in zip(settings, result):
                    scores.setdefault(key_of(setting), {})[k] = value
            for setting_key, by_fold in scores.items():
                by_fold_scores = tuple(by_fold[k] for k in range(len(folds)))
                candidates.setdefault(setting_key, Candidate(dict(setting_key), stage, by_fold_scores))

        try:
            # The untuned model first, so that it wins ties; then the coarse stage.
            first = [(default_config, [baseline])]
            first += [(c, [baseline]) for c in configs if c != default_config]
            run("coarse", first)
            candidates[key_of(default_params)].stage = "default"
            ranked = sorted(configs, key=lambda c: -candidates[key_of({**c, **baseline})].mean)
            chosen_configs = ranked if keep is None else ranked[:keep]
            fine = []
            for config in chosen_configs:
                settings = [s for s in _product(grid, classifier_names) if key_of({**config, **s}) not in candidates]
                fine.append((config, settings))
            if classifier_names:
                run("fine", fine)
        finally:
            if bar is not None:
                bar.close()

    ordered = list(candidates.values())
    default = candidates[key_of(default_params)]
    best = max(ordered, key=lambda c: c.mean)  # the first of equals: the untuned model, then scoring order
    searched = time.perf_counter() - started
    log.info("best %s: %.4f (untuned %.4f); training the final model", best.params, best.mean, default.mean)

    model = train(
        corpus, tasks, **reading, strict=strict, **fixed, **best.params, random_state=random_state, n_jobs=n_jobs,
    )  # fmt: skip
    total = time.perf_counter() - started
    result = TuneResult(
        grid=grid, fixed=fixed, candidates=ordered, best=best, default=default, scoring=scoring_text, folds=folds,
        fold_info=fold_info, keep=keep, seconds={"search": searched, "final_model": total - searched, "total": total},
    )  # fmt: skip
    model.card["tuning"] = result.to_dict()
    return model, result


def _progress_bar(total: int):
    from tqdm import tqdm

    return tqdm(total=total, unit="fold", desc="tuning", file=sys.stderr, dynamic_ncols=True)
