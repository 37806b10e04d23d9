"""What newsclf classifies: a document made of a title and an optional body.

Users hand documents over in several shapes; :func:`as_documents` turns each accepted shape into a
:class:`Document` and refuses the others with a message that says what was expected:

- a string: the title (headline-only items, or a whole text when there is no title);
- a mapping with ``"title"`` and optionally ``"body"`` (extra keys are ignored);
- a ``(title, body)`` pair.

A list is required even for one document: a bare string passed where a list is expected would
otherwise be read as a list of one-character documents, so it is a :class:`TypeError`.

Very long texts are cut to ``max_chars`` characters (title first, then body) so that no input can
make the work unbounded; the document's ``status`` then says ``"truncated"``. A document whose
title and body hold no letters or digits has status ``"empty_text"``; it still gets a prediction.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import NamedTuple

__all__ = ["DEFAULT_MAX_CHARS", "Document", "as_document", "as_documents"]

#: Characters of title plus body kept by default; longer documents are truncated.
DEFAULT_MAX_CHARS = 20_000


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


def as_document(item, index: int = 0, max_chars: int = DEFAULT_MAX_CHARS) -> Document:
    """Turn one accepted input shape into a :class:`Document` (see the module docstring)."""
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
    return Document(title, body, status)


def as_documents(items: Iterable, max_chars: int = DEFAULT_MAX_CHARS) -> list[Document]:
    """Turn a list (or other non-string iterable) of documents into :class:`Document` objects."""
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
