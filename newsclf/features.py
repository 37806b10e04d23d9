"""The feature builder: TF-IDF blocks over word n-grams of stems and character n-grams of words,
and a block of country mentions.

A document is analysed once (language, tokens, stems, country mentions; see :mod:`newsclf.text`
and :mod:`newsclf.countries`) and gives three blocks of features:

- **words**: n-grams (``word_ngram_range``) of stems, built within the title and within the body;
- **chars**: character n-grams (``char_ngram_range``) of each token padded with spaces, which catch
  inflections, compounds and spellings that the stemmer misses and give unseen words a meaning;
- **countries**: the countries the gazetteer finds and their regions (``country_weight``).

Title counts are multiplied by ``title_weight`` before weighting, so a word in the headline counts
more than the same word in the body. Each block is then tf-idf weighted (``sublinear_tf`` replaces a
count ``c >= 1`` by ``1 + log(c)``; idf is smoothed as in scikit-learn) and L2-normalised on its own,
so neither block drowns the other. Vocabularies keep terms seen in at least ``min_df`` documents,
at most ``max_word_features`` / ``max_char_features`` of them (most frequent first).

Character n-grams are not generated document by document: a document is a sparse vector of token
counts, the distinct tokens of a batch map to their n-gram counts in one pass with numpy
(:mod:`newsclf.chargrams`), and one sparse product gives the block. This keeps fitting and
transforming fast on long documents.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp
from joblib import Parallel, delayed, effective_n_jobs
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from .chargrams import GramIndex, gram_counts
from .countries import mentions, region_of, regions
from .document import Document
from .text import detect_language, filter_and_stem, normalize, tokenize

__all__ = ["BatchInfo", "Featurizer"]

_FLOAT = np.float64

#: The longest word or character n-gram a model may ask for (a bound on work per document).
MAX_NGRAM = 10


class _Analysed:
    """Per-document analysis of a batch: language, country mentions, title/body tokens and stems."""

    __slots__ = ("langs", "title_tokens", "body_tokens", "title_stems", "body_stems", "title_countries", "body_countries")

    def __init__(self, docs: Sequence[Document], stop_words: bool, stemming: bool):
        self.langs, self.title_tokens, self.body_tokens, self.title_stems, self.body_stems = [], [], [], [], []
        self.title_countries, self.body_countries = [], []
        for doc in docs:
            title, body = normalize(doc.title), normalize(doc.body)
            title_toks, body_toks = tokenize(title), tokenize(body)
            self.title_countries.append(mentions(title_toks))
            self.body_countries.append(mentions(body_toks))
            lang = detect_language(f"{title}\n{body}", title_toks + body_toks)
            title_toks, title_stems = filter_and_stem(title_toks, lang, stop_words, stemming)
            body_toks, body_stems = filter_and_stem(body_toks, lang, stop_words, stemming)
            self.langs.append(lang)
            self.title_tokens.append(title_toks)
            self.body_tokens.append(body_toks)
            self.title_stems.append(title_stems)
            self.body_stems.append(body_stems)

    @classmethod
    def concat(cls, parts: Sequence[_Analysed]) -> _Analysed:
        """One analysis of the documents of ``parts``, in order."""
        whole = cls([], False, False)
        for part in parts:
            for name in cls.__slots__:
                getattr(whole, name).extend(getattr(part, name))
        return whole

    @property
    def countries(self) -> list[tuple[str, ...]]:
        """Distinct countries per document, in order of first mention (title first)."""
        return [tuple(dict.fromkeys(t + b)) for t, b in zip(self.title_countries, self.body_countries)]


# Below this many documents a batch is analysed in this process: handing it to other processes
# (pickling the documents and their tokens both ways) would cost more than it saves.
_PARALLEL_MIN_DOCS = 1000


def _analyse(docs: Sequence[Document], stop_words: bool, stemming: bool, n_jobs) -> _Analysed:
    """Analyse ``docs``, in ``n_jobs`` processes (joblib semantics) when the batch is large.

    The analysis of a document does not depend on the others, so the result is the same whatever
    ``n_jobs`` is.
    """
    workers = min(effective_n_jobs(n_jobs), -(-len(docs) // _PARALLEL_MIN_DOCS))
    if workers <= 1:
        return _Analysed(docs, stop_words, stemming)
    size = -(-len(docs) // workers)
    parts = Parallel(n_jobs=workers)(
        delayed(_Analysed)(docs[start : start + size], stop_words, stemming) for start in range(0, len(docs), size)
    )
    return _Analysed.concat(parts)


class BatchInfo(NamedTuple):
    """What transforming a batch learned about each document besides its features."""

    languages: list[str]
    countries: list[tuple[str, ...]]


def _ngrams(stems: list[str], lo: int, hi: int):
    for n in range(lo, hi + 1):
        if n == 1:
            yield from stems
        else:
            for i in range(len(stems) - n + 1):
                yield " ".join(stems[i : i + n])


def _count_matrix(title_seqs, body_seqs, title_weight: float, vocab: dict, grow: bool):
    """Sparse matrix of title-weighted counts; ``vocab`` grows when ``grow`` is true.

    Each occurrence becomes one entry (the title weight or 1) and scipy sums the repeats, which is
    much faster than counting in Python.
    """
    get, setdefault = vocab.get, vocab.setdefault
    indptr, ids, lengths = [0], [], []
    for title, body in zip(title_seqs, body_seqs):
        for seq in (title, body):
            if grow:
                found = [setdefault(term, len(vocab)) for term in seq]
            else:
                found = [j for j in map(get, seq) if j is not None]
            ids.extend(found)
            lengths.append(len(found))
        indptr.append(len(ids))
    data = np.repeat(np.tile(np.array([title_weight, 1.0], dtype=_FLOAT), len(indptr) - 1), lengths)
    counts = sp.csr_matrix(
        (data, np.asarray(ids, dtype=np.int64), np.asarray(indptr, dtype=np.int64)), shape=(len(indptr) - 1, len(vocab))
    )
    counts.sum_duplicates()
    return counts


def _select(counts: sp.csr_matrix, terms: list[str], min_df: int, max_features: int | None):
    """Keep columns with df >= min_df, the ``max_features`` most frequent; return (kept terms, df, columns).

    Among terms as frequent as the last one kept, the first in alphabetical order are kept, so the
    choice is deterministic.
    """
    df = np.bincount(counts.indices, minlength=counts.shape[1])
    keep = np.flatnonzero(df >= min_df)
    if max_features is not None and len(keep) > max_features:
        kept_df = df[keep]
        cut = np.partition(kept_df, len(keep) - max_features)[len(keep) - max_features]
        above = keep[kept_df > cut]
        tied = sorted(keep[kept_df == cut].tolist(), key=terms.__getitem__)[: max_features - len(above)]
        keep = np.concatenate([above, np.asarray(tied, dtype=np.int64)])
    keep = np.asarray(sorted(keep.tolist(), key=terms.__getitem__), dtype=np.int64)
    return [terms[j] for j in keep], df[keep], keep


def _country_terms() -> list[str]:
    names = sorted(set(regions().values()))
    return [f"k:{code}" for code in sorted(regions())] + [f"r:{r}" for r in names] + [f"z:{r}" for r in names]


def _tfidf(counts: sp.csr_matrix, idf: np.ndarray, sublinear: bool) -> sp.csr_matrix:
    counts = counts.tocsr(copy=True)
    counts.sum_duplicates()
    if sublinear:
        data = counts.data
        big = data >= 1.0
        data[big] = 1.0 + np.log(data[big])
    # Scaling the stored values in place is what multiplying by diagonal matrices computes (one
    # product per value, the same order), without building a features x features matrix per call.
    counts.data *= idf[counts.indices]
    norms = np.sqrt(np.asarray(counts.multiply(counts).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    counts.data *= np.repeat(1.0 / norms, np.diff(counts.indptr))
    return counts


class Featurizer(TransformerMixin, BaseEstimator):
    """Turn :class:`~newsclf.document.Document` objects into a sparse TF-IDF matrix.

    Parameters
    ----------
    word_ngram_range : (int, int)
        Smallest and largest n of the word (stem) n-grams.
    char_ngram_range : (int, int) or None
        Smallest and largest n of the character n-grams; ``None`` turns the block off.
    title_weight : float
        Factor applied to title counts (body counts weigh 1).
    sublinear_tf : bool
        Replace a weighted count ``c >= 1`` by ``1 + log(c)``.
    min_df : int
        Keep terms found in at least this many training documents.
    max_word_features, max_char_features : int or None
        Upper bounds on each vocabulary (most frequent terms kept).
    stop_words : bool
        Drop the shipped function words of the document's language before building n-grams.
    stemming : bool
        Use Snowball stems for word n-grams (otherwise the normalised tokens).
    country_weight : float
        Scale of the country block (0 turns it off): the countries the gazetteer finds
        (``k:VE``) and their regions (``r:latin_america``), title mentions weighted like title words,
        and the region of the country named last in the title (``z:latin_america``). Region
        features let the classifier place countries it never saw in training.
    n_jobs : int or None
        Processes that analyse documents (normalise, tokenise, guess the language, find countries,
        stem) when fitting and, unless :meth:`transform_with_info` is given its own, transforming
        batches of 1,000 documents or more; joblib semantics (``None``: one, ``-1``: all cores).
        The features do not depend on it.
    """

    def __init__(
        self,
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
        n_jobs=None,
    ):
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
        self.n_jobs = n_jobs

    # -- validation ---------------------------------------------------------------------------
    def _check_params(self):
        def check_range(name, value, allow_none):
            if value is None and allow_none:
                return
            ok = (
                isinstance(value, (tuple, list))
                and len(value) == 2
                and all(isinstance(v, (int, np.integer)) for v in value)
                and 1 <= value[0] <= value[1] <= MAX_NGRAM
            )
            if not ok:
                raise ValueError(
                    f"{name} must be a pair (lo, hi) of integers with 1 <= lo <= hi <= {MAX_NGRAM} (got {value!r})"
                )

        check_range("word_ngram_range", self.word_ngram_range, False)
        check_range("char_ngram_range", self.char_ngram_range, True)
        if not isinstance(self.title_weight, (int, float)) or not self.title_weight > 0:
            raise ValueError(f"title_weight must be a positive number (got {self.title_weight!r})")
        if not isinstance(self.country_weight, (int, float)) or self.country_weight < 0:
            raise ValueError(f"country_weight must be a number >= 0 (got {self.country_weight!r})")
        if not isinstance(self.min_df, (int, np.integer)) or self.min_df < 1:
            raise ValueError(f"min_df must be an integer >= 1 (got {self.min_df!r})")
        for name in ("max_word_features", "max_char_features"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, (int, np.integer)) or value < 1):
                raise ValueError(f"{name} must be a positive integer or None (got {value!r})")

    # -- fitting ------------------------------------------------------------------------------
    def fit(self, docs, y=None):
        self.fit_transform(docs)
        return self

    def fit_transform(self, docs, y=None):
        self._check_params()
        docs = list(docs)
        if not docs:
            raise ValueError("cannot fit features on an empty list of documents")
        batch = _analyse(docs, self.stop_words, self.stemming, self.n_jobs)
        lo, hi = self.word_ngram_range
        vocab: dict[str, int] = {}
        counts = _count_matrix(
            (list(_ngrams(s, lo, hi)) for s in batch.title_stems),
            (list(_ngrams(s, lo, hi)) for s in batch.body_stems),
            self.title_weight, vocab, grow=True,
        )
        terms, df, cols = _select(counts, list(vocab), self.min_df, self.max_word_features)
        n = len(docs)
        self.word_terms_ = terms
        self.word_idf_ = np.log((1.0 + n) / (1.0 + df)) + 1.0
        blocks = [_tfidf(counts[:, cols], self.word_idf_, self.sublinear_tf)]
        if self.char_ngram_range is not None:
            token_counts, token_vocab = self._token_counts(batch, grow=True)
            token_grams, grams = gram_counts(list(token_vocab), *self.char_ngram_range)
            char_counts = sp.csr_matrix(token_counts @ token_grams)
            presence = sp.csr_matrix(((token_counts > 0).astype(_FLOAT)) @ (token_grams > 0).astype(_FLOAT))
            presence.eliminate_zeros()
            terms, df, cols = _select(presence, grams, self.min_df, self.max_char_features)
            self.char_terms_ = terms
            self.char_idf_ = np.log((1.0 + n) / (1.0 + df)) + 1.0
            blocks.append(_tfidf(char_counts[:, cols], self.char_idf_, self.sublinear_tf))
        else:
            self.char_terms_ = []
            self.char_idf_ = np.zeros(0)
        self.country_terms_ = _country_terms() if self.country_weight else []
        self._build_lookups()
        if self.country_terms_:
            blocks.append(self._country_block(batch))
        return sp.hstack(blocks, format="csr")

    def _country_block(self, batch: _Analysed) -> sp.csr_matrix:
        def terms(codes, last=False):
            out = [term for code in codes for term in (f"k:{code}", f"r:{region_of(code)}")]
            if last and codes:
                # The country named last in a headline is often the one acted upon ("Moscow backs
                # Maduro"), which the taxonomy's region rule points to.
                out.append(f"z:{region_of(codes[-1])}")
            return out

        counts = _count_matrix(
            (terms(c, last=True) for c in batch.title_countries), (terms(c) for c in batch.body_countries),
            self.title_weight, self._country_index, grow=False,
        )
        return _tfidf(counts, np.ones(len(self.country_terms_)), self.sublinear_tf) * float(self.country_weight)

    def _build_lookups(self):
        self._country_index = {t: i for i, t in enumerate(self.country_terms_)}
        self._word_index = {t: i for i, t in enumerate(self.word_terms_)}
        self._gram_index: GramIndex | None = None  # built by _char_grams() when first needed

    def _char_grams(self) -> GramIndex:
        """The n-gram index of the character vocabulary, built on first use: training never needs it."""
        if self._gram_index is None:
            self._gram_index = GramIndex(self.char_terms_, *self.char_ngram_range)
        return self._gram_index

    def _token_counts(self, batch: _Analysed, grow: bool, token_vocab: dict | None = None):
        token_vocab = {} if token_vocab is None else token_vocab
        counts = _count_matrix(batch.title_tokens, batch.body_tokens, self.title_weight, token_vocab, grow)
        return counts, token_vocab

    # -- transforming -------------------------------------------------------------------------
    @property
    def n_features_(self) -> int:
        return len(self.word_terms_) + len(self.char_terms_) + len(self.country_terms_)

    def feature_names(self) -> list[str]:
        """Column names: ``w:<stem n-gram>``, ``c:<character n-gram>``, then ``k:<country>``/``r:<region>``."""
        check_is_fitted(self, "word_terms_")
        return [f"w:{t}" for t in self.word_terms_] + [f"c:{t}" for t in self.char_terms_] + list(self.country_terms_)

    def transform(self, docs):
        return self.transform_with_info(docs)[0]

    def transform_with_info(self, docs, n_jobs=None) -> tuple[sp.csr_matrix, BatchInfo]:
        """The feature matrix of ``docs`` and, per document, its language and the countries it names.

        ``n_jobs`` (default: the ``n_jobs`` parameter) sets the processes that analyse the documents.
        """
        check_is_fitted(self, "word_terms_")
        if not hasattr(self, "_word_index"):
            self._build_lookups()
        docs = list(docs)
        batch = _analyse(docs, self.stop_words, self.stemming, self.n_jobs if n_jobs is None else n_jobs)
        lo, hi = self.word_ngram_range
        counts = _count_matrix(
            (_ngrams(s, lo, hi) for s in batch.title_stems),
            (_ngrams(s, lo, hi) for s in batch.body_stems),
            self.title_weight, self._word_index, grow=False,
        )
        blocks = [_tfidf(counts, self.word_idf_, self.sublinear_tf)]
        if self.char_ngram_range is not None:
            token_vocab: dict[str, int] = {}
            token_counts, _ = self._token_counts(batch, grow=True, token_vocab=token_vocab)
            token_grams = self._char_grams().counts(list(token_vocab))
            blocks.append(_tfidf(sp.csr_matrix(token_counts @ token_grams), self.char_idf_, self.sublinear_tf))
        if self.country_terms_:
            blocks.append(self._country_block(batch))
        return sp.hstack(blocks, format="csr"), BatchInfo(batch.langs, batch.countries)
