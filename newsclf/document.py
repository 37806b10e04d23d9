"""What newsclf classifies: a document made of a title and an optional body.

Users hand documents over in several shapes; :func:`as_documents` turns each accepted shape into a
:class:`Document` and refuses the others with a message that says what was expected:

- a string: the title (headline-only items, or a whole text when there is no title);
- a mapping with ``"title"`` and optionally ``"body"`` (extra keys are ignored);
- a ``(title, body)`` pair.

A list is required even for one document: a bare string passed where a list is expected would
otherwise be read as a list of one-character documents, so it is a :class:`TypeError`.

Very long texts are cut to ``max_chars`` characters (title first, then body) so that no input can
make the work unbounded; the document's ``status`` then says ``"truncated"``. Every document gets a
prediction; its ``status`` says how far to trust it, the first that applies of:

- ``"empty_text"``: title and body hold no letters or digits (empty, punctuation, emoji, invisible
  characters), so the labels are the model's prior;
- ``"unsupported_script"``: most of the letters are not in the Latin script (Arabic, Cyrillic,
  Chinese, ...), which the supported languages (en, es, pt, fr) are written in: the model has
  little to go on beyond names and numbers written in Latin letters;
- ``"truncated"``: only the first ``max_chars`` characters were read;
- ``"ok"``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import NamedTuple

__all__ = ["DEFAULT_MAX_CHARS", "Document", "as_document", "as_documents"]

#: Characters of title plus body kept by default; longer documents are truncated.
DEFAULT_MAX_CHARS = 20_000

_LETTER = re.compile(r"[^\W\d_]")
# A letter outside the Latin blocks (basic, Latin-1, extended A/B and additional, IPA, phonetic,
# fullwidth and the fi/fl ligatures, which NFKC turns into Latin letters).
_NON_LATIN_LETTER = re.compile(
    "[^\\W\\d_A-Za-z\u00aa\u00ba\u00c0-\u02af\u1d00-\u1dbf\u1e00-\u1eff\u2c60-\u2c7f"
    "\ua720-\ua7ff\uab30-\uab6f\ufb00-\ufb06\uff21-\uff3a\uff41-\uff5a]"
)


class Document(NamedTuple):
    """A title and a body (either may be empty) and what happened to them on the way in."""

    title: str
    body: str = ""
    status: str = "ok"


def _field(value, name: str, index: int) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, float) and math.isnan(value):  # a missing cell from pandas
        return ""
    raise TypeError(f"document {index}: {name} must be str or None (got {type(value).__name__}: {value!r:.60})")


def _check_max_chars(max_chars) -> None:
    if max_chars is not None and (not isinstance(max_chars, int) or isinstance(max_chars, bool) or max_chars < 1):
        raise ValueError(f"max_chars must be a positive integer or None (got {max_chars!r})")


def _mostly_non_latin(text: str) -> bool:
    if _NON_LATIN_LETTER.search(text) is None:  # the common case, one scan in C
        return False
    return 2 * len(_NON_LATIN_LETTER.findall(text)) > len(_LETTER.findall(text))


def as_document(item, index: int = 0, max_chars: int | None = DEFAULT_MAX_CHARS) -> Document:
    """Turn one accepted input shape into a :class:`Document` (see the module docstring).

    ``max_chars`` (a positive integer, or ``None`` for no limit) bounds title plus body.
    """
    _check_max_chars(max_chars)
    if isinstance(item, Document):
        title, body = item.title, item.body
    elif isinstance(item, str):
        title, body = item, ""
    elif isinstance(item, Mapping):
        if "title" not in item and "body" not in item:
            raise TypeError(f"document {index}: a mapping needs a 'title' or 'body' key (got keys {sorted(map(str, item))[:8]})")
        title, body = _field(item.get("title"), "title", index), _field(item.get("body"), "body", index)
    elif isinstance(item, tuple) and len(item) == 2:
        title, body = _field(item[0], "title", index), _field(item[1], "body", index)
    else:
        raise TypeError(
            f"document {index} must be a str, a mapping with 'title'/'body' or a (title, body) pair "
            f"(got {type(item).__name__}: {item!r:.60})"
        )
    status = "ok"
    if max_chars is not None and len(title) + len(body) > max_chars:
        title = title[:max_chars]
        body = body[: max(0, max_chars - len(title))]
        status = "truncated"
    if not any(ch.isalnum() for ch in title) and not any(ch.isalnum() for ch in body):
        status = "empty_text"
    elif _mostly_non_latin(f"{title}\n{body}" if body else title):
        status = "unsupported_script"
    return Document(title, body, status)


def as_documents(items: Iterable, max_chars: int | None = DEFAULT_MAX_CHARS) -> list[Document]:
    """Turn a list (or other non-string iterable) of documents into :class:`Document` objects."""
    _check_max_chars(max_chars)
    if isinstance(items, (str, bytes, Mapping)):
        raise TypeError(
            f"documents must be a list of texts or records, not a single {type(items).__name__}; "
            "wrap one document in a list, or use predict_one()"
        )
    try:
        iterator = iter(items)
    except TypeError:
        raise TypeError(f"documents must be a list of texts or records (got {type(items).__name__})") from None
    return [as_document(item, i, max_chars) for i, item in enumerate(iterator)]
