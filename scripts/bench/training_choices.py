#!/usr/bin/env python3
"""The measurements behind newsclf's training choices, on a validation split of a training set.

Never reads a test set: each corpus's training set (corpora.py) is shuffled with the harness's seed
and split 80/20 into fit and validation documents.

``calls``
    One liblinear call per label (``_fit_binary``) against one call for all the labels of a
    single-label task (``_fit_one_of``) on the same features: seconds, the largest weight
    difference, and the seconds of the per-label calls with ``max_iter=1`` (what each call costs
    before the solver iterates: copying the matrix into liblinear's format); also how many of the
    feature matrix's stored values are character n-grams.
``folds``
    ``newsclf.train`` with ``cv`` 5, 3 and 2: training seconds and the validation score (accuracy, or
    micro-F1 and subset accuracy for a multi-label corpus).
``chars``
    ``newsclf.train`` with several character n-gram ranges (``None``: no character block):
    training seconds and the validation score.
``tolerance``
    The solver tolerance (1e-4 is scikit-learn's default for ``LinearSVC``, 0.1 liblinear's own and
    newsclf's): seconds and validation accuracy of the one-call fit.

    python scripts/bench/training_choices.py calls --corpus r52
    python scripts/bench/training_choices.py folds --corpus news-topic
    python scripts/bench/training_choices.py chars --corpus r8
    python scripts/bench/training_choices.py tolerance --corpus 20ng
"""

from __future__ import annotations

import argparse
import random
import time
import warnings

import corpora
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.svm import LinearSVC

import newsclf
from newsclf.document import as_documents
from newsclf.estimator import _fit_binary, _fit_one_of
from newsclf.features import Featurizer


def split(name: str):
    corpus = corpora.load(name)
    docs = list(corpus.train)
    random.Random(corpora.SEED).shuffle(docs)
    cut = int(0.8 * len(docs))
    return corpus, docs[:cut], docs[cut:]


def _features(fit_docs, val_docs):
    featurizer = Featurizer()
    as_docs = lambda docs: as_documents([{"title": d["title"], "body": d["body"]} for d in docs])  # noqa: E731
    return featurizer.fit_transform(as_docs(fit_docs)), featurizer.transform(as_docs(val_docs)), featurizer


def _single_label(corpus, fit_docs, val_docs):
    if corpus.kind != "single":
        raise SystemExit(f"{corpus.name} is multi-label; this measurement needs a single-label corpus")
    index = {label: j for j, label in enumerate(corpus.labels)}
    return (np.array([index[d["labels"][0]] for d in docs]) for docs in (fit_docs, val_docs))


def calls(name: str) -> None:
    corpus, fit_docs, val_docs = split(name)
    y_fit, _ = _single_label(corpus, fit_docs, val_docs)
    X, _, featurizer = _features(fit_docs, val_docs)
    n = len(corpus.labels)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for j in range(n):
            LinearSVC(C=0.5, dual=True, max_iter=1, random_state=0).fit(X, y_fit == j)
    overhead = time.perf_counter() - start
    start = time.perf_counter()
    per_label = [_fit_binary(X, None, y_fit == j, 0.5, None, 0, 1e-4) for j in range(n)]
    per_label_s = time.perf_counter() - start
    start = time.perf_counter()
    coef, _ = _fit_one_of(X, None, y_fit, n, 0.5, None, 0, 1e-4)
    one_call_s = time.perf_counter() - start
    diff = float(np.abs(np.stack([w for w, _ in per_label]) - coef).max())
    char_block = X[:, len(featurizer.word_terms_) : len(featurizer.word_terms_) + len(featurizer.char_terms_)]
    print(f"{name}: {n} labels, {X.shape[0]} documents, {X.nnz:,} stored values ({char_block.nnz:,} character n-grams)")
    print(f"  one call per label {per_label_s:.1f} s (of which {overhead:.1f} s with max_iter=1)")
    print(f"  one call for all labels {one_call_s:.1f} s; largest weight difference {diff:.1e}")


def _sweep(name: str, settings: list[tuple[str, dict]]) -> None:
    """Train ``newsclf.train`` with each ``(label, parameters)`` of ``settings``; print seconds and score."""
    corpus, fit_docs, val_docs = split(name)
    multi = corpus.kind == "multi"
    spec = f"multi:{corpus.empty_label or ''}" if multi else "single"
    records = [{"title": d["title"], "body": d["body"], "label": d["labels"] if multi else d["labels"][0]} for d in fit_docs]
    for label, params in settings:
        start = time.perf_counter()
        model = newsclf.train(records, tasks={"label": spec}, n_jobs=1, **params)
        seconds = time.perf_counter() - start
        predicted = [set(p.labels["label"]) for p in model.predict([{"title": d["title"], "body": d["body"]} for d in val_docs])]
        truth = [set(d["labels"]) for d in val_docs]
        tp = sum(len(p & t) for p, t in zip(predicted, truth))
        wrong = sum(len(p ^ t) for p, t in zip(predicted, truth))
        exact = sum(p == t for p, t in zip(predicted, truth)) / len(truth)
        score = f"micro-F1 {2 * tp / (2 * tp + wrong):.4f}, subset accuracy {exact:.4f}" if multi else f"accuracy {exact:.4f}"
        print(f"{name}: {label} training {seconds:.1f} s, validation {score}", flush=True)


def folds(name: str) -> None:
    _sweep(name, [(f"cv={cv}", {"cv": cv}) for cv in (5, 3, 2)])


def chars(name: str) -> None:
    ranges = [(2, 5), (3, 5), (2, 4), (3, 4), (3, 6), None]
    _sweep(name, [(f"char_ngram_range={r}", {"char_ngram_range": r}) for r in ranges])


def tolerance(name: str) -> None:
    corpus, fit_docs, val_docs = split(name)
    y_fit, y_val = _single_label(corpus, fit_docs, val_docs)
    X, X_val, _ = _features(fit_docs, val_docs)
    for tol in (1e-4, 1e-3, 1e-2, 1e-1):
        start = time.perf_counter()
        coef, intercept = _fit_one_of(X, None, y_fit, len(corpus.labels), 0.5, None, 0, tol)
        seconds = time.perf_counter() - start
        accuracy = (np.asarray(X_val @ coef.T + intercept).argmax(axis=1) == y_val).mean()
        print(f"{name}: tol={tol:g} fit {seconds:.1f} s, validation accuracy {accuracy:.4f}", flush=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("measure", choices=["calls", "folds", "chars", "tolerance"])
    parser.add_argument("--corpus", default="r52", choices=corpora.CORPORA)
    args = parser.parse_args(argv)
    {"calls": calls, "folds": folds, "chars": chars, "tolerance": tolerance}[args.measure](args.corpus)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
