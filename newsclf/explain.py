"""Explanations of linear decisions: which words of a document pushed each label up or down.

Every label's decision is linear: ``decision = intercept + sum_j x_j * w_j`` over the document's
feature values ``x`` (the row :class:`~newsclf.features.Featurizer` computes) and the label's weights
``w``. The contribution of feature ``j`` is ``x_j * w_j``, computed in float64 from the float32
weights as the estimator does, so the contributions and the intercept add up to the decision value.

Features are stems, character n-grams and country codes, which mean little to a reader, so each
feature's contribution is handed back to the words of the text that produced it
(:func:`attribute_document` re-analyses the document with the featurizer's own steps):

- a word n-gram goes to the phrase it was built from, as written ("respaldo de Moscú" for the stem
  bigram ``respald moscu``, built after the stop word was dropped);
- a character n-gram goes to the words that contain it;
- a country or region feature goes to the mention that produced it ("Moscú", "EE.UU").

A feature found in several places (title and body, two words) shares its contribution in proportion
to each place's weighted count (a title occurrence weighs ``title_weight``, as in the features).
Contributions are then summed per word or phrase, so the terms too add up to ``decision - intercept``.

:func:`top_terms` lists the strongest weights of each label, and :func:`to_html` renders an
explanation as a page with the words highlighted.
"""

from __future__ import annotations

import csv
import html
import io
import logging
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

from .countries import mention_spans, region_of
from .document import Document, as_document, as_documents
from .errors import LabelError
from .features import Featurizer
from .text import detect_language, filter_and_stem, normalize, tokenize

__all__ = [
    "Attribution",
    "DocumentExplanation",
    "Explanation",
    "attribute_document",
    "describe_feature",
    "explain",
    "format_top_terms",
    "to_html",
    "top_terms",
]

log = logging.getLogger(__name__)

_FIELDS = ("title", "body")


# -- where features come from ------------------------------------------------------------------
class _Field(NamedTuple):
    """One field of a document: its text as given and its normalised tokens with their spans."""

    name: str
    text: str
    tokens: list[str]  # normalised tokens, stop words included
    spans: list[tuple[int, int]] | None  # each token's characters in ``text`` (None: not recoverable)


@dataclass(frozen=True)
class Attribution:
    """Where each feature of one document came from.

    Every *occurrence* is one place that added to a feature column: ``columns[k]`` gets weighted
    count ``weights[k]`` from the word or phrase ``terms[term_of[k]]``, which covers the tokens
    ``tokens_of[k]`` (``(field, token index)`` pairs; empty for a feature no word could be found for).

    Attributes
    ----------
    row : scipy.sparse.csr_matrix
        The document's feature row (1 x features), as :meth:`Featurizer.transform` computes it.
    language : str
    countries : tuple of str
        As the featurizer reports them.
    fields : dict
        ``{"title": _Field, "body": _Field}``.
    """

    row: sp.csr_matrix
    language: str
    countries: tuple[str, ...]
    fields: dict
    columns: np.ndarray
    weights: np.ndarray
    terms: list[str]
    term_of: np.ndarray
    tokens_of: list[tuple[tuple[str, int], ...]]

    def shares(self) -> np.ndarray:
        """Each occurrence's share of its column (the shares of a column sum to 1)."""
        totals = np.bincount(self.columns, weights=self.weights, minlength=self.row.shape[1])
        return self.weights / totals[self.columns] if len(self.columns) else np.zeros(0)


def _normalized_offsets(text: str) -> tuple[str, list[int] | None, list[int] | None]:
    """``normalize(text)`` and, per character of it, the start and end of the characters of ``text``
    it came from; ``None`` offsets when normalising piece by piece does not give the same string.
    """
    normalized = normalize(text)
    if text.isascii() and len(normalized) == len(text):
        return normalized, list(range(len(text))), list(range(1, len(text) + 1))
    pieces, starts, ends = [], [], []
    i = 0
    while i < len(text):
        j = i + 1
        while j < len(text) and unicodedata.combining(text[j]):
            j += 1  # a letter and its combining accents normalise together
        piece = normalize(text[i:j])
        pieces.append(piece)
        starts.extend([i] * len(piece))
        ends.extend([j] * len(piece))
        i = j
    if "".join(pieces) != normalized:
        return normalized, None, None
    return normalized, starts, ends


def _field(name: str, text: str) -> _Field:
    normalized, starts, ends = _normalized_offsets(text)
    tokens = tokenize(normalized)
    spans: list[tuple[int, int]] | None = None
    if starts is not None:
        # Tokens are pieces of the normalised text, in order; what lies between two tokens holds no
        # letter or digit (bar a dropped possessive 's), so searching forward finds each one.
        spans, cursor = [], 0
        for token in tokens:
            at = normalized.find(token, cursor)
            if at < 0:
                spans = None
                break
            cursor = at + len(token)
            if "." in token and not token[0].isdigit() and normalized[cursor : cursor + 1] == ".":
                cursor += 1  # show an acronym's final dot, which the tokeniser drops, as written ("EE.UU.")
            spans.append((starts[at], ends[cursor - 1]))
    return _Field(name, text, tokens, spans)


class _Builder:
    """Collects occurrences and the words and phrases they belong to."""

    def __init__(self):
        self.columns: list[int] = []
        self.weights: list[float] = []
        self.term_of: list[int] = []
        self.tokens_of: list[tuple[tuple[str, int], ...]] = []
        self.keys: dict[str, int] = {}
        self.terms: list[str] = []

    def term(self, field: _Field, first: int, last: int) -> int:
        key = " ".join(field.tokens[first : last + 1])
        index = self.keys.get(key)
        if index is None:
            if field.spans is None:
                shown = key
            else:
                shown = " ".join(field.text[field.spans[first][0] : field.spans[last][1]].split())
            index = self.keys[key] = len(self.terms)
            self.terms.append(shown)
        return index

    def raw(self, name: str) -> int:
        key = f"[{name}]"
        if key not in self.keys:
            self.keys[key] = len(self.terms)
            self.terms.append(key)
        return self.keys[key]

    def add(self, column: int, weight: float, term: int, tokens: tuple[tuple[str, int], ...]):
        self.columns.append(column)
        self.weights.append(weight)
        self.term_of.append(term)
        self.tokens_of.append(tokens)


def attribute_document(featurizer: Featurizer, document, row: sp.csr_matrix | None = None) -> Attribution:
    """Re-analyse one document to find, for every feature column, the words that produced it.

    The analysis repeats the featurizer's steps (normalise, tokenise, guess the language, find
    countries, drop stop words, stem, build n-grams) and keeps track of where each token is in the
    text as given. It changes nothing in the featurizer.

    Parameters
    ----------
    featurizer : Featurizer
        A fitted featurizer.
    document : str, mapping, pair or Document
        One document (see :mod:`newsclf.document`).
    row : scipy.sparse matrix, optional
        The document's feature row if already computed; otherwise it is computed here.

    Returns
    -------
    Attribution
        A column that has a value but no word to go to (which the checks here should never leave)
        is attributed to its feature name in brackets, so contributions still add up.
    """
    doc = document if isinstance(document, Document) else as_document(document)
    if not hasattr(featurizer, "_word_index"):
        featurizer._build_lookups()  # as transform() does for a featurizer restored from files
    language = countries = None
    if row is None:
        row, info = featurizer.transform_with_info([doc])
        language, countries = info.languages[0], info.countries[0]
    row = sp.csr_matrix(row)
    fields = {name: _field(name, getattr(doc, name)) for name in _FIELDS}
    lang = detect_language(
        f"{normalize(doc.title)}\n{normalize(doc.body)}", fields["title"].tokens + fields["body"].tokens
    )
    if language is not None and lang != language:
        log.warning("explanation: language %s re-detected as %s; words may be attributed differently", language, lang)

    n_word, n_char = len(featurizer.word_terms_), len(featurizer.char_terms_)
    word_index = featurizer._word_index
    country_index = featurizer._country_index
    build = _Builder()
    found_codes: list[str] = []
    for name in _FIELDS:
        field = fields[name]
        weight = float(featurizer.title_weight) if name == "title" else 1.0
        kept, stems = filter_and_stem(field.tokens, lang, featurizer.stop_words, featurizer.stemming)
        # Stop words are never kept, so matching in order recovers each kept token's position.
        positions, k = [], 0
        for i, token in enumerate(field.tokens):
            if k < len(kept) and token == kept[k]:
                positions.append(i)
                k += 1
        lo, hi = featurizer.word_ngram_range
        for n in range(lo, hi + 1):
            for i in range(len(stems) - n + 1):
                j = word_index.get(" ".join(stems[i : i + n]))
                if j is not None:
                    covered = tuple((name, p) for p in positions[i : i + n])
                    build.add(j, weight, build.term(field, positions[i], positions[i + n - 1]), covered)
        if featurizer.char_ngram_range is not None:
            grams = featurizer._char_grams().counts(kept)  # kept tokens x character vocabulary
            for k, p in enumerate(positions):
                term = build.term(field, p, p)
                start, end = grams.indptr[k], grams.indptr[k + 1]
                for j, count in zip(grams.indices[start:end].tolist(), grams.data[start:end].tolist()):
                    build.add(n_word + j, weight * count, term, ((name, p),))
        if country_index:
            spans = mention_spans(field.tokens)  # as the featurizer finds them (countries.mentions)
            found_codes += [code for code, _, _ in spans]
            for m, (code, first, last) in enumerate(spans):
                names = [f"k:{code}", f"r:{region_of(code)}"]
                if name == "title" and m == len(spans) - 1:
                    names.append(f"z:{region_of(code)}")  # the region of the last country in the title
                covered = tuple((name, p) for p in range(first, last + 1))
                term = build.term(field, first, last)
                for feature in names:
                    j = country_index.get(feature)
                    if j is not None:
                        build.add(n_word + n_char + j, weight, term, covered)

    columns = np.asarray(build.columns, dtype=np.int64)
    missing = np.setdiff1d(row.indices, columns)
    if len(missing):
        names = featurizer.feature_names()
        log.warning("explanation: %d feature(s) not traced back to words: %s", len(missing), [names[j] for j in missing[:5]])
        for j in missing:
            build.add(int(j), 1.0, build.raw(names[j]), ())
    return Attribution(
        row=row,
        language=lang if language is None else language,
        countries=tuple(dict.fromkeys(found_codes)) if countries is None else tuple(countries),
        fields=fields,
        columns=np.asarray(build.columns, dtype=np.int64),
        weights=np.asarray(build.weights, dtype=np.float64),
        terms=build.terms,
        term_of=np.asarray(build.term_of, dtype=np.int64),
        tokens_of=build.tokens_of,
    )


# -- explanations ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Explanation:
    """Why one label of one task got its decision value for one document.

    Attributes
    ----------
    task, label : str
    predicted : bool
        Whether the label is among the document's predicted labels.
    decision : float
        The label's decision value, as the estimator computes it.
    intercept : float
        The label's intercept: ``decision == intercept + sum of all contributions``.
    probability : float
        The label's calibrated probability.
    threshold : float or None
        The probability a multi-label label needs (``None`` for a single-label task).
    up, down : tuple of (str, float)
        The words or phrases of the text that pushed the decision up (largest first) and down
        (most negative first), at most ``top`` of each.
    terms : tuple of (str, float)
        Every word or phrase with a contribution, largest magnitude first.
    features : tuple of (str, float, float)
        ``(feature name, value, contribution)`` for every feature of the document, largest
        magnitude first: the exact terms of the sum.
    spans : tuple of (str, int, int, float)
        ``(field, start, end, contribution)``: the contribution given to each token of the text
        (a phrase's share split evenly among its words), for highlighting.
    """

    task: str
    label: str
    predicted: bool
    decision: float
    intercept: float
    probability: float
    threshold: float | None
    up: tuple
    down: tuple
    terms: tuple
    features: tuple
    spans: tuple

    @property
    def total(self) -> float:
        """``intercept`` plus every feature contribution: equals ``decision`` up to rounding."""
        return self.intercept + float(sum(c for _, _, c in self.features))

    def as_dict(self, features: bool = False) -> dict:
        """A JSON-ready dict; ``features=True`` adds every feature's exact contribution."""
        out = {
            "task": self.task, "label": self.label, "predicted": self.predicted, "decision": self.decision,
            "intercept": self.intercept, "probability": self.probability, "threshold": self.threshold,
            "up": [[t, c] for t, c in self.up], "down": [[t, c] for t, c in self.down],
            "spans": [{"field": f, "start": s, "end": e, "contribution": c} for f, s, e, c in self.spans],
        }  # fmt: skip
        if features:
            out["features"] = [{"feature": n, "value": v, "contribution": c} for n, v, c in self.features]
        return out


@dataclass(frozen=True)
class DocumentExplanation:
    """The explanations of one document's labels, with the document they refer to."""

    title: str
    body: str
    language: str
    countries: tuple
    status: str
    explanations: tuple

    def as_dict(self, features: bool = False) -> dict:
        """A JSON-ready dict; ``features=True`` adds every feature's exact contribution."""
        return {
            "title": self.title, "body": self.body, "language": self.language, "countries": list(self.countries),
            "status": self.status, "explanations": [e.as_dict(features) for e in self.explanations],
        }  # fmt: skip

    def format(self) -> str:
        """The explanations as text for a terminal."""
        lines = [
            f"language {self.language}; countries {', '.join(self.countries) or 'none'}; status {self.status}"
        ]
        for e in self.explanations:
            mark = "predicted" if e.predicted else "not predicted"
            cut = f", threshold {e.threshold:.2f}" if e.threshold is not None else ""
            lines += [
                "",
                f"{e.task} = {e.label} ({mark}): probability {e.probability:.3f}{cut}",
                f"  decision {e.decision:+.4f} = intercept {e.intercept:+.4f} + words {e.decision - e.intercept:+.4f}",
            ]
            for heading, items in (("up", e.up), ("down", e.down)):
                lines.append(f"  pushed {heading}:" + ("" if items else " nothing"))
                lines += [f"    {c:+.4f}  {t}" for t, c in items]
        return "\n".join(lines)

    def to_html(self) -> str:
        """A self-contained HTML page; see :func:`to_html`."""
        return to_html(self)


def _selected_tasks(model, tasks) -> list:
    if tasks is None:
        return list(model.tasks)
    names = [tasks] if isinstance(tasks, str) else list(tasks)
    return [model.estimator._check_task(name) for name in names]


def _selected_labels(task, labels, predicted: tuple[str, ...]) -> list[str]:
    """The labels of ``task`` to explain; the empty label stands for every scored label."""
    wanted = list(predicted) if labels is None else [label for label in labels if label in task.labels]
    out = []
    for label in wanted:
        out += list(task.scored_labels) if label == task.empty else [label]
    return list(dict.fromkeys(out))


def explain(model, documents, *, tasks=None, labels=None, top: int = 10, thresholds=None):
    """Explain the decisions of ``model`` on one document or a list of documents.

    Parameters
    ----------
    model : newsclf.Model
    documents : str, mapping, (title, body) pair, or list of them
        One document (a string is a title or a whole text; a mapping has ``"title"``/``"body"``)
        gives one :class:`DocumentExplanation`; a list (or other iterable) of documents gives a
        list of them, in order.
    tasks : str or list of str, optional
        Tasks to explain (default: all).
    labels : str or list of str, optional
        Labels to explain whether predicted or not (default: the predicted labels). A multi-label
        task's empty label (``other``) has no weights of its own: it is predicted when every other
        label stays below its threshold, so explaining it explains all the others.
    top : int
        Words or phrases kept in ``up`` and in ``down``.
    thresholds : mapping, optional
        ``{label: probability}`` overriding learned thresholds when deciding what is predicted.

    Returns
    -------
    DocumentExplanation or list of DocumentExplanation
    """
    if not isinstance(top, int) or isinstance(top, bool) or top < 1:
        raise ValueError(f"top must be a positive integer (got {top!r})")
    single = isinstance(documents, (str, Document, Mapping)) or (
        isinstance(documents, tuple) and len(documents) == 2 and all(isinstance(v, (str, type(None))) for v in documents)
    )
    docs = as_documents([documents] if single else documents, model.max_chars)
    selected = _selected_tasks(model, tasks)
    if labels is not None:
        labels = [labels] if isinstance(labels, str) else list(labels)
        known = {label for task in selected for label in task.labels}
        for label in labels:
            if label not in known:
                raise LabelError(f"unknown label {label!r} (labels of {', '.join(t.name for t in selected)}: {', '.join(sorted(known))})")
    thresholds = model._check_thresholds(thresholds)
    est = model.estimator
    if not docs:
        return []
    features, info = est.featurizer_.transform_with_info(docs)
    decisions = est.decision_function_from_features(features)
    proba = est.predict_proba_from_features(features)
    chosen = est.labels_from_proba(proba, thresholds)
    names = est.featurizer_.feature_names()
    out = []
    for i, doc in enumerate(docs):
        row = features[i]
        found = attribute_document(est.featurizer_, doc, row)
        explanations = []
        for task in selected:
            for label in _selected_labels(task, labels, chosen[i][task.name]):
                j = task.scored_labels.index(label)
                threshold = None
                if task.is_multi:
                    threshold = float(thresholds.get(label, est.thresholds_[task.name][j]))
                explanations.append(
                    _explain_label(
                        est, task, j, found, names, top, predicted=label in chosen[i][task.name],
                        decision=float(decisions[task.name][i, j]),
                        probability=float(proba[task.name][i, task.labels.index(label)]), threshold=threshold,
                    )  # fmt: skip
                )
        out.append(DocumentExplanation(doc.title, doc.body, info.languages[i], info.countries[i], doc.status, tuple(explanations)))
    return out[0] if single else out


def _explain_label(est, task, j: int, found: Attribution, names, top: int, **known) -> Explanation:
    coef = est.coef_[task.name][j]
    row = found.row
    # The estimator's own arithmetic: float64 features times float32 weights widened to float64.
    contributions = row.data * coef[row.indices].astype(np.float64)
    order = np.argsort(-np.abs(contributions), kind="stable")
    features = tuple((names[row.indices[k]], float(row.data[k]), float(contributions[k])) for k in order)

    per_column = np.zeros(row.shape[1])
    per_column[row.indices] = contributions
    share = per_column[found.columns] * found.shares()
    per_term = np.bincount(found.term_of, weights=share, minlength=len(found.terms))
    ranked = sorted((t for t in range(len(found.terms)) if per_term[t] != 0.0), key=lambda t: -abs(per_term[t]))
    terms = tuple((found.terms[t], float(per_term[t])) for t in ranked)
    up = tuple(sorted((x for x in terms if x[1] > 0), key=lambda x: -x[1])[:top])
    down = tuple(sorted((x for x in terms if x[1] < 0), key=lambda x: x[1])[:top])

    per_token: dict[tuple[str, int], float] = {}
    for k, covered in enumerate(found.tokens_of):
        for token in covered:
            per_token[token] = per_token.get(token, 0.0) + share[k] / len(covered)
    spans = []
    for (field, p), value in sorted(per_token.items(), key=lambda item: (_FIELDS.index(item[0][0]), item[0][1])):
        token_spans = found.fields[field].spans
        if token_spans is not None and value != 0.0:
            spans.append((field, *token_spans[p], float(value)))
    return Explanation(
        task=task.name, label=task.scored_labels[j], intercept=float(est.intercept_[task.name][j]),
        up=up, down=down, terms=terms, features=features, spans=tuple(spans), **known,
    )  # fmt: skip


# -- the strongest weights of a model ------------------------------------------------------------
@lru_cache(maxsize=None)
def _country_names() -> dict[str, str]:
    text = resources.files("newsclf").joinpath("data", "regions.csv").read_text("utf-8")
    return {row["iso2"]: row["name"] for row in csv.DictReader(io.StringIO(text))}


def describe_feature(name: str, stemming: bool = True) -> str:
    """A feature name as a reader can take it in.

    >>> describe_feature("w:respald moscu")
    'respald moscu (stems)'
    >>> describe_feature("c: mosc")
    '" mosc" (characters)'
    >>> describe_feature("k:VE")
    'country:VE (Venezuela)'
    """
    kind, _, value = name.partition(":")
    if kind == "w":
        unit = "stem" if stemming else "word"
        return f"{value} ({unit}{'s' if ' ' in value else ''})"
    if kind == "c":
        return f'"{value}" (characters)'
    if kind == "k":
        return f"country:{value} ({_country_names().get(value, 'unknown')})"
    if kind == "r":
        return f"region:{value}"
    if kind == "z":
        return f"region:{value} (title's last country)"
    return name


def top_terms(model, n: int = 10) -> dict:
    """The ``n`` largest positive and negative weights of every label of every task.

    Returns ``{task: {label: {"up": [(feature, weight), ...], "down": [...]}}}`` with features
    described by :func:`describe_feature`, largest weight first in ``up``, most negative first in
    ``down``. A weight is what one unit of a feature's tf-idf value adds to the decision.
    """
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"n must be a positive integer (got {n!r})")
    est = model.estimator
    names = est.featurizer_.feature_names()
    stemming = bool(est.featurizer_.stemming)
    out: dict = {}
    for task in model.tasks:
        out[task.name] = {}
        for j, label in enumerate(task.scored_labels):
            coef = est.coef_[task.name][j]
            order = np.argsort(-coef, kind="stable")
            up = [(describe_feature(names[k], stemming), float(coef[k])) for k in order[:n] if coef[k] > 0]
            down = [(describe_feature(names[k], stemming), float(coef[k])) for k in order[::-1][:n] if coef[k] < 0]
            out[task.name][label] = {"up": up, "down": down}
    return out


def format_top_terms(table: dict) -> str:
    """:func:`top_terms` output as text for a terminal."""
    lines = []
    for task, labels in table.items():
        for label, sides in labels.items():
            lines.append(f"{task} = {label}")
            for heading in ("up", "down"):
                lines.append(f"  {heading}: " + ", ".join(f"{t} {w:+.3f}" for t, w in sides[heading]))
    return "\n".join(lines)


# -- HTML ----------------------------------------------------------------------------------------
_UP, _DOWN = (33, 102, 172), (202, 80, 32)  # blue for "pushed up", orange for "pushed down"

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
section { border-top: 1px solid #ccc; margin-top: 1.5rem; }
.text { line-height: 1.9; white-space: pre-wrap; }
.title { font-weight: bold; font-size: 1.15rem; }
.w { border-radius: 3px; padding: 0 1px; }
table { border-collapse: collapse; margin: .5rem 0; }
td, th { padding: 2px 10px; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.key span { padding: 0 6px; border-radius: 3px; }
"""


def _highlight(text: str, spans: list[tuple[int, int, float]], scale: float) -> str:
    parts, cursor = [], 0
    for start, end, value in spans:
        rgb = _UP if value > 0 else _DOWN
        alpha = min(1.0, abs(value) / scale) * 0.75 if scale > 0 else 0.0
        parts.append(html.escape(text[cursor:start]))
        parts.append(
            f'<span class="w" style="background: rgba({rgb[0]}, {rgb[1]}, {rgb[2]}, {alpha:.3f})" '
            f'title="{value:+.4f}">{html.escape(text[start:end])}</span>'
        )
        cursor = end
    parts.append(html.escape(text[cursor:]))
    return "".join(parts)


def to_html(result: DocumentExplanation) -> str:
    """A self-contained HTML page: per explained label, the text with each word coloured by the sign
    of its contribution (blue up, orange down) and shaded by its size, and the top words in a table.

    Everything taken from the document or the model is escaped.
    """
    esc = html.escape
    out = [
        "<!DOCTYPE html>",
        '<html><head><meta charset="utf-8"><title>newsclf: why did it say that?</title>',
        f"<style>{_STYLE}</style></head><body>",
        "<h1>Why did it say that?</h1>",
        f"<p>Language <b>{esc(result.language)}</b>; countries named: <b>{esc(', '.join(result.countries) or 'none')}</b>; "
        f"status <b>{esc(result.status)}</b>.</p>",
        '<p class="key">Each word is shaded by how much it moved the label\'s decision: '
        f'<span style="background: rgba({_UP[0]}, {_UP[1]}, {_UP[2]}, .5)">towards the label</span> '
        f'<span style="background: rgba({_DOWN[0]}, {_DOWN[1]}, {_DOWN[2]}, .5)">away from it</span>; '
        "hover over a word for its contribution.</p>",
    ]
    for e in result.explanations:
        mark = "predicted" if e.predicted else "not predicted"
        cut = f", threshold {e.threshold:.2f}" if e.threshold is not None else ""
        scale = max((abs(v) for *_, v in e.spans), default=0.0)
        out.append("<section>")
        out.append(f"<h2>{esc(e.task)} = {esc(e.label)} <small>({mark}; probability {e.probability:.3f}{esc(cut)})</small></h2>")
        out.append(
            f"<p>decision {e.decision:+.4f} = intercept {e.intercept:+.4f} + words {e.decision - e.intercept:+.4f}</p>"
        )
        out.append("<table><tr><th>pushed up</th><th></th><th>pushed down</th><th></th></tr>")
        for k in range(max(len(e.up), len(e.down))):
            cells = []
            for side in (e.up, e.down):
                term, value = side[k] if k < len(side) else ("", None)
                cells.append(f"<td>{esc(term)}</td><td class=\"n\">{'' if value is None else f'{value:+.4f}'}</td>")
            out.append(f"<tr>{''.join(cells)}</tr>")
        out.append("</table>")
        for field in _FIELDS:
            text = getattr(result, field).rstrip()  # tokens never end in white space, so spans stay valid
            if text:
                spans = [(s, t, v) for f, s, t, v in e.spans if f == field]
                out.append(f'<div class="text {field}">{_highlight(text, spans, scale)}</div>')
        out.append("</section>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"
