"""Character n-grams of a batch of tokens, counted with numpy instead of one string per n-gram.

The character block of :mod:`newsclf.features` needs, for each distinct token of a batch, the
counts of the character n-grams of the token padded with a space on each side (``" war "`` gives
``" w"``, ``"wa"``, ... for n = 2); :func:`char_ngrams` defines them as strings. Building one
Python string and one dictionary look-up per n-gram made them a large share of the time to
transform a batch. Here the padded tokens are laid end to end as one array of code points and
every n-gram gets an exact integer id, one length at a time: the id of an n-gram is found from the
id of its first ``n - 1`` characters and the id of its last character. No hashing, so two
different n-grams never share an id, whatever the alphabet or ``n``.

- :func:`gram_counts` (fitting): the token x n-gram count matrix of a batch and the n-grams.
- :class:`GramIndex` (transforming): built once from a vocabulary of n-grams; gives the token x
  vocabulary count matrix of a batch, dropping n-grams outside the vocabulary.

Both give the same counts as generating the n-gram strings (``tests/test_chargrams.py`` compares
them with :func:`char_ngrams`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

__all__ = ["GramIndex", "char_ngrams", "gram_counts"]


def char_ngrams(token: str, lo: int, hi: int) -> list[str]:
    """The character n-grams (``lo <= n <= hi``) of ``token`` padded with a space on each side.

    >>> char_ngrams("war", 2, 3)
    [' w', 'wa', 'ar', 'r ', ' wa', 'war', 'ar ']
    """
    padded = f" {token} "
    return [padded[i : i + n] for n in range(lo, hi + 1) for i in range(len(padded) - n + 1)]


def _code_points(text: str) -> np.ndarray:
    # One 4-byte unit per code point, as ``len`` counts them; "surrogatepass" keeps a lone surrogate
    # (which cannot be in a token, but a caller may pass any string) from raising.
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def _lay_out(strings: Sequence[str], pad: bool):
    """Strings end to end (padded with spaces if ``pad``).

    Returns the joined text, its code points, the index of the string each position belongs to,
    the characters left in that string from each position (itself included), and where each
    string starts.
    """
    joined = "".join(f" {s} " for s in strings) if pad else "".join(strings)
    codes = _code_points(joined)
    lengths = np.fromiter(map(len, strings), dtype=np.int64, count=len(strings)) + (2 if pad else 0)
    ends = np.cumsum(lengths)
    owner = np.repeat(np.arange(len(strings), dtype=np.int64), lengths)
    room = np.repeat(ends, lengths) - np.arange(len(codes), dtype=np.int64)
    return joined, codes, owner, room, ends - lengths


def _counts(rows: list[np.ndarray], cols: list[np.ndarray], shape: tuple[int, int]) -> sp.csr_matrix:
    row = np.concatenate(rows) if rows else np.zeros(0, np.int64)
    col = np.concatenate(cols) if cols else np.zeros(0, np.int64)
    matrix = sp.csr_matrix((np.ones(len(row)), (row, col)), shape=shape)
    matrix.sum_duplicates()
    return matrix


def gram_counts(tokens: Sequence[str], lo: int, hi: int) -> tuple[sp.csr_matrix, list[str]]:
    """The ``len(tokens) x len(grams)`` matrix of n-gram counts (``lo <= n <= hi``) and the n-grams.

    The n-grams are those found in ``tokens``, each once, in no particular order.

    >>> counts, grams = gram_counts(["aaa"], 2, 2)
    >>> sorted(zip(grams, counts.toarray()[0].tolist()))
    [(' a', 1.0), ('a ', 1.0), ('aa', 2.0)]
    """
    joined, codes, owner, room, _ = _lay_out(tokens, pad=True)
    alphabet, char_ids = np.unique(codes, return_inverse=True)
    ids = char_ids.astype(np.int64)
    rows, cols, grams = [], [], []
    for n in range(1, hi + 1):
        at = np.flatnonzero(room >= n)
        if n > 1:
            keys = ids[at] * len(alphabet) + char_ids[at + n - 1]
            _, first, level = np.unique(keys, return_index=True, return_inverse=True)
            ids = np.full(len(codes), -1, dtype=np.int64)
            ids[at] = level
        else:
            _, first = np.unique(ids, return_index=True)
        if n >= lo:
            starts = at[first] if n > 1 else first
            rows.append(owner[at])
            cols.append(ids[at] + len(grams))
            grams.extend(joined[p : p + n] for p in starts.tolist())
    return _counts(rows, cols, (len(tokens), len(grams))), grams


class GramIndex:
    """Maps tokens to counts over a fixed vocabulary of character n-grams (``lo <= len <= hi``).

    >>> index = GramIndex([" w", "wa", "zz"], 2, 2)
    >>> index.counts(["war", "wa"]).toarray()
    array([[1., 1., 0.],
           [1., 1., 0.]])
    """

    def __init__(self, vocabulary: Sequence[str], lo: int, hi: int):
        self.lo, self.hi, self.size = lo, hi, len(vocabulary)
        _, codes, _, room, starts = _lay_out(vocabulary, pad=False)
        self._alphabet = np.unique(codes)
        lengths = room[starts] if len(starts) else np.zeros(0, np.int64)
        # Level n holds, sorted, the keys of every prefix of n characters of a vocabulary n-gram;
        # a prefix's id is its position there. _columns[n] maps the ids of whole n-grams to columns.
        self._levels: list[np.ndarray] = [np.zeros(0, np.int64)]
        self._columns: list[np.ndarray] = [np.zeros(0, np.int64)]
        ids = np.searchsorted(self._alphabet, codes).astype(np.int64)
        prefix = np.zeros(len(vocabulary), dtype=np.int64)
        for n in range(1, hi + 1):
            long_enough = np.flatnonzero(lengths >= n)
            chars = ids[starts[long_enough] + n - 1]
            keys = chars if n == 1 else prefix[long_enough] * len(self._alphabet) + chars
            level = np.unique(keys)
            prefix[long_enough] = np.searchsorted(level, keys)
            columns = np.full(len(level), -1, dtype=np.int64)
            whole = np.flatnonzero(lengths[long_enough] == n)
            columns[prefix[long_enough[whole]]] = long_enough[whole]
            self._levels.append(level)
            self._columns.append(columns)

    def counts(self, tokens: Sequence[str]) -> sp.csr_matrix:
        """The ``len(tokens) x len(vocabulary)`` matrix of each token's vocabulary n-gram counts."""
        _, codes, owner, room, _ = _lay_out(tokens, pad=True)
        width = len(self._alphabet)
        chars = np.searchsorted(self._alphabet, codes).astype(np.int64)
        known = chars < width
        known[known] = self._alphabet[chars[known]] == codes[known]
        chars[~known] = -1
        ids = chars
        rows, cols = [], []
        for n in range(1, self.hi + 1):
            level = self._levels[n]
            at = np.flatnonzero(room >= n)
            if n == 1:
                keys = chars[at]
                alive = keys >= 0
            else:
                prev, last = ids[at], chars[at + n - 1]
                alive = (prev >= 0) & (last >= 0)
                keys = prev * width + last
            at, keys = at[alive], keys[alive]
            found = np.searchsorted(level, keys)
            hit = found < len(level)
            hit[hit] = level[found[hit]] == keys[hit]
            ids = np.full(len(codes), -1, dtype=np.int64)
            ids[at[hit]] = found[hit]
            if n >= self.lo:
                columns = self._columns[n][found[hit]]
                whole = columns >= 0
                rows.append(owner[at[hit][whole]])
                cols.append(columns[whole])
        return _counts(rows, cols, (len(tokens), self.size))
