"""The numpy n-gram counts agree with the n-gram strings, on any tokens and any range."""

import random
from collections import Counter

import numpy as np
import pytest

from newsclf.chargrams import GramIndex, char_ngrams, gram_counts

# Letters of the four languages, a digit and joiners, a letter outside the Basic Multilingual Plane
# (𝔸, 4 bytes in UTF-16) and a lone surrogate, which a caller's string may hold.
ALPHABET = "abcñéçãœ9'-.%" + "\U0001d538" + "\ud800"


def _random_tokens(rng: random.Random, n: int) -> list[str]:
    return ["".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 9))) for _ in range(n)]


def _expected(tokens, lo, hi):
    return [Counter(char_ngrams(t, lo, hi)) for t in tokens]


def _rows(matrix, grams):
    matrix = matrix.tocsr()
    return [
        Counter({grams[j]: v for j, v in zip(matrix.indices[a:b].tolist(), matrix.data[a:b].tolist())})
        for a, b in zip(matrix.indptr[:-1], matrix.indptr[1:])
    ]


@pytest.mark.parametrize("lo,hi", [(1, 1), (2, 5), (3, 5), (1, 10), (4, 4)])
def test_gram_counts_match_the_strings(lo, hi):
    rng = random.Random(lo * 100 + hi)
    tokens = list(dict.fromkeys(_random_tokens(rng, 300)))
    counts, grams = gram_counts(tokens, lo, hi)
    assert len(grams) == len(set(grams)) == counts.shape[1]
    assert counts.shape[0] == len(tokens)
    assert _rows(counts, grams) == _expected(tokens, lo, hi)


@pytest.mark.parametrize("lo,hi", [(2, 5), (3, 5), (1, 10)])
def test_index_counts_only_vocabulary_grams(lo, hi):
    rng = random.Random(hi)
    _, seen = gram_counts(_random_tokens(rng, 200), lo, hi)
    vocabulary = sorted(rng.sample(seen, len(seen) // 2))  # half of the n-grams, in another order
    index = GramIndex(vocabulary, lo, hi)
    tokens = _random_tokens(rng, 300) + ["zzz", "\U0001d538"]  # 'z' is outside the vocabulary's alphabet
    expected = [Counter({g: c for g, c in row.items() if g in set(vocabulary)}) for row in _expected(tokens, lo, hi)]
    counts = index.counts(tokens)
    assert counts.shape == (len(tokens), len(vocabulary))
    assert _rows(counts, vocabulary) == expected


def test_empty_inputs():
    counts, grams = gram_counts([], 2, 5)
    assert counts.shape == (0, 0) and grams == []
    assert GramIndex([], 2, 5).counts(["war"]).shape == (1, 0)
    assert GramIndex([" w"], 2, 5).counts([]).shape == (0, 1)


def test_counts_are_canonical_float64():
    counts = GramIndex([" w", "ww"], 2, 2).counts(["www", "a"])
    assert counts.dtype == np.float64 and counts.has_canonical_format
    assert counts.toarray().tolist() == [[1.0, 2.0], [0.0, 0.0]]
