"""The facade users hold: :func:`train`, :func:`load`, :class:`Model` and :class:`Prediction`.

A :class:`Model` wraps a fitted :class:`~newsclf.estimator.NewsClassifier` with its model card and
answers in named labels::

    >>> model = newsclf.load()                                        # doctest: +SKIP
    >>> p = model.predict_one("Lavrov reafirma el respaldo de Moscú a Maduro")  # doctest: +SKIP
    >>> p.labels["topic"], p.labels["region"]                          # doctest: +SKIP
    (('diplomacy',), ('latin_america',))

It also converts the estimator's learned state to and from the files of :mod:`newsclf.persist`.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import logging
import os
import platform
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from . import persist
from .corpus import CorpusReport, gather_records
from .document import DEFAULT_MAX_CHARS, as_document, as_documents
from .errors import LabelError, ModelFormatError
from .estimator import _FEATURE_PARAMS, NewsClassifier
from .features import Featurizer
from .schema import Task, parse_tasks

__all__ = ["Model", "Prediction", "load", "train"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Prediction:
    """The labels of one document.

    Attributes
    ----------
    labels : dict
        ``{task: tuple of labels}``; one label for a single-label task.
    scores : dict
        ``{task: {label: probability}}`` for every label of the task. For a multi-label task each
        label's probability is its own; the empty label's is the probability that no other applies.
    language : str
        The language guessed for the document (``en``, ``es``, ``pt`` or ``fr``).
    countries : tuple of str
        ISO 3166 alpha-2 codes of the countries the text names, in order of first mention.
    status : str
        ``"ok"``, ``"empty_text"`` (no letters or digits: the labels are the model's prior) or
        ``"truncated"`` (only the first ``max_chars`` characters were read).
    """

    labels: dict
    scores: dict
    language: str
    countries: tuple = ()
    status: str = "ok"

    def as_dict(self) -> dict:
        """A JSON-ready dict."""
        return {
            "labels": {task: list(labels) for task, labels in self.labels.items()},
            "scores": {task: dict(scores) for task, scores in self.scores.items()},
            "language": self.language,
            "countries": list(self.countries),
            "status": self.status,
        }


class Model:
    """A trained newsclf model: predict, save, and read its card.

    Build one with :func:`train` or :func:`load`.
    """

    def __init__(self, estimator: NewsClassifier, card: Mapping | None = None):
        if not isinstance(estimator, NewsClassifier) or not hasattr(estimator, "coef_"):
            raise TypeError("estimator must be a fitted NewsClassifier")
        self.estimator = estimator
        self.card = dict(card or {})
        self.max_chars = DEFAULT_MAX_CHARS

    @property
    def tasks(self) -> tuple[Task, ...]:
        return self.estimator.tasks_

    def __repr__(self) -> str:
        tasks = ", ".join(f"{t.name}:{t.kind}[{len(t.labels)}]" for t in self.tasks)
        return f"<newsclf.Model {tasks}; {self.estimator.n_features_in_} features>"

    # -- predicting ---------------------------------------------------------------------------
    def _check_thresholds(self, thresholds) -> dict:
        thresholds = dict(thresholds or {})
        known = {label for t in self.tasks if t.is_multi for label in t.scored_labels}
        for label, value in thresholds.items():
            if label not in known:
                raise LabelError(f"threshold for unknown label {label!r} (multi-label labels: {', '.join(sorted(known))})")
            if not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
                raise ValueError(f"threshold for {label!r} must be a number in [0, 1] (got {value!r})")
        return thresholds

    def predict(
        self,
        documents,
        *,
        k: int | None = None,
        thresholds: Mapping[str, float] | None = None,
        batch_size: int = 2000,
        max_chars: int | None = None,
        n_jobs: int | None = None,
    ):
        """Predict every document of a list; returns a list of :class:`Prediction`, same order.

        Parameters
        ----------
        documents : list
            Strings (titles), mappings with ``"title"``/``"body"``, or ``(title, body)`` pairs.
        k : int, optional
            At most ``k`` labels per task: the ``k`` most probable for a single-label task, the ``k``
            most probable of those that clear their thresholds for a multi-label task.
        thresholds : mapping, optional
            ``{label: probability}`` overriding learned multi-label thresholds.
        batch_size : int
            Documents featurised at once (bounds memory).
        max_chars : int, optional
            Characters read per document (default: ``self.max_chars``); longer ones are truncated.
        n_jobs : int, optional
            Processes that analyse the documents of each batch of 1,000 or more (joblib semantics:
            ``-1`` is all cores); the predictions do not depend on it.
        """
        if k is not None and (not isinstance(k, int) or isinstance(k, bool) or k < 1):
            raise ValueError(f"k must be a positive integer or None (got {k!r})")
        thresholds = self._check_thresholds(thresholds)
        docs = as_documents(documents, self.max_chars if max_chars is None else max_chars)
        out: list[Prediction] = []
        for start in range(0, len(docs), batch_size):
            out.extend(self._predict_batch(docs[start : start + batch_size], k, thresholds, n_jobs))
        return out

    def _predict_batch(self, docs, k, thresholds, n_jobs=None):
        if not docs:
            return []
        features, info = self.estimator.featurizer_.transform_with_info(docs, n_jobs=n_jobs)
        proba = self.estimator.predict_proba_from_features(features)
        chosen = self.estimator.labels_from_proba(proba, thresholds)
        as_lists = {task.name: proba[task.name].tolist() for task in self.tasks}  # floats, read once
        predictions = []
        for i, doc in enumerate(docs):
            labels, scores = {}, {}
            for task in self.tasks:
                scores[task.name] = dict(zip(task.labels, as_lists[task.name][i]))
                picked = chosen[i][task.name]
                if k is not None:
                    if task.is_multi:
                        picked = tuple(sorted(picked, key=lambda lab: -scores[task.name][lab])[:k])
                    else:
                        order = np.argsort(-proba[task.name][i], kind="stable")[:k]
                        picked = tuple(task.labels[j] for j in order)
                labels[task.name] = picked
            predictions.append(
                Prediction(labels, scores, info.languages[i], info.countries[i], doc.status)
            )
        return predictions

    def predict_one(self, title: str, body: str | None = None, **kwargs) -> Prediction:
        """Predict one document given as a title and an optional body."""
        doc = as_document({"title": title, "body": body})
        return self.predict([doc], **kwargs)[0]

    def explain(self, documents_or_text, *, tasks=None, labels=None, top: int = 10, thresholds=None):
        """Why each predicted label was predicted: the words that pushed its decision up and down.

        One document (a string, a ``{"title", "body"}`` mapping or a ``(title, body)`` pair) gives
        one :class:`~newsclf.explain.DocumentExplanation`; a list gives a list of them. Each label's
        contributions plus its intercept equal its decision value. See :func:`newsclf.explain.explain`
        for ``tasks``, ``labels`` (explain these even if not predicted), ``top`` and ``thresholds``.
        """
        from .explain import explain

        return explain(self, documents_or_text, tasks=tasks, labels=labels, top=top, thresholds=thresholds)

    # -- saving -------------------------------------------------------------------------------
    def save(self, path) -> Path:
        """Write the model to directory ``path`` (see :mod:`newsclf.persist`); returns the path."""
        est = self.estimator
        feat = est.featurizer_
        config = {
            "tasks": [t.to_json() for t in est.tasks_],
            "params": _jsonable(est.get_params()),
            "calibration": {name: {k: v.tolist() for k, v in cal.items()} for name, cal in est.calibration_.items()},
            "thresholds": {name: v.tolist() for name, v in est.thresholds_.items()},
            "n_features": int(est.n_features_in_),
        }
        vocabulary = {"word": list(feat.word_terms_), "char": list(feat.char_terms_), "country": list(feat.country_terms_)}
        arrays = {"word_idf": feat.word_idf_, "char_idf": feat.char_idf_}
        for i, task in enumerate(est.tasks_):
            arrays[f"coef_{i}"] = est.coef_[task.name]
            arrays[f"intercept_{i}"] = est.intercept_[task.name]
        return persist.write_model_dir(path, config, vocabulary, arrays, self.card)


def _jsonable(params: dict) -> dict:
    out = {}
    for key, value in params.items():
        if isinstance(value, tuple):
            value = list(value)
        if isinstance(value, Mapping):
            value = {str(k): (v if isinstance(v, str) else str(v)) for k, v in value.items()}
        elif isinstance(value, (list, tuple)) and value and isinstance(value[0], Task):
            value = [t.spec for t in value]
        out[key] = value
    return out


def _expected_shapes(config: dict, vocabulary: dict) -> dict:
    n_word, n_char, n_country = len(vocabulary["word"]), len(vocabulary["char"]), len(vocabulary["country"])
    shapes = {"word_idf": (n_word,), "char_idf": (n_char,)}
    n_features = n_word + n_char + n_country
    if config["n_features"] != n_features:
        raise ValueError("n_features does not match the vocabulary")
    for i, data in enumerate(config["tasks"]):
        task = Task.from_json(data)
        shapes[f"coef_{i}"] = (len(task.scored_labels), n_features)
        shapes[f"intercept_{i}"] = (len(task.scored_labels),)
    return shapes


def _restore(config: dict, vocabulary: dict, arrays: dict) -> NewsClassifier:
    params = dict(config["params"])
    params.setdefault("tol", 1e-4)  # models saved before ``tol`` was a parameter were trained with 1e-4
    for key in ("word_ngram_range", "char_ngram_range"):
        if params.get(key) is not None:
            params[key] = tuple(params[key])
    est = NewsClassifier(**params)
    est.tasks_ = tuple(Task.from_json(t) for t in config["tasks"])
    feat = Featurizer(**{p: params[p] for p in _FEATURE_PARAMS})
    feat.word_terms_, feat.char_terms_ = list(vocabulary["word"]), list(vocabulary["char"])
    feat.country_terms_ = list(vocabulary["country"])
    feat.word_idf_, feat.char_idf_ = arrays["word_idf"], arrays["char_idf"]
    feat._build_lookups()
    est.featurizer_ = feat
    est.coef_ = {t.name: arrays[f"coef_{i}"] for i, t in enumerate(est.tasks_)}
    est.intercept_ = {t.name: arrays[f"intercept_{i}"] for i, t in enumerate(est.tasks_)}
    est.calibration_ = {name: {k: np.asarray(v, dtype=np.float64) for k, v in cal.items()} for name, cal in config["calibration"].items()}
    est.thresholds_ = {name: np.asarray(v, dtype=np.float64) for name, v in config["thresholds"].items()}
    est.n_features_in_ = config["n_features"]
    est._check_params()
    feat._check_params()
    _check_calibration(est)
    return est


def _check_calibration(est: NewsClassifier) -> None:
    """Every task has the calibration (and, multi-label, the thresholds) its labels need."""
    for task in est.tasks_:
        cal = est.calibration_[task.name]
        n = len(task.scored_labels)
        expected = {"a": n, "b": n} if task.is_multi else {"t": 1}
        if {k: v.shape for k, v in cal.items()} != {k: (m,) for k, m in expected.items()}:
            raise ValueError(f"calibration of task {task.name!r} does not match its {n} labels")
        if task.is_multi and est.thresholds_[task.name].shape != (n,):
            raise ValueError(f"thresholds of task {task.name!r} do not match its {n} labels")
        if not all(np.isfinite(v).all() for v in cal.values()):
            raise ValueError(f"calibration of task {task.name!r} is not finite")


_DEFAULT_MODEL: Model | None = None


def _default_model_path():
    return resources.files("newsclf").joinpath("data", "default_model")


def load(path=None) -> Model:
    """Load a saved model directory; with no path, the bundled default model (loaded once).

    Raises :class:`~newsclf.errors.ModelFormatError` if the directory is missing, damaged, foreign
    or unsafe. Loading never runs code from the files.
    """
    global _DEFAULT_MODEL
    if path is None:
        if _DEFAULT_MODEL is None:
            with resources.as_file(_default_model_path()) as default:
                if not Path(default).is_dir():
                    raise ModelFormatError("this installation has no bundled default model; pass a model directory")
                _DEFAULT_MODEL = load(default)
        return _DEFAULT_MODEL
    config, vocabulary, arrays, card = persist.read_model_dir(os.fspath(path), _expected_shapes)
    try:
        estimator = _restore(config, vocabulary, arrays)
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelFormatError(f"{path}: model.json is inconsistent: {exc!r}") from None
    return Model(estimator, card)


def _fingerprint(records: list[dict], tasks) -> str:
    digest = hashlib.sha256()
    for r in records:
        row = [r["title"], r["body"], *("|".join(r[t.name]) for t in tasks)]
        digest.update(json.dumps(row, ensure_ascii=False).encode("utf-8") + b"\n")
    return digest.hexdigest()


def train(
    corpus,
    tasks=None,
    *,
    title_column: str = "title",
    body_column: str | None = "body",
    text_column: str | None = None,
    label_columns: Mapping[str, str] | None = None,
    delimiter: str | None = None,
    encoding: str = "utf-8-sig",
    strict: bool = False,
    **params,
) -> Model:
    """Train a model on a labelled corpus.

    Parameters
    ----------
    corpus : path, list of paths, or iterable of dicts
        Corpus file(s) (CSV, TSV, JSONL, optionally gzipped; see :mod:`newsclf.corpus`), or records
        ``{"title": ..., "body": ..., <task>: labels}``.
    tasks : mapping or list, optional
        E.g. ``{"topic": "multi", "region": "single"}``; default: the newsclf taxonomy.
    title_column, body_column, text_column, label_columns, delimiter, encoding
        How to read corpus files.
    strict : bool
        Stop at the first bad row instead of skipping and counting it.
    **params
        Parameters of :class:`~newsclf.estimator.NewsClassifier` (``C``, ``title_weight``, ...).

    Returns
    -------
    Model
    """
    parsed = parse_tasks(tasks)
    unknown = set(params) - set(NewsClassifier().get_params()) - {"tasks"}
    if unknown:
        raise TypeError(f"unknown training parameter(s): {', '.join(sorted(unknown))}")
    records, report, sources = gather_records(
        corpus, parsed, strict=strict, title_column=title_column, body_column=body_column, text_column=text_column,
        label_columns=dict(label_columns or {}), delimiter=delimiter, encoding=encoding,
    )  # fmt: skip
    estimator = NewsClassifier(tasks=parsed if tasks is not None else None, **params)
    estimator.fit(
        [{"title": r["title"], "body": r["body"]} for r in records],
        [{t.name: r[t.name] for t in parsed} for r in records],
    )
    return Model(estimator, _card(estimator, records, report, sources))


def _card(estimator: NewsClassifier, records, report: CorpusReport, sources) -> dict:
    import scipy
    import sklearn

    from . import __version__

    label_counts = {}
    for task in estimator.tasks_:
        counts: dict[str, int] = {}
        for r in records:
            for label in r[task.name]:
                counts[label] = counts.get(label, 0) + 1
        label_counts[task.name] = dict(sorted(counts.items()))
    return {
        "newsclf_version": __version__,
        "versions": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "scikit-learn": sklearn.__version__,
        },
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "corpus": {
            "sources": [os.path.basename(s) for s in sources],
            "sha256": _fingerprint(records, estimator.tasks_),
            **report.to_json(),
        },
        "tasks": [t.to_json() for t in estimator.tasks_],
        "label_counts": label_counts,
        "params": _jsonable(estimator.get_params()),
        "n_features": {
            block: len(getattr(estimator.featurizer_, f"{block}_terms_")) for block in ("word", "char", "country")
        },
        "thresholds": {
            name: dict(zip(t.scored_labels, map(float, estimator.thresholds_[name])))
            for t in estimator.tasks_
            for name in [t.name]
            if t.is_multi
        },
        "cv_scores": _round(estimator.cv_scores_),
    }


def _round(value):
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, dict):
        return {k: _round(v) for k, v in value.items()}
    return value
