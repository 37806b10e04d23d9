"""Country mentions: a multilingual gazetteer that finds the countries a text names.

``data/gazetteer.tsv`` lists, for each ISO 3166 alpha-2 code, the words by which English, Spanish,
Portuguese and French news name the country: official and short names, abbreviations ("EE.UU.",
"EUA"), demonyms in their inflected forms ("venezolana", "russes"), capitals and seats of
government ("Moscú", "Kremlin"). ``data/places.tsv`` adds what places a story in a country without
naming it: states and provinces, large cities, parties, institutions, leagues and currencies
("Jalisco", "Bundestag", "Liga MX", "naira"); ``data/leaders.tsv`` the heads of state and government
and other public figures whose name places a story ("Maduro", "Lavrov"). ``data/regions.csv`` maps
each code to its newsclf region.

Matching works on the same normalised tokens as the classifier, with accents removed on both sides
("Moscu" finds Moscow as "Moscú" does), and takes the longest term at each position ("Nueva
Zelanda" before "Zelanda"). A term listed for two codes is ambiguous and never matches.

>>> find_countries("El canciller ruso reafirma en Moscú el respaldo a Caracas y critica a EE.UU.")
('RU', 'VE', 'US')
>>> find_countries("Lavrov backs Maduro")  # leaders place a story too
('RU', 'VE')
>>> region_of("VE")
'latin_america'
"""

from __future__ import annotations

import csv
import io
import unicodedata
from functools import lru_cache
from importlib import resources

from .text import normalize, tokenize

__all__ = ["find_countries", "gazetteer", "mention_spans", "mentions", "region_of", "regions"]

_MAX_TERM_TOKENS = 5


def _fold(text: str) -> str:
    """Normalise and strip accents (for matching only)."""
    decomposed = unicodedata.normalize("NFD", normalize(text))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _terms_key(term: str) -> tuple[str, ...]:
    return tuple(tokenize(_fold(term)))


@lru_cache(maxsize=None)
def regions() -> dict[str, str]:
    """ISO alpha-2 code -> newsclf region, from the shipped ``regions.csv``."""
    text = resources.files("newsclf").joinpath("data", "regions.csv").read_text("utf-8")
    return {row["iso2"]: row["region"] for row in csv.DictReader(io.StringIO(text))}


def region_of(code: str) -> str | None:
    """The newsclf region of an ISO alpha-2 code, or ``None`` for an unknown code."""
    return regions().get(code.upper())


_SOURCES = ("gazetteer.tsv", "places.tsv", "leaders.tsv")


@lru_cache(maxsize=None)
def gazetteer() -> dict[tuple[str, ...], str]:
    """Folded token sequence -> ISO code, from every source; terms listed for two codes are removed."""
    known = regions()
    table: dict[tuple[str, ...], str] = {}
    ambiguous: set[tuple[str, ...]] = set()
    for source in _SOURCES:
        resource = resources.files("newsclf").joinpath("data", source)
        if not resource.is_file():
            continue
        for number, line in enumerate(resource.read_text("utf-8").splitlines(), 1):
            fields = line.split("\t")
            if not line.strip() or line.startswith("#") or fields[0] == "iso2":
                continue
            code, term = fields[0].strip().upper(), fields[-1].strip()
            if code not in known or len(fields) != 4:
                raise ValueError(f"{source}:{number}: expected 'iso2<TAB>lang<TAB>kind<TAB>term' with a known code")
            key = _terms_key(term)
            if not key or len(key) > _MAX_TERM_TOKENS:
                continue
            if table.get(key, code) != code:
                ambiguous.add(key)
            table[key] = code
    for key in ambiguous:
        del table[key]
    return table


_FOLD_CACHE: dict[str, str] = {}


def _fold_token(token: str) -> str:
    folded = _FOLD_CACHE.get(token)
    if folded is None:
        if len(_FOLD_CACHE) > 500_000:
            _FOLD_CACHE.clear()
        folded = _FOLD_CACHE[token] = "".join(
            ch for ch in unicodedata.normalize("NFD", token) if not unicodedata.combining(ch)
        )
    return folded


@lru_cache(maxsize=None)
def _starts() -> dict[str, int]:
    """First token of every term -> the longest term (in tokens) that starts with it."""
    longest: dict[str, int] = {}
    for key in gazetteer():
        longest[key[0]] = max(longest.get(key[0], 0), len(key))
    return longest


def mention_spans(tokens: list[str]) -> list[tuple[str, int, int]]:
    """``(code, first, last)`` of every country mention in normalised ``tokens`` (token indices, inclusive).

    Mentions are found left to right, the longest term first, and do not overlap.
    """
    starts = _starts()
    # Most tokens are ASCII, which folding leaves as they are: one look-up is enough for them.
    candidates = [
        i for i, token in enumerate(tokens) if token in starts or (not token.isascii() and _fold_token(token) in starts)
    ]
    if not candidates:
        return []
    table = gazetteer()
    found: list[tuple[str, int, int]] = []
    end = 0  # tokens before ``end`` belong to a mention already found
    for i in candidates:
        if i < end:
            continue
        longest = starts.get(tokens[i]) or starts[_fold_token(tokens[i])]
        folded = [t if t.isascii() else _fold_token(t) for t in tokens[i : i + longest]]  # ASCII folds to itself
        for n in range(len(folded), 0, -1):
            code = table.get(tuple(folded[:n]))
            if code is not None:
                found.append((code, i, i + n - 1))
                end = i + n
                break
    return found


def mentions(tokens: list[str]) -> list[str]:
    """ISO codes of every country mention in normalised ``tokens``, in order, repeats kept."""
    return [code for code, _, _ in mention_spans(tokens)]


def find_countries(text: str) -> tuple[str, ...]:
    """ISO alpha-2 codes of the countries ``text`` names, in order of first mention."""
    return tuple(dict.fromkeys(mentions(tokenize(normalize(text)))))
