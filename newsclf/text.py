"""Text processing: normalise, guess the language, tokenise, stem.

Everything here is a pure, deterministic function of its input, so a fitted model stays free of
hidden state and two runs give the same features. The pipeline for one document is::

    normalize  ->  detect_language  ->  tokenize  ->  drop stop words  ->  stem

``normalize`` applies Unicode NFKC, folds case and maps typographic apostrophes, hyphens and
invisible characters to plain forms. It keeps at most :data:`MAX_COMBINING_RUN` combining marks
in a row (as Unicode's stream-safe text format does): NFKC sorts each run of marks with an
insertion sort, so a run of thousands of stacked marks ("Zalgo" text) would take quadratic time.
``tokenize`` splits the normalised text into words, numbers and dotted acronyms ("EE.UU.",
"U.S."), splits French/Portuguese elisions ("l'armée" -> "l", "armée"), drops the English
possessive ("Russia's" -> "russia") and splits hyphenated compounds into their parts; punctuation
such as ¿ ¡ « » never ends up inside a token. A token is at most :data:`MAX_TOKEN_CHARS`
characters (longer runs of letters, e.g. unspaced scripts or junk, are cut), which bounds the work
and cache memory per token whatever the input.

``detect_language`` scores each supported language by the function words of the document (a word
shared by several languages counts for each a share inversely proportional to how many use it) and
by a few spelling cues (ñ and ¿ for Spanish, ã/õ and -ção for Portuguese, è/ù/œ for French, -ing for
English). It needs no model, costs one pass over the tokens, and is measured on real news by
``scripts/text_report.py``.

Stemming uses nltk's Snowball stemmers (no data download needed) with a per-language cache, so each
distinct token is stemmed once per process.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from importlib import resources
from typing import NamedTuple

from nltk.stem.snowball import SnowballStemmer

__all__ = [
    "LANGUAGES",
    "LANGUAGE_SAMPLE_CHARS",
    "MAX_COMBINING_RUN",
    "MAX_TOKEN_CHARS",
    "Analysis",
    "analyze",
    "detect_language",
    "filter_and_stem",
    "normalize",
    "stem",
    "stop_words",
    "tokenize",
]

#: Languages with a stemmer, stop words and a detector profile: ISO 639-1 code -> Snowball name.
LANGUAGES = {"en": "english", "es": "spanish", "pt": "portuguese", "fr": "french"}

_TRANSLATE = str.maketrans(
    {
        "\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u0060": "'", "\u00b4": "'", "\u2032": "'",
        "\u2010": "-", "\u2011": "-", "\u00ad": None,  # hyphen, non-breaking hyphen, soft hyphen
        "\u200b": None, "\u200c": None, "\u200d": None, "\u2060": None, "\ufeff": None,
        "\u200e": None, "\u200f": None,  # left-to-right / right-to-left marks
    }
)
# The characters _TRANSLATE changes: most text has none, and finding that out costs far less than
# str.translate's look-up of every character.
_TRANSLATED = re.compile("[" + "".join(re.escape(chr(code)) for code in _TRANSLATE) + "]")


def _translate(text: str) -> str:
    return text.translate(_TRANSLATE) if _TRANSLATED.search(text) else text


# Dotted acronyms first ("ee.uu.", "u.s."), then numbers ("2,4%", "1.500"), then words with inner
# apostrophes or hyphens. [^\W\d_] is "a letter" in any script.
_TOKEN_RE = re.compile(
    r"(?:[^\W\d_]{1,3}\.){2,}"
    r"|\d+(?:[.,:]\d+)*%?"
    r"|[^\W\d_]+(?:['-][^\W\d_]+)*"
)
#: Longest token kept (longer ones are cut); the longest real words in the project's corpora are
#: under 80 characters.
MAX_TOKEN_CHARS = 100

_ELISIONS = frozenset(
    "l d j m n s t c qu jusqu lorsqu puisqu quoiqu presqu".split()  # French, and d' in Portuguese
)


#: Combining marks kept in a row (the limit of Unicode's stream-safe text format, UAX #15).
MAX_COMBINING_RUN = 30


@lru_cache(maxsize=None)
def _combining_runs() -> tuple[re.Pattern, re.Pattern]:
    """Patterns matching more than MAX_COMBINING_RUN characters that normalise to combining marks.

    Built on first use (about 30 ms): every code point with a non-zero canonical combining class,
    or whose decomposition starts with one (none exist above U+1FFFF). The first pattern knows only
    the marks below U+10000, which the regex engine tests in constant time; the second knows all,
    for the rare text with characters above U+FFFF.
    """
    marks = [
        code
        for code in range(0x20000)
        if unicodedata.combining(chr(code))
        or (unicodedata.decomposition(chr(code)) and unicodedata.combining(unicodedata.normalize("NFKD", chr(code))[0]))
    ]

    def pattern(codes: list[int]) -> re.Pattern:
        ranges, start = [], codes[0]
        for prev, code in zip(codes, codes[1:] + [None]):
            if code != prev + 1:
                ranges.append(re.escape(chr(start)) + ("" if prev == start else "-" + re.escape(chr(prev))))
                start = code
        charset = f"[{''.join(ranges)}]"
        return re.compile(f"({charset}{{{MAX_COMBINING_RUN}}}){charset}+")

    return pattern([c for c in marks if c < 0x10000]), pattern(marks)


def _cut_combining_runs(text: str) -> str:
    if text.isascii():  # constant time in CPython
        return text
    basic, every = _combining_runs()
    return (every if max(text) > "\uffff" else basic).sub(r"\1", text)


def normalize(text: str) -> str:
    """Return ``text`` in NFKC form, case-folded, with plain apostrophes and hyphens.

    Idempotent: ``normalize(normalize(s)) == normalize(s)`` for every string. Time is linear in
    the length of ``text``: runs of more than :data:`MAX_COMBINING_RUN` combining marks are cut.

    >>> normalize("L’ARMÉE ﬁnal")
    "l'armée final"
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be str (got {type(text).__name__})")
    text = _cut_combining_runs(text)  # before NFKC, whose mark sorting is quadratic in a run's length
    folded = _translate(unicodedata.normalize("NFKC", text)).casefold()
    # Case folding can produce sequences that NFKC composes again; one more pass settles them.
    # NFKC can also lengthen a run of marks (one character may decompose into several): cut again.
    return _cut_combining_runs(_translate(unicodedata.normalize("NFKC", folded)))


def tokenize(normalized: str) -> list[str]:
    """Split normalised text into tokens.

    >>> tokenize(normalize("¿Qué dijo EE.UU. de l'armée? Russia's 2,4% ruso-venezolana"))
    ['qué', 'dijo', 'ee.uu', 'de', 'l', 'armée', 'russia', '2,4%', 'ruso', 'venezolana']
    """
    found = _TOKEN_RE.findall(normalized)
    if found and max(map(len, found)) > MAX_TOKEN_CHARS:
        found = [t[:MAX_TOKEN_CHARS].rstrip("'-") for t in found]  # a cut must not leave a dangling joiner
    if "." not in normalized and "'" not in normalized and "-" not in normalized:
        return found  # nothing to trim or split: the common case for headlines
    tokens: list[str] = []
    append = tokens.append
    for token in found:
        if token[-1] == ".":
            append(token[:-1])
        elif "'" in token or "-" in token:
            _split_compound(token, append)
        else:
            append(token)
    return tokens


def _split_compound(token: str, append) -> None:
    for part in token.split("-"):
        if "'" not in part:
            append(part)
            continue
        head, _, rest = part.partition("'")
        if head in _ELISIONS:
            append(head)
            part = rest
        if part.endswith("'s"):
            part = part[:-2]
        append(part)


@lru_cache(maxsize=None)
def stop_words(lang: str) -> frozenset[str]:
    """The stop words shipped for ``lang`` (one of :data:`LANGUAGES`), normalised."""
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {sorted(LANGUAGES)} (got {lang!r})")
    text = resources.files("newsclf").joinpath("data", "stopwords", f"{lang}.txt").read_text("utf-8")
    words = (normalize(line.strip()) for line in text.splitlines())
    return frozenset(w for w in words if w and not w.startswith("#"))


@lru_cache(maxsize=None)
def _function_word_weights() -> dict[str, dict[str, float]]:
    """token -> {lang: weight}; a word used by k languages weighs 1/k in each."""
    users: dict[str, list[str]] = {}
    for lang in LANGUAGES:
        for word in stop_words(lang):
            users.setdefault(word, []).append(lang)
    return {w: {lang: 1.0 / len(langs) for lang in langs} for w, langs in users.items()}


# Spelling cues: (regex over normalised text, language, weight per match, whether it can match
# ASCII text). A cue that cannot is a class of non-ASCII letters (tests/test_text.py checks), and
# is skipped for ASCII text, as most English is.
_CUES = [
    (re.compile(r"[ñ¿¡]"), "es", 1.5, False),
    (re.compile(r"ci[oó]n(?:es)?\b"), "es", 1.0, True),
    (re.compile(r"[ãõ]"), "pt", 1.5, False),
    (re.compile(r"ções?\b|ção\b|nh[aoe]|lh[aoe]"), "pt", 0.8, True),
    (re.compile(r"[èùûîœëï]"), "fr", 1.5, False),
    (re.compile(r"\b(?:[ldjnsc]|qu)'"), "fr", 1.0, True),
    (re.compile(r"(?:eau|eux|aux)\b"), "fr", 0.8, True),
    (re.compile(r"\w(?:ing|ed)\b"), "en", 0.6, True),
    (re.compile(r"\bw\w|\w(?:sh|th)\b"), "en", 0.5, True),
]
_ASCII_CUES = [cue for cue in _CUES if cue[3]]


LANGUAGE_SAMPLE_CHARS = 1000


def detect_language(normalized: str, tokens: list[str] | None = None, default: str = "en") -> str:
    """Guess the language of normalised text among :data:`LANGUAGES`.

    Returns ``default`` when the text holds no evidence (e.g. only names or numbers). Only the first
    :data:`LANGUAGE_SAMPLE_CHARS` characters are read: a few sentences tell the four languages apart,
    and reading a long article to the end would only cost time.

    >>> detect_language(normalize("Lavrov reafirma el respaldo de Moscú a Maduro"))
    'es'
    """
    if len(normalized) > LANGUAGE_SAMPLE_CHARS:
        normalized, tokens = normalized[:LANGUAGE_SAMPLE_CHARS], None
    if tokens is None:
        tokens = tokenize(normalized)
    scores = dict.fromkeys(LANGUAGES, 0.0)
    weights = _function_word_weights()
    for token in tokens:
        shares = weights.get(token)
        if shares:
            for lang, share in shares.items():
                scores[lang] += share
    for pattern, lang, weight, _ in _ASCII_CUES if normalized.isascii() else _CUES:
        hits = len(pattern.findall(normalized))
        if hits:
            scores[lang] += weight * hits
    best = max(scores, key=scores.__getitem__)
    return best if scores[best] > 0 else default


_STEMMERS: dict[str, SnowballStemmer] = {}
_STEM_CACHE: dict[str, dict[str, str]] = {lang: {} for lang in LANGUAGES}
_STEM_CACHE_LIMIT = 1_000_000  # distinct tokens per language before the cache starts over


def stem(token: str, lang: str) -> str:
    """Snowball stem of a normalised token in ``lang``, cached per process."""
    cache = _STEM_CACHE[lang]
    try:
        return cache[token]
    except KeyError:
        pass
    stemmer = _STEMMERS.get(lang)
    if stemmer is None:
        stemmer = _STEMMERS[lang] = SnowballStemmer(LANGUAGES[lang])
    if len(cache) >= _STEM_CACHE_LIMIT:
        cache.clear()
    result = cache[token] = stemmer.stem(token) if not token[0].isdigit() else token
    return result


class Analysis(NamedTuple):
    """The text pipeline's output for one piece of text."""

    lang: str
    tokens: list[str]  # normalised tokens without stop words
    stems: list[str]  # their stems, same length and order


def analyze(text: str, lang: str | None = None, remove_stop_words: bool = True, stemming: bool = True) -> Analysis:
    """Run the whole pipeline on ``text``; guess the language unless ``lang`` is given.

    >>> analyze("Las milicias venezolanas se movilizan").stems
    ['milici', 'venezolan', 'moviliz']
    """
    normalized = normalize(text)
    tokens = tokenize(normalized)
    if lang is None:
        lang = detect_language(normalized, tokens)
    elif lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {sorted(LANGUAGES)} or None (got {lang!r})")
    return Analysis(lang, *filter_and_stem(tokens, lang, remove_stop_words, stemming))


def filter_and_stem(tokens: list[str], lang: str, remove_stop_words: bool = True, stemming: bool = True):
    """Drop ``lang``'s stop words from ``tokens`` and stem the rest: ``(kept tokens, stems)``."""
    if remove_stop_words:
        stops = stop_words(lang)
        tokens = [t for t in tokens if t not in stops]
    if not stemming:
        return tokens, list(tokens)
    cache = _STEM_CACHE[lang]  # the hot path: one dict lookup per token once the cache is warm
    return tokens, [cache.get(t) or stem(t, lang) for t in tokens]
